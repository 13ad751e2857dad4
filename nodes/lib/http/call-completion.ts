import { abortError, CompletionError } from '../errors/errors';
import { readBody } from './read-body';
import { connectionFaultReason, isConnectionFault, retryDelayMs, shouldRetryStatus } from './retry-policy';
import { normalizeChoicesLogprobs } from '../stream/logprobs';
import { readEventStream, StreamFailure } from '../stream/read-event-stream';
import { scrubbedPreview, scrubValue } from '../errors/scrub';
import type { ConnectionSettings } from '../connection/settings';
import type { OpenResponse, ResponseHeaders, Transport } from './transport';

/** What one completion call came back with, after any retries. */
export interface CompletionResponse {
  status: number;
  headers: ResponseHeaders;
  /** The parsed JSON body (the assembled one for a stream); the text when a non-2xx body is not JSON. */
  body: unknown;
  /** Events delivered through `onEvent`; 0 when the answer was not streamed. */
  events: number;
  /** Streamed text held back from the events (read-event-stream.ts), per choice index. */
  tails?: Map<number, string>;
  attempts: number;
}

export interface CallHooks {
  /** A retry is about to wait `delayMs`; `reason` says what failed. */
  onRetry?(retry: number, reason: string, delayMs: number): void;
  /** One streamed event, parsed, as soon as it arrived. */
  onEvent?(chunk: Record<string, unknown>, index: number, status: number): void;
}

type Settings = Pick<ConnectionSettings, 'kind' | 'apiVersion' | 'apiKey' | 'timeoutMs' | 'maxRetries' | 'maxRetryWaitMs' | 'maxResponseBytes'>;

/** Thrown inside an attempt when another try may succeed. */
class Retryable extends Error {
  constructor(readonly reason: string, readonly headers: ResponseHeaders, readonly failure: CompletionError | (() => CompletionResponse)) {
    super(reason);
  }
}

/**
 * POSTs a completion request and returns the server's answer. Retries (one policy,
 * retry-policy.ts) cover connection errors and retryable statuses, and a stream only
 * until its first event has been delivered: after that the flow has seen output.
 */
export async function callCompletion(
  transport: Transport,
  settings: Settings,
  request: Record<string, unknown>,
  signal: AbortSignal,
  hooks: CallHooks = {},
  body: string = JSON.stringify(request),
): Promise<CompletionResponse> {
  const stream = request.stream === true;
  const path = settings.kind.completionsPath(request.model, settings.apiVersion);
  for (let attempt = 1; ; attempt++) {
    const canRetry = attempt <= settings.maxRetries;
    try {
      return await attemptOnce(transport, settings, path, body, stream, signal, hooks, attempt, canRetry);
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      if (!canRetry) {
        if (typeof error.failure === 'function') return error.failure();
        error.failure.cause.attempts = attempt;
        throw error.failure;
      }
      const delay = retryDelayMs(attempt, error.headers, settings.maxRetryWaitMs);
      hooks.onRetry?.(attempt, error.reason, delay);
      await sleep(delay, signal);
    }
  }
}

async function attemptOnce(
  transport: Transport,
  settings: Settings,
  path: string,
  body: string,
  stream: boolean,
  parent: AbortSignal,
  hooks: CallHooks,
  attempt: number,
  canRetry: boolean,
): Promise<CompletionResponse> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  const headerTimer = setTimeout(
    () => controller.abort(new CompletionError('TIMEOUT', `no response within ${settings.timeoutMs / 1000} s`)),
    settings.timeoutMs,
  );
  const limits = { maxBytes: settings.maxResponseBytes, idleMs: settings.timeoutMs };
  try {
    let response: OpenResponse;
    try {
      response = await transport.open(path, body, stream, controller.signal);
    } catch (error) {
      throw retryableFailure(error as CompletionError, {}, parent);
    } finally {
      clearTimeout(headerTimer);
    }
    const { status } = response;
    const secrets = secretsOf(settings);
    const headers = scrubValue(response.headers, secrets);
    const ok = status >= 200 && status < 300;

    if (!ok || !stream || !isEventStream(headers)) {
      let raw: Buffer;
      try {
        raw = await readBody(response.body, limits, controller.signal);
      } catch (error) {
        throw retryableFailure(error as CompletionError, headers, parent);
      }
      // What a server sends may echo the key, also spelt with JSON escapes: it is looked
      // for in the parsed values, not the raw bytes.
      const parsed = scrubValue(parseBody(raw, ok, status, secrets), secrets);
      if (ok) normalizeChoicesLogprobs(parsed);
      const result: CompletionResponse = { status, headers, body: parsed, events: 0, attempts: attempt };
      if (!ok && shouldRetryStatus(status, headers)) {
        throw new Retryable(`HTTP ${status}`, headers, () => result);
      }
      return result;
    }

    try {
      const streamed = await readEventStream(response.body, {
        status, limits, signal: controller.signal, secrets,
        mayEndWithoutDone: settings.kind.streamMayEndWithoutDone,
        onEvent: hooks.onEvent,
      });
      return { status, headers, body: streamed.body, events: streamed.events, tails: streamed.tails, attempts: attempt };
    } catch (error) {
      if (!(error instanceof StreamFailure)) throw error;
      // Before its first event a stream is a request like any other; after it, the flow has seen output.
      if (error.events === 0 && error.retryable && canRetry && !parent.aborted) throw new Retryable(error.reason, headers, error.error);
      error.error.cause.attempts = attempt;
      throw error.error;
    }
  } finally {
    clearTimeout(headerTimer);
    parent.removeEventListener('abort', onParentAbort);
  }
}

/** A failure before any output reached the flow: worth another try unless the flow stopped. */
function retryableFailure(error: CompletionError, headers: ResponseHeaders, parent: AbortSignal): Error {
  if (parent.aborted || !isConnectionFault(error)) return error;
  return new Retryable(connectionFaultReason(error), headers, error);
}

function isEventStream(headers: ResponseHeaders): boolean {
  const type = headers['content-type'];
  return String(Array.isArray(type) ? type[0] : type ?? '').toLowerCase().includes('text/event-stream');
}

function secretsOf(settings: Settings): string[] {
  return settings.apiKey ? [settings.apiKey] : [];
}

function parseBody(raw: Buffer, ok: boolean, status: number, secrets: readonly string[]): unknown {
  const text = raw.toString('utf8');
  if (text === '' && !ok) return '';
  try {
    return JSON.parse(text);
  } catch {
    if (!ok) return text;
    throw new CompletionError('BAD_RESPONSE', `HTTP ${status} with a body that is not JSON: ${scrubbedPreview(text, secrets)}`, { status });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
