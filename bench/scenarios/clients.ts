/**
 * The client loops without Node-RED, run in the throughput process beside the nodes
 * (throughput.ts) against the demo server (another process): the same request, the
 * same number in flight, a closed loop.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { BENCH_API_KEY, REQUEST, okBody } from '../common';
import { closedLoop, type LoopOptions, type LoopResult } from '../loop';

/** Reference only: node:http with a keep-alive agent, JSON by hand, no library at all. */
export async function bareHttp(baseUrl: string, loop: LoopOptions): Promise<LoopResult> {
  const agent = new http.Agent({ keepAlive: true });
  const url = new URL(`${baseUrl}/completions`);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };
  try {
    return await closedLoop(loop, (finish) => {
      const body = JSON.stringify(REQUEST);
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            try {
              finish(res.statusCode === 200 && okBody(JSON.parse(Buffer.concat(parts).toString('utf8'))));
            } catch {
              finish(false);
            }
          });
          res.on('error', () => finish(false));
        },
      );
      req.on('error', () => finish(false));
      req.end(body);
    });
  } finally {
    agent.destroy();
  }
}

/**
 * Where undici is loaded from: it is not a dependency of this package, so the row runs
 * only where BENCH_UNDICI names the folder of an installed undici package (or one can
 * be resolved from here).
 */
function undiciPath(): string | undefined {
  const candidates = [process.env.BENCH_UNDICI, 'undici'].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    try {
      return require.resolve(candidate);
    } catch {
      // next
    }
  }
  return undefined;
}

/** The undici version the reference row uses, or undefined when none can be loaded. */
export function undiciVersion(): string | undefined {
  const main = undiciPath();
  if (!main) return undefined;
  try {
    let dir = path.dirname(main);
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return String(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version);
  } catch {
    return 'unknown';
  }
}

interface UndiciPool {
  request(options: object): Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
  close(): Promise<void>;
}

/** Reference only: undici's fastest request path, one Pool per origin (as a transport would hold), JSON by hand. */
export async function bareUndici(baseUrl: string, loop: LoopOptions): Promise<LoopResult> {
  const main = undiciPath();
  if (!main) throw new Error('undici is not installed (set BENCH_UNDICI)');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require(main) as { Pool: new (origin: string, options?: object) => UndiciPool };
  const url = new URL(`${baseUrl}/completions`);
  const pool = new Pool(url.origin, { connections: loop.concurrency });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };
  try {
    return await closedLoop(loop, (finish) => {
      const body = JSON.stringify(REQUEST);
      pool.request({ path: url.pathname, method: 'POST', headers, body }).then(
        (res) =>
          res.body.text().then((text) => {
            try {
              finish(res.statusCode === 200 && okBody(JSON.parse(text)));
            } catch {
              finish(false);
            }
          }),
        () => finish(false),
      ).catch(() => finish(false));
    });
  } finally {
    await pool.close();
  }
}

/** The official SDK (global fetch / undici, keep-alive by default). */
export async function openaiSdk(baseUrl: string, loop: LoopOptions): Promise<LoopResult> {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: BENCH_API_KEY, maxRetries: 0 });
  return closedLoop(loop, (finish) => {
    client.completions.create({ ...REQUEST }).then(
      (r) => finish(okBody(r)),
      () => finish(false),
    );
  });
}
