/**
 * The client-library scenarios, each run in its own process against the demo server
 * (another process): the same request, the same number in flight, a closed loop.
 */
import http from 'node:http';
import axios from 'axios';
import OpenAI from 'openai';
import { BENCH_API_KEY, REQUEST, okBody } from '../common';
import { closedLoop, type LoopOptions, type LoopResult } from '../loop';

/** 0. Reference only: node:http with a keep-alive agent, JSON by hand, no library at all. */
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

/** 1. The limit: axios with keep-alive agents, nothing else. */
export async function bareAxios(baseUrl: string, loop: LoopOptions): Promise<LoopResult> {
  const agent = new http.Agent({ keepAlive: true });
  const client = axios.create({ httpAgent: agent, headers: { Authorization: `Bearer ${BENCH_API_KEY}` } });
  const url = `${baseUrl}/completions`;
  try {
    return await closedLoop(loop, (finish) => {
      client.post(url, REQUEST).then(
        (r) => finish(r.status === 200 && okBody(r.data)),
        () => finish(false),
      );
    });
  } finally {
    agent.destroy();
  }
}

/** 4. The official SDK (global fetch / undici, keep-alive by default). */
export async function openaiSdk(baseUrl: string, loop: LoopOptions): Promise<LoopResult> {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: BENCH_API_KEY, maxRetries: 0 });
  return closedLoop(loop, (finish) => {
    client.completions.create({ ...REQUEST }).then(
      (r) => finish(okBody(r)),
      () => finish(false),
    );
  });
}
