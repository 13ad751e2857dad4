// Writing answers: the dialect's headers and content types, and the ways a connection ends.

import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { DialectRules, Reply, Route, StandardError } from '../dialects/types';

export type Headers = Record<string, string | number>;

/** One request and its response, as the modules that answer it see them. */
export interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  number: number;
  start: number;
  route: Route;
}

export const JSON_TYPE = 'application/json';
export const SSE_TYPE = 'text/event-stream';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export class Responder {
  constructor(
    private readonly rules: DialectRules,
    private readonly isClosed: () => boolean,
  ) {}

  /** Whether writing to this response is pointless (server closing, client gone). */
  gone(res: http.ServerResponse): boolean {
    return this.isClosed() || res.destroyed || !res.socket || res.socket.destroyed;
  }

  headers(ex: Exchange, contentType?: string): Headers {
    const h: Headers = this.rules.headers(ex.number, ex.start);
    if (contentType) h['content-type'] = contentType === JSON_TYPE ? this.rules.jsonType : contentType;
    return h;
  }

  streamHeaders(ex: Exchange): Headers {
    return { ...this.headers(ex, SSE_TYPE), 'cache-control': 'no-cache', ...this.rules.streamHeaders() };
  }

  text(ex: Exchange, status: number, text: string, headers: Headers): void {
    headers['content-length'] = Buffer.byteLength(text);
    ex.res.writeHead(status, headers);
    ex.res.end(text);
  }

  json(ex: Exchange, status: number, body: unknown): void {
    this.text(ex, status, JSON.stringify(body), this.headers(ex, JSON_TYPE));
  }

  /** A dialect's answer: an object body as JSON, a string body as text/plain. */
  reply(ex: Exchange, reply: Reply): void {
    const { text, headers } = this.replyParts(ex, reply);
    this.text(ex, reply.status, text, headers);
  }

  /** The text and headers of a reply, for writers that send it their own way (drip). */
  replyParts(ex: Exchange, reply: Reply): { text: string; headers: Headers } {
    const isText = typeof reply.body === 'string';
    const headers = this.headers(ex, reply.contentType ?? (isText ? TEXT_TYPE : JSON_TYPE));
    for (const [k, v] of Object.entries(reply.headers ?? {})) headers[k.toLowerCase()] = v;
    return { text: isText ? (reply.body as string) : JSON.stringify(reply.body), headers };
  }

  error(ex: Exchange, e: StandardError): void {
    this.reply(ex, this.rules.error(e));
  }
}

/** Destroy a socket once what was written to it has left the process (so the client sees it). */
export function destroyWhenFlushed(socket: Socket | null, tries = 0): void {
  if (!socket || socket.destroyed) return;
  if (socket.writableLength === 0 || tries > 200) {
    socket.destroy();
    return;
  }
  setTimeout(() => destroyWhenFlushed(socket, tries + 1), tries < 20 ? 0 : 5);
}

export function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}
