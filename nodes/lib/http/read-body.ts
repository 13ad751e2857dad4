import type { Readable } from 'node:stream';
import { abortError, CompletionError } from '../errors/errors';
import type { CancelSignal } from '../errors/cancellation';

export interface BodyLimits {
  maxBytes: number;
  /**
   * The longest silence before the response counts as hung: between two chunks of a
   * body, or, for a stream, between two whole events (a server that trickles a byte now
   * and then without ever finishing an event is hung too).
   */
  idleMs: number;
}

/** What `onChunk` made of a chunk: all that is needed (a stream's [DONE]), a whole event, or neither. */
export type ChunkOutcome = 'done' | 'event' | void;

/** How long the rest of a body that is no longer needed may take to end before its socket is dropped. */
const DRAIN_GRACE_MS = 2000;

/**
 * Reads a response body as it arrives, chunk by chunk, and hands each chunk to
 * `onChunk`. Fails with RESPONSE_TOO_LARGE past `maxBytes`, TIMEOUT after `idleMs`
 * of silence, NETWORK_ERROR when the connection breaks, and with the signal's
 * reason when aborted; in every failure the socket is destroyed.
 *
 * `onChunk` says `done` when it has all it needs (a stream's `[DONE]`): the promise
 * resolves at once, and the rest of the body is drained in the background so the
 * socket can be reused, or dropped if the server does not end it soon. With
 * `byEvent`, only a chunk that completed an event counts as a sign of life.
 */
export function consumeBody(
  body: Readable,
  limits: BodyLimits,
  signal: CancelSignal,
  onChunk: (chunk: Buffer) => ChunkOutcome,
  byEvent = false,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let total = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (error?: CompletionError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      if (error) {
        body.on('error', () => {});
        body.destroy();
        reject(error);
      } else {
        resolve(total);
      }
    };
    // One timer for the whole body, restarted by each chunk rather than made anew.
    const armTimer = () => {
      if (timer) timer.refresh();
      else {
        timer = setTimeout(
          () => finish(new CompletionError('TIMEOUT', `the answer stalled: no ${byEvent ? 'whole event' : 'data'} for ${limits.idleMs / 1000} s`, { phase: 'idle' })),
          limits.idleMs,
        );
      }
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxBytes) {
        finish(new CompletionError('RESPONSE_TOO_LARGE', `response larger than the limit of ${formatBytes(limits.maxBytes)}`));
        return;
      }
      if (!byEvent) armTimer();
      let outcome: ChunkOutcome;
      try {
        outcome = onChunk(chunk);
      } catch (error) {
        finish(error instanceof CompletionError ? error : new CompletionError('BAD_RESPONSE', String(error)));
        return;
      }
      if (outcome === 'done') {
        finish();
        drain(body);
      } else if (outcome === 'event' && byEvent) {
        armTimer();
      }
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(brokenError(error, signal));
    const onClose = () => finish(brokenError(new Error('connection closed before the response ended'), signal));
    const onAbort = () => finish(brokenError(new Error('aborted'), signal));

    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
    armTimer();
  });
}

/** Lets the rest of a body run out without keeping it; drops the socket if it does not end soon. */
function drain(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  const timer = setTimeout(() => body.destroy(), DRAIN_GRACE_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  body.on('error', stop);
  body.once('end', stop);
  body.once('close', stop);
  body.resume();
}

/** The whole body in memory, within the same limits. */
export async function readBody(body: Readable, limits: BodyLimits, signal: CancelSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const total = await consumeBody(body, limits, signal, (chunk) => {
    chunks.push(chunk);
  });
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

function brokenError(error: Error, signal: CancelSignal): CompletionError {
  if (signal.aborted) return abortError(signal);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(code)) {
    // zlib could not decode what the server sent: another try would get the same.
    return new CompletionError('BAD_RESPONSE', `the response body could not be decoded: ${error.message}`, { code });
  }
  return new CompletionError('NETWORK_ERROR', `connection broke while reading the response: ${error.message}`, {
    code: typeof code === 'string' ? code : null,
    phase: 'body',
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${+(bytes / 2 ** 20).toFixed(2)} MB` : `${bytes} bytes`;
}
