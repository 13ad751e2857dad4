// Writing a generation as Server-Sent Events: at the client's pace, with the token delay,
// and with the endings the scripted faults ask for.

import type * as http from 'node:http';
import { chunksOf, type Generation } from '../generate';
import { apiError } from '../dialects/openai-errors';
import type { DialectRules, Shaper } from '../dialects/types';
import { destroyWhenFlushed, sse, type Exchange, type Responder } from './responder';
import { nextTurn, type Sleeper } from './timers';

export type StreamEnding =
  | { kind: 'normal' }
  | { kind: 'no-done' }
  /** After N events, an error event in the dialect's error shape, then the end (no [DONE]). */
  | { kind: 'error-event'; after: number; style: 'data' | 'event'; message: string }
  /** After N events, the socket is destroyed. */
  | { kind: 'truncate'; after: number }
  /** After N events, the dialect's own report of a failed stream. */
  | { kind: 'fail'; after: number; message: string };

/** The SSE events of a generation as the dialect frames them, lazily. */
export function* sseEvents(g: Generation, shaper: Shaper): Generator<string> {
  for (const data of dataOf(g, shaper)) yield sse(data);
}

/** The data payloads of a stream, before framing. */
function* dataOf(g: Generation, shaper: Shaper): Generator<unknown> {
  if (shaper.begin) yield* shaper.begin(g);
  for (const chunk of chunksOf(g)) yield* shaper.events(chunk, g);
}

function waitDrain(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export class StreamWriter {
  constructor(
    private readonly rules: DialectRules,
    private readonly responder: Responder,
    private readonly sleeper: Sleeper,
    private readonly tokenDelayMs: number,
  ) {}

  async write(ex: Exchange, g: Generation, shaper: Shaper, ending: StreamEnding): Promise<void> {
    const { res } = ex;
    res.writeHead(200, this.responder.streamHeaders(ex));
    res.flushHeaders();
    const limit = ending.kind === 'error-event' || ending.kind === 'truncate' || ending.kind === 'fail' ? Math.max(0, ending.after) : Infinity;
    let count = 0;
    for (const event of sseEvents(g, shaper)) {
      if (count >= limit) break;
      if (count > 0) {
        if (this.tokenDelayMs > 0) await this.sleeper.sleep(this.tokenDelayMs);
        else if ((count & 255) === 0) await nextTurn();
      }
      if (this.responder.gone(res)) return;
      const ok = res.write(event);
      count++;
      if (!ok) {
        await waitDrain(res);
        if (this.responder.gone(res)) return;
      }
    }
    if (this.tokenDelayMs > 0 && count > 0) await this.sleeper.sleep(this.tokenDelayMs);
    if (this.responder.gone(res)) return;
    switch (ending.kind) {
      case 'normal':
        res.end(shaper.end);
        return;
      case 'no-done':
        res.end();
        return;
      case 'error-event': {
        const data = JSON.stringify(this.rules.error(apiError(500, ending.message, null, null, 'server_error')).body);
        res.end(ending.style === 'event' ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`);
        return;
      }
      case 'fail': {
        const failure = shaper.failure(ending.message, g);
        res.end(failure.events.map(sse).join('') + failure.end);
        return;
      }
      case 'truncate': {
        const socket = res.socket;
        setImmediate(() => destroyWhenFlushed(socket));
        return;
      }
    }
  }

  /** The whole SSE text of a stream (for drip delivery, meant for small streams). */
  text(g: Generation, shaper: Shaper): string {
    return Array.from(sseEvents(g, shaper)).join('') + shaper.end;
  }

  /** One byte per write: the chosen line ends, optional comment lines (between events and
   * inside one), and every third event's data split over several `data:` lines. */
  async bytewise(ex: Exchange, g: Generation, shaper: Shaper, lineEnd: '\n' | '\r\n' | '\r', comments: boolean): Promise<void> {
    const { res } = ex;
    const bytes = Buffer.from(this.bytewiseText(g, shaper, lineEnd, comments), 'utf8');
    res.writeHead(200, this.responder.streamHeaders(ex));
    res.flushHeaders();
    for (let i = 0; i < bytes.length; i++) {
      await nextTurn();
      if (this.responder.gone(res)) return;
      res.write(bytes.subarray(i, i + 1));
    }
    await nextTurn();
    if (!this.responder.gone(res)) res.end();
  }

  private bytewiseText(g: Generation, shaper: Shaper, lineEnd: string, comments: boolean): string {
    const parts: string[] = [];
    if (comments) parts.push(`: keep-alive${lineEnd}${lineEnd}`);
    let e = 0;
    for (const shaped of dataOf(g, shaper)) {
      if (comments && e % 2 === 1) parts.push(`: keep-alive${lineEnd}`);
      if (e % 3 === 1) {
        const lines = JSON.stringify(shaped, null, 1).split('\n');
        lines.forEach((line, i) => {
          parts.push(`data: ${line}${lineEnd}`);
          if (comments && i === 0) parts.push(`: keep-alive${lineEnd}`);
        });
      } else {
        parts.push(`data: ${JSON.stringify(shaped)}${lineEnd}`);
      }
      parts.push(lineEnd);
      e++;
    }
    if (shaper.end !== '') parts.push(shaper.end.replace(/\n/g, lineEnd));
    return parts.join('');
  }

  /** Any answer, written a few bytes at a time. */
  async drip(ex: Exchange, status: number, headers: Record<string, string | number>, bytes: Buffer, intervalMs: number, chunkBytes: number): Promise<void> {
    const { res } = ex;
    res.writeHead(status, headers);
    res.flushHeaders();
    const step = Math.max(1, Math.floor(chunkBytes));
    for (let i = 0; i < bytes.length; i += step) {
      await this.sleeper.sleep(Math.max(0, intervalMs));
      if (this.responder.gone(res)) return;
      res.write(bytes.subarray(i, i + step));
    }
    if (!this.responder.gone(res)) res.end();
  }
}
