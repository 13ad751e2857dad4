import { abortError, CompletionError } from '../errors/errors';
import { jsonMayHoldSecret, scrubbedPreview, scrubValue } from '../errors/scrub';
import { normalizeChoicesLogprobs } from '../stream/logprobs';
import { readEventStream } from '../stream/read-event-stream';
import type { ConnectionSettings } from '../connection/settings';
import { readBody } from './read-body';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';
import type { Outcome } from './retry-policy';
import type { ResponseHeaders, Transport } from './transport';
import { Cancellation, type CancelSignal } from '../errors/cancellation';

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
  /** When the last attempt was sent, its answer began, its first event came and it ended (ms since the epoch). */
  times: { sentAt: number; headersAt: number; firstEventAt?: number; endAt: number };
}

/** One streamed event, parsed, as soon as it arrived. */
export type OnEvent = (chunk: Record<string, unknown>, index: number, status: number) => void;

export interface AttemptRequest {
  path: string;
  body: string;
  stream: boolean;
  /** Set where each streamed choice reports its own usage (llama.cpp): the request's `n`. */
  usagePerChoice?: number;
}

type Settings = Pick<ConnectionSettings, 'kind' | 'secrets' | 'responseTimeoutMs' | 'idleTimeoutMs' | 'maxResponseBytes'>;

/**
 * One try of a completion request: sends it, reads the answer (parsed, scrubbed, its
 * logprobs in the classic shape; a stream event by event), and says how it ended. It
 * never decides about retries (retry-policy.ts does) and, short of a bug, never throws.
 */
export async function attempt(transport: Transport, settings: Settings, request: AttemptRequest, parent: CancelSignal, onEvent?: OnEvent): Promise<Outcome & { response?: CompletionResponse }> {
  const controller = new Cancellation();
  const onParentAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  if (parent.aborted) onParentAbort();
  // The answer timeout runs until the answer is there: the whole body when not
  // streamed (a server may send its headers first and generate after), the first event
  // of a stream. Then only silences count (the idle timeout).
  let started = false;
  const responseTimer = setTimeout(() => {
    const seconds = settings.responseTimeoutMs / 1000;
    const what = !started ? `no answer within ${seconds} s` : request.stream ? `the answer started but sent no event within ${seconds} s` : `the answer started but was not complete within ${seconds} s`;
    controller.abort(new CompletionError('TIMEOUT', what, { phase: 'response' }));
  }, settings.responseTimeoutMs);
  const limits = { maxBytes: settings.maxResponseBytes, idleMs: settings.idleTimeoutMs };
  const { secrets } = settings;
  let headers: ResponseHeaders = {};
  let events = 0;
  const sentAt = Date.now();
  let headersAt = sentAt;
  let firstEventAt: number | undefined;
  try {
    const opened = await transport.open(request.path, request.body, request.stream, controller.signal);
    const { status } = opened;
    headersAt = Date.now();
    started = true;
    headers = scrubValue(opened.headers, secrets);
    const ok = status >= 200 && status < 300;
    if (!ok || !request.stream || !isEventStream(headers)) {
      const text = (await readBody(opened.body, limits, controller.signal)).toString('utf8');
      // What a server sends may echo the key, also spelt with JSON escapes: it is looked
      // for in the parsed values, unless the text shows it cannot be there (scrub.ts).
      const parsed = parseBody(text, ok, status, secrets);
      const body = typeof parsed !== 'object' || jsonMayHoldSecret(text, secrets) ? scrubValue(parsed, secrets) : parsed;
      if (ok) normalizeChoicesLogprobs(body);
      const times = { sentAt, headersAt, endAt: Date.now() };
      return { kind: 'answer', status, headers, body, response: { status, headers, body, events: 0, attempts: 0, times } };
    }
    const streamed = await readEventStream(opened.body, {
      status, limits, signal: controller.signal, secrets,
      mayEndWithoutDone: settings.kind.streamMayEndWithoutDone,
      usagePerChoice: request.usagePerChoice,
      onEvent: (chunk, index, code) => {
        events = index + 1;
        if (firstEventAt === undefined) {
          firstEventAt = Date.now();
          clearTimeout(responseTimer);
        }
        onEvent?.(chunk, index, code);
      },
    });
    const times = { sentAt, headersAt, firstEventAt, endAt: Date.now() };
    const response = { status, headers, body: streamed.body, events: streamed.events, tails: streamed.tails, attempts: 0, times };
    return { kind: 'answer', status, headers, body: streamed.body, response };
  } catch (error) {
    return { kind: 'failure' as const, error: asCompletionError(error, parent), headers, events };
  } finally {
    clearTimeout(responseTimer);
    parent.removeEventListener('abort', onParentAbort);
  }
}

function asCompletionError(error: unknown, signal: CancelSignal): CompletionError {
  if (signal.aborted) return abortError(signal);
  if (error instanceof CompletionError) return error;
  return new CompletionError('BAD_RESPONSE', error instanceof Error ? error.message : String(error));
}

function isEventStream(headers: ResponseHeaders): boolean {
  const type = headers['content-type'];
  return String(Array.isArray(type) ? type[0] : type ?? '').toLowerCase().includes('text/event-stream');
}

function parseBody(text: string, ok: boolean, status: number, secrets: readonly string[]): unknown {
  if (text === '' && !ok) return '';
  if (nestsDeeperThan(text)) {
    if (!ok) return scrubbedPreview(text, secrets);
    throw new CompletionError('BAD_RESPONSE', `HTTP ${status} with JSON nested deeper than ${MAX_JSON_DEPTH} levels`, { status });
  }
  try {
    return JSON.parse(text);
  } catch {
    if (!ok) return text;
    throw new CompletionError('BAD_RESPONSE', `HTTP ${status} with a body that is not JSON: ${scrubbedPreview(text, secrets)}`, { status });
  }
}
