import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/** The package root this build belongs to (dist/bench/ → ../..). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Sent by every client; the demo server does not check it, but the node's secret scrubbing is then active, as for a real user. */
export const BENCH_API_KEY = 'sk-bench-0123456789abcdef';

/** The one request of the throughput scenarios. */
export const REQUEST = { model: 'demo-instruct', prompt: 'Say this is a test', max_tokens: 8 } as const;

export const okBody = (body: unknown): boolean => Array.isArray((body as { choices?: unknown } | null)?.choices);

/** A bench-local server on 127.0.0.1: its /v1 base URL, and a close that also ends open (hanging) sockets. */
export function listenOnLoopback(server: http.Server): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/v1`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
