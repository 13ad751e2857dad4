import type { Readable } from 'node:stream';
import { abortError, CompletionError } from './errors';

export interface BodyLimits {
  maxBytes: number;
  /** The longest silence between two chunks before the response counts as hung. */
  idleMs: number;
}

/**
 * Reads a response body as it arrives, chunk by chunk, and hands each chunk to
 * `onChunk`. Fails with RESPONSE_TOO_LARGE past `maxBytes`, TIMEOUT after `idleMs`
 * of silence, NETWORK_ERROR when the connection breaks, and with the signal's
 * reason when aborted; in every failure the socket is destroyed.
 */
export function consumeBody(
  body: Readable,
  limits: BodyLimits,
  signal: AbortSignal,
  onChunk: (chunk: Buffer) => void,
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
    const armTimer = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => finish(new CompletionError('TIMEOUT', `response stalled: no data for ${limits.idleMs / 1000} s`)),
        limits.idleMs,
      );
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxBytes) {
        finish(new CompletionError('RESPONSE_TOO_LARGE', `response larger than the limit of ${formatBytes(limits.maxBytes)}`));
        return;
      }
      armTimer();
      try {
        onChunk(chunk);
      } catch (error) {
        finish(error instanceof CompletionError ? error : new CompletionError('BAD_RESPONSE', String(error)));
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

/** The whole body in memory, within the same limits. */
export async function readBody(body: Readable, limits: BodyLimits, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const total = await consumeBody(body, limits, signal, (chunk) => chunks.push(chunk));
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

function brokenError(error: Error, signal: AbortSignal): CompletionError {
  if (signal.aborted) return abortError(signal);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(code)) {
    // zlib could not decode what the server sent: another try would get the same.
    return new CompletionError('BAD_RESPONSE', `the response body could not be decoded: ${error.message}`, { code });
  }
  return new CompletionError('NETWORK_ERROR', `connection broke while reading the response: ${error.message}`, {
    code: typeof code === 'string' ? code : null,
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${+(bytes / 2 ** 20).toFixed(2)} MB` : `${bytes} bytes`;
}
