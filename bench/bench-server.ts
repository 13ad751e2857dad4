/**
 * The benchmark's own completion server, run as a child process (`node
 * dist/bench/bench-server.js`, prints "bench server on <url>") so that its work is not
 * billed to the process that holds Node-RED. Each case is a base-URL prefix:
 *
 *   /clock/<ms>/v1/completions   a stream of `max_tokens` events, one every <ms>
 *                                milliseconds, each stamped with `bench_t`: the time
 *                                (performance.timeOrigin + performance.now(), ms since
 *                                the epoch, shared by both processes) just before it is written
 *   /long/<bytes>/v1/completions one event whose `data:` line is <bytes> long (the
 *                                choice's text), written in 4 KB pieces, then [DONE]
 *   /hang/v1/completions         reads the request and never answers
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const PIECE = 4096;
const now = () => performance.timeOrigin + performance.now();

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
      } catch {
        resolve({});
      }
    });
  });
}

function clock(res: http.ServerResponse, request: Record<string, unknown>, intervalMs: number): void {
  const count = typeof request.max_tokens === 'number' ? request.max_tokens : 16;
  const created = Math.floor(Date.now() / 1000);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i >= count) {
      res.end('data: [DONE]\n\n');
      return;
    }
    const chunk = {
      id: 'cmpl-clock', object: 'text_completion', created, model: request.model ?? 'demo-instruct',
      choices: [{ text: ' tok', index: 0, logprobs: null, finish_reason: i === count - 1 ? 'stop' : null }],
      bench_t: now(),
    };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    i++;
    setTimeout(next, intervalMs);
  };
  next();
}

/** `data: {"…","choices":[{"text":"xxxx…"…}]}`: one line of `bytes` bytes, in 4 KB pieces, each written when the last has drained. */
function longLine(res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const head = 'data: {"id":"cmpl-long","object":"text_completion","created":0,"model":"demo-instruct","choices":[{"index":0,"logprobs":null,"finish_reason":"stop","text":"';
  const tail = '"}]}';
  let left = Math.max(0, bytes - head.length - tail.length);
  const piece = 'x'.repeat(PIECE);
  res.write(head);
  const more = () => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(PIECE, left);
      left -= n;
      if (!res.write(n === PIECE ? piece : piece.slice(0, n))) {
        res.once('drain', more);
        return;
      }
    }
    if (!res.destroyed) res.end(`${tail}\n\ndata: [DONE]\n\n`);
  };
  more();
}

export function startBenchServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const m = /^\/(clock|long|hang)(?:\/(\d+))?\/v1\/completions/.exec(url);
    if (!m || req.method !== 'POST') {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    if (m[1] === 'hang') {
      req.resume();
      return;
    }
    void readJson(req).then((request) => (m[1] === 'clock' ? clock(res, request, Number(m[2])) : longLine(res, Number(m[2]))));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    // A long backlog: a thousand streams open their sockets at once.
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

if (require.main === module) {
  void startBenchServer().then((s) => {
    process.stdout.write(`bench server on ${s.url}\n`);
    process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
  });
}
