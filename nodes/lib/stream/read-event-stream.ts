import type { Readable } from 'node:stream';
import { StreamAssembler } from './assemble-stream';
import { CompletionError, httpError } from '../errors/errors';
import { LogprobsConverter } from './logprobs';
import { consumeBody, type BodyLimits, type ChunkOutcome } from '../http/read-body';
import { jsonMayHoldSecret, scrubbedPreview, scrubValue, StreamTextScrubber } from '../errors/scrub';
import { SseDecoder } from './sse';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../http/json-depth';
import type { CancelSignal } from '../errors/cancellation';

export interface EventStreamOptions {
  status: number;
  limits: BodyLimits;
  signal: CancelSignal;
  secrets: readonly string[];
  /** The server may close a finished stream without `data: [DONE]` (older llama.cpp builds). */
  mayEndWithoutDone: boolean;
  /** Each choice reports its own usage in its last event (llama.cpp), for a request of this `n`. */
  usagePerChoice?: number;
  onEvent?(chunk: Record<string, unknown>, index: number, status: number): void;
}

export interface ReadStream {
  body: Record<string, unknown>;
  events: number;
  /** Text of each choice held back from the events while it could have been the start of a secret. */
  tails: Map<number, string>;
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
  const assembler = new StreamAssembler(options.usagePerChoice);
  const logprobs = new LogprobsConverter();
  const text = new StreamTextScrubber(secrets);
  let events = 0;
  let finished = false;

  const onChunk = (chunk: Buffer): ChunkOutcome => {
    let outcome: ChunkOutcome = undefined;
    for (const event of decoder.push(chunk)) {
      outcome = 'event';
      if (event.data === '[DONE]') {
        finished = true;
        return 'done';
      }
      // llama.cpp opens a stream of several prompts with `data: null` (v0.5.0, recording
      // 50): an event with nothing in it, which is neither delivered nor counted.
      if (event.data.trim() === 'null') continue;
      // The key may be echoed, also spelt with JSON escapes: the parsed values are
      // walked for it unless the text shows it cannot be there (scrub.ts).
      const unscrubbed = parseEvent(event.data, event.event, status, events, secrets);
      const parsed = jsonMayHoldSecret(event.data, secrets) ? scrubValue(unscrubbed, secrets) : unscrubbed;
      if (text.active) holdBackSecrets(parsed, text);
      logprobs.convert(parsed);
      assembler.add(parsed);
      options.onEvent?.(parsed, events, status);
      events++;
    }
    return outcome;
  };

  try {
    await consumeBody(body, options.limits, options.signal, onChunk, true);
  } catch (error) {
    const failure = error as CompletionError;
    if (events > 0 && failure.code === 'NETWORK_ERROR') {
      throw new CompletionError('STREAM_ERROR', `stream broke off after ${events} events: ${failure.message}`, { status, phase: 'body' });
    }
    throw failure;
  }
  // Older llama.cpp builds close a finished stream without [DONE]. A clean end counts
  // as whole only when every choice said how it finished: a stream cut between events
  // would otherwise pass for a short answer.
  if (!finished && options.mayEndWithoutDone && !decoder.hasPartialEvent && assembler.allFinished()) finished = true;
  if (!finished) {
    const where = decoder.hasPartialEvent ? 'in the middle of an event' : 'without [DONE]';
    throw new CompletionError('STREAM_ERROR', events === 0 ? `stream ended ${where}` : `stream ended ${where} after ${events} events`, { status, phase: 'body' });
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
  if (nestsDeeperThan(data)) throw new CompletionError('STREAM_ERROR', `stream event ${index} is JSON nested deeper than ${MAX_JSON_DEPTH} levels`, { status });
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
