/**
 * The one retry policy: which answers are worth another try and how long to wait.
 * Mirrors the official SDK's: 408, 409, 429 and 5xx, unless the server says otherwise
 * through `x-should-retry`; back off exponentially with jitter unless the server
 * names a wait through `retry-after-ms` or `retry-after`.
 */

import type { CompletionError } from '../errors/errors';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** A failure of the connection (not the server's answer): another try may get through. */
export function isConnectionFault(error: CompletionError): boolean {
  return error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT';
}

/** What a retry after a connection fault says it is retrying for. */
export function connectionFaultReason(error: CompletionError): string {
  return error.code === 'TIMEOUT' ? 'timeout' : String(error.cause.code ?? 'connection error');
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

/**
 * Delay before retry number `retry` (1-based). A server-requested wait is honoured
 * up to `maxWaitMs`; above that, or without one, exponential backoff with up to
 * 25% jitter is used, itself capped by `maxWaitMs`.
 */
export function retryDelayMs(retry: number, headers: HeaderBag, maxWaitMs: number, random = Math.random): number {
  const requested = serverRequestedDelayMs(headers);
  if (requested !== undefined && requested <= maxWaitMs) return requested;
  const backoff = Math.min(INITIAL_DELAY_MS * 2 ** (retry - 1), MAX_BACKOFF_MS);
  return Math.min(backoff * (1 - 0.25 * random()), maxWaitMs);
}
