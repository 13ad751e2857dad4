/**
 * The one retry policy: which outcomes are worth another try and how long to wait.
 * Mirrors the official SDK's for answers: 408, 409, 429 and 5xx, unless the server says
 * otherwise through `x-should-retry`, with exponential backoff and jitter unless the
 * server names a wait through `retry-after-ms` or `retry-after`. Adds what local models
 * need: a request the server accepted and then did not answer in time is still being
 * generated, so it is not sent again unless the connection says so; a wait longer than
 * the connection allows is not shortened but ends the retries.
 */
import type { CompletionError } from '../errors/errors';
import { apiErrorOf } from '../errors/errors';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** How one attempt ended: an HTTP answer (any status), or a failure before the flow saw one. */
export type Outcome =
  | { kind: 'answer'; status: number; headers: HeaderBag; body: unknown }
  | { kind: 'failure'; error: CompletionError; headers: HeaderBag; events: number };

export type Decision = { retry: false } | { retry: true; delayMs: number; reason: string };

export interface RetrySettings {
  maxRetries: number;
  maxRetryWaitMs: number;
  retryTimeouts: boolean;
}

const INITIAL_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8000;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function shouldRetryStatus(status: number, headers: HeaderBag): boolean {
  const explicit = header(headers, 'x-should-retry');
  if (explicit === 'true') return true;
  if (explicit === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The wait the server asked for, in ms, if it asked for one we can read. */
export function serverRequestedDelayMs(headers: HeaderBag, now = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = header(headers, 'retry-after');
  if (after !== undefined && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Exponential backoff before retry number `retry` (1-based), with up to 25% jitter. */
export function backoffMs(retry: number, random = Math.random): number {
  return Math.min(INITIAL_DELAY_MS * 2 ** (retry - 1), MAX_BACKOFF_MS) * (1 - 0.25 * random());
}

/**
 * A failure of the connection rather than the server's word, before any output reached
 * the flow: worth another try. A timeout counts only where the server cannot have
 * started work (the connection did not open), unless the connection allows more.
 */
function retryableFailure(error: CompletionError, retryTimeouts: boolean): string | undefined {
  if (error.code === 'NETWORK_ERROR') return String(error.cause.code ?? 'connection error');
  if (error.code === 'TIMEOUT' && (error.cause.phase === 'connect' || retryTimeouts)) return 'timeout';
  if (error.code === 'STREAM_ERROR' && error.cause.phase === 'body') return 'stream ended early';
  return undefined;
}

/** Whether to try attempt number `attempt + 1`, and after how long. */
export function decide(outcome: Outcome, attempt: number, settings: RetrySettings, random = Math.random): Decision {
  if (attempt > settings.maxRetries) return { retry: false };
  let reason: string | undefined;
  if (outcome.kind === 'answer') {
    if (!shouldRetryStatus(outcome.status, outcome.headers)) return { retry: false };
    // Out of quota is not a passing state: another try is billed no differently.
    const api = apiErrorOf(outcome.body);
    if (api?.code === 'insufficient_quota' || api?.type === 'insufficient_quota') return { retry: false };
    reason = `HTTP ${outcome.status}`;
  } else {
    if (outcome.events > 0) return { retry: false };
    reason = retryableFailure(outcome.error, settings.retryTimeouts);
    if (reason === undefined) return { retry: false };
  }
  const requested = serverRequestedDelayMs(outcome.headers);
  if (requested !== undefined) return requested <= settings.maxRetryWaitMs ? { retry: true, delayMs: requested, reason } : { retry: false };
  return { retry: true, delayMs: Math.min(backoffMs(attempt, random), settings.maxRetryWaitMs), reason };
}
