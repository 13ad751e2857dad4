import type { Readable } from 'node:stream';
import { StreamAssembler } from './assemble-stream';
import { CompletionError, httpError } from '../errors/errors';
import { LogprobsConverter } from './logprobs';
import { consumeBody, type BodyLimits } from '../http/read-body';
import { connectionFaultReason, isConnectionFault } from '../http/retry-policy';
import { scrubbedPreview, scrubValue, StreamTextScrubber } from '../errors/scrub';
import { SseDecoder } from './sse';

export interface EventStreamOptions {
  status: number;
  limits: BodyLimits;
  signal: AbortSignal;
  secrets: readonly string[];
  /** The server may close a finished stream without `data: [DONE]` (older llama.cpp builds). */
  mayEndWithoutDone: boolean;
  onEvent?(chunk: Record<string, unknown>, index: number, status: number): void;
}

export interface ReadStream {
  body: Record<string, unknown>;
  events: number;
  /** Text of each choice held back from the events while it could have been the start of a secret. */
  tails: Map<number, string>;
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
 * Reads a completion's server-sent events: each one parsed, scrubbed, its logprobs
 * given the classic shape, handed to `onEvent` the moment it is complete, and added to
 * the assembled body, which it returns at `[DONE]` (without waiting for the server to
 * close the response). An error event, a broken or truncated stream or one that stalls
 * fails.
 */
export async function readEventStream(body: Readable, options: EventStreamOptions): Promise<ReadStream> {
  const { status, secrets } = options;
  const decoder = new SseDecoder();
  const assembler = new StreamAssembler();
  const logprobs = new LogprobsConverter();
  const text = new StreamTextScrubber(secrets);
  let events = 0;
  let finished = false;

  const onChunk = (chunk: Buffer): boolean => {
    for (const event of decoder.push(chunk)) {
      if (event.data === '[DONE]') {
        finished = true;
        return true;
      }
      const parsed = scrubValue(parseEvent(event.data, event.event, status, events, secrets), secrets);
      if (text.active) holdBackSecrets(parsed, text);
      logprobs.convert(parsed);
      assembler.add(parsed);
      options.onEvent?.(parsed, events, status);
      events++;
    }
    return false;
  };

  try {
    await consumeBody(body, options.limits, options.signal, onChunk);
  } catch (error) {
    const failure = error as CompletionError;
    const reason = connectionFaultReason(failure);
    if (events === 0) throw new StreamFailure(failure, 0, isConnectionFault(failure), reason);
    const broken = failure.code === 'NETWORK_ERROR'
      ? new CompletionError('STREAM_ERROR', `stream broke off after ${events} events: ${failure.message}`, { status })
      : failure;
    throw new StreamFailure(broken, events, false, reason);
  }
  // Older llama.cpp builds close a finished stream without [DONE]. A clean end counts
  // as whole only when every choice said how it finished: a stream cut between events
  // would otherwise pass for a short answer.
  if (!finished && options.mayEndWithoutDone && !decoder.hasPartialEvent && assembler.allFinished()) finished = true;
  if (!finished) {
    const where = decoder.hasPartialEvent ? 'in the middle of an event' : 'without [DONE]';
    const ended = new CompletionError('STREAM_ERROR', events === 0 ? `stream ended ${where}` : `stream ended ${where} after ${events} events`, { status });
    throw new StreamFailure(ended, events, events === 0, 'stream ended early');
  }
  const tails = text.flush();
  for (const [index, rest] of tails) assembler.appendText(index, rest);
  return { body: scrubValue(assembler.result(), secrets), events, tails };
}

/** Each choice's text as far as it can go out now (scrub.ts, StreamTextScrubber). */
function holdBackSecrets(chunk: Record<string, unknown>, text: StreamTextScrubber): void {
  if (!Array.isArray(chunk.choices)) return;
  for (const choice of chunk.choices as Array<Record<string, unknown> | null>) {
    if (choice === null || typeof choice !== 'object' || typeof choice.text !== 'string') continue;
    choice.text = text.push(typeof choice.index === 'number' ? choice.index : 0, choice.text);
  }
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
