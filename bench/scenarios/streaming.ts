/**
 * Streaming through create-completion in the embedded Node-RED:
 * - latency: a tiny SSE server in this same process (so both ends read one clock)
 *   stamps each event with performance.now() just before writing it, one event per
 *   millisecond; the delay is read when the chunk message reaches the node wired to
 *   output 1 (so it includes Node-RED's hop to the next node);
 * - rate: one long stream (max_tokens 20000, one event per token) from the demo
 *   server, written as fast as the server can; events per second at output 1.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { waitUntil } from '../loop';
import { BENCH_API_KEY, listenOnLoopback } from '../common';
import { apiConfig, completionNode, startRed } from '../red-runtime';
import { cpuMicros, percentile } from '../stats';

interface ClockServer {
  url: string;
  close(): Promise<void>;
}

/** POST /v1/completions answers `max_tokens` events, `intervalMs` apart, each stamped with `bench_t`. */
function startClockServer(intervalMs: number): Promise<ClockServer> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const request = JSON.parse(Buffer.concat(parts).toString('utf8')) as { max_tokens?: number; model?: string };
      const count = request.max_tokens ?? 16;
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
        const last = i === count - 1;
        const chunk = {
          id: 'cmpl-clock',
          object: 'text_completion',
          created,
          model: request.model ?? 'demo-instruct',
          choices: [{ text: ' tok', index: 0, logprobs: null, finish_reason: last ? 'stop' : null }],
          bench_t: performance.now(),
        };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        i++;
        setTimeout(next, intervalMs);
      };
      next();
    });
  });
  return listenOnLoopback(server);
}

export interface StreamingResult {
  latencyEvents: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  longEvents: number;
  longSeconds: number;
  eventsPerSecond: number;
  cpuUsPerEvent: number;
  finalComplete: boolean;
}

export async function streaming(demoUrl: string, latencyEvents: number, longTokens: number): Promise<StreamingResult> {
  const clock = await startClockServer(1);
  const z = 'bench';
  const flow = [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api-clock', clock.url),
    apiConfig('api-demo', demoUrl),
    { id: 'source', z, type: 'bench-source', wires: [['cc-clock']] },
    { id: 'source-long', z, type: 'bench-source', wires: [['cc-long']] },
    completionNode('cc-clock', 'api-clock', z, [['out-clock'], ['pass-clock']]),
    completionNode('cc-long', 'api-demo', z, [['out-long'], ['pass-long']]),
    { id: 'out-clock', z, type: 'bench-sink', wires: [] },
    { id: 'pass-clock', z, type: 'bench-sink', wires: [] },
    { id: 'out-long', z, type: 'bench-sink', wires: [] },
    { id: 'pass-long', z, type: 'bench-sink', wires: [] },
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', z, type: 'bench-sink', wires: [] },
  ];
  const credentials = { 'api-clock': { apiKey: BENCH_API_KEY }, 'api-demo': { apiKey: BENCH_API_KEY } };
  const red = await startRed(flow, credentials);
  try {
    let delays: number[] = [];
    let longChunks = 0;
    const seen: { last?: Record<string, any> } = {};
    const last = (): Record<string, any> | undefined => seen.last;
    const ended = new Set<string>();
    const failures: string[] = [];
    red.hub.onSink = (sink, msg) => {
      if (sink === 'out-clock') {
        if (msg.complete) seen.last = msg;
        else delays.push(performance.now() - msg.payload.body.bench_t);
      } else if (sink === 'out-long') {
        if (msg.complete) seen.last = msg;
        else longChunks++;
      } else if (sink === 'errors') {
        failures.push(String(msg.error?.message));
        ended.add(msg._msgid);
      } else {
        ended.add(msg._msgid);
      }
    };
    const run = async (sourceId: string, id: string, payload: object, timeoutMs: number) => {
      red.hub.sources.get(sourceId)!.send({ _msgid: id, payload });
      await waitUntil(() => ended.has(id), timeoutMs);
      if (failures.length) throw new Error(`stream failed: ${failures.join('; ')}`);
    };
    const stream = (max_tokens: number) => ({ model: 'demo-instruct', prompt: 'Say this is a test', max_tokens, stream: true });

    // Warm-up, then the measured latency stream.
    await run('source', 'warm-clock', stream(Math.min(300, latencyEvents)), 60_000);
    delays = [];
    await run('source', 'clock', stream(latencyEvents), 120_000);
    const latencyCount = delays.length;

    await run('source-long', 'warm-long', stream(Math.min(2000, longTokens)), 60_000);
    longChunks = 0;
    seen.last = undefined;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run('source-long', 'long', stream(longTokens), 120_000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuMicros(cpu0);
    const finalText: unknown = last()?.payload?.body?.choices?.[0]?.text;
    return {
      latencyEvents: latencyCount,
      latencyP50Ms: percentile(delays, 50),
      latencyP99Ms: percentile(delays, 99),
      latencyMaxMs: percentile(delays, 100),
      longEvents: longChunks,
      longSeconds: seconds,
      eventsPerSecond: longChunks / seconds,
      cpuUsPerEvent: cpu / longChunks,
      finalComplete: last()?.complete === true && typeof finalText === 'string' && longChunks >= longTokens,
    };
  } finally {
    await red.stop();
    await clock.close();
  }
}
