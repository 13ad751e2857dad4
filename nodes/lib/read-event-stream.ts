import type { Readable } from 'node:stream';
import { StreamAssembler } from './assemble-stream';
import { CompletionError, httpError } from './errors';
import { normalizeChoicesLogprobs } from './normalize-logprobs';
import { consumeBody, type BodyLimits } from './read-body';
import { connectionFaultReason, isConnectionFault } from './retry-policy';
import { mentionsSecret, scrubbedPreview, scrubValue } from './scrub';
import { SseDecoder } from './sse';

export interface EventStreamOptions {
  status: number;
  limits: BodyLimits;
  signal: AbortSignal;
  secrets: readonly string[];
  /** The server closes a finished stream without `data: [DONE]` (llama.cpp). */
  mayEndWithoutDone: boolean;
  onEvent?(chunk: Record<string, unknown>, index: number, status: number): void;
}

/**
 * A stream that failed, with what the caller needs to decide on a retry: how many
 * events had already gone out, and whether the failure was the connection's (worth
 * another try) rather than the server's word.
 */
export class StreamFailure extends Error {
  constructor(readonly error: CompletionError, readonly events: number, readonly retryable: boolean, readonly reason: string) {
    super(error.message);
  }
}

/**
 * Reads a completion's server-sent events: each one parsed, handed to `onEvent` the
 * moment it is complete, and added to the assembled body, which it returns after
 * `[DONE]`. An error event, a broken or truncated stream or one that stalls fails.
 */
export async function readEventStream(body: Readable, options: EventStreamOptions): Promise<{ body: Record<string, unknown>; events: number }> {
  const { status, secrets } = options;
  const decoder = new SseDecoder();
  const assembler = new StreamAssembler();
  let events = 0;
  let finished = false;

  const onChunk = (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (finished) return;
      if (event.data === '[DONE]') {
        // The server ends the response itself; letting it do so keeps the socket reusable.
        finished = true;
        return;
      }
      const fresh = parseEvent(event.data, event.event, status, events, secrets);
      const parsed = mentionsSecret(event.data, secrets) ? scrubValue(fresh, secrets) : fresh;
      normalizeChoicesLogprobs(parsed);
      assembler.add(parsed);
      options.onEvent?.(parsed, events, status);
      events++;
    }
  };

  try {
    await consumeBody(body, options.limits, options.signal, onChunk);
  } catch (error) {
    if (!finished) {
      const failure = error as CompletionError;
      const reason = connectionFaultReason(failure);
      if (events === 0) throw new StreamFailure(failure, 0, isConnectionFault(failure), reason);
      const broken = failure.code === 'NETWORK_ERROR'
        ? new CompletionError('STREAM_ERROR', `stream broke off after ${events} events: ${failure.message}`, { status })
        : failure;
      throw new StreamFailure(broken, events, false, reason);
    }
  }
  // Some servers (llama.cpp) close a finished stream without [DONE]; a clean end
  // after whole events is their way of saying it.
  if (!finished && options.mayEndWithoutDone && events > 0 && !decoder.hasPartialEvent) finished = true;
  if (!finished) {
    const where = decoder.hasPartialEvent ? 'in the middle of an event' : 'without [DONE]';
    const ended = new CompletionError('STREAM_ERROR', events === 0 ? `stream ended ${where}` : `stream ended ${where} after ${events} events`, { status });
    throw new StreamFailure(ended, events, events === 0, 'stream ended early');
  }
  return { body: assembler.result(), events };
}

function parseEvent(data: string, eventName: string | undefined, status: number, index: number, secrets: readonly string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new CompletionError('STREAM_ERROR', `stream event ${index} is not JSON: ${scrubbedPreview(data, secrets)}`, { status });
  }
  const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  if (eventName === 'error' || (isObject && (parsed as Record<string, unknown>).error !== undefined)) {
    const failure = httpError(status, isObject ? parsed : { error: String(parsed) });
    throw new CompletionError('STREAM_ERROR', `stream error event after ${index} events: ${failure.message}`, failure.cause);
  }
  if (!isObject) throw new CompletionError('STREAM_ERROR', `stream event ${index} is not an object: ${scrubbedPreview(data, secrets)}`, { status });
  return parsed as Record<string, unknown>;
}
