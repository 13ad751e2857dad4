// Reading a request body: bounded, parsed as JSON when it is JSON, kept as text otherwise.

import type * as http from 'node:http';
import type { Incoming } from '../dialects/types';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface ReadBody extends Incoming {
  /** Over MAX_BODY_BYTES: the body was dropped. */
  tooLarge: boolean;
}

export function readBody(req: http.IncomingMessage, done: (body: ReadBody) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      chunks.length = 0;
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    let parsed = false;
    if (text.length > 0 && !tooLarge) {
      try {
        body = JSON.parse(text);
        parsed = true;
      } catch {
        /* keep the raw text */
      }
    }
    done({ body, parsed, empty: text.length === 0 && !tooLarge, text, tooLarge });
  });
}
