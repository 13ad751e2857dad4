/**
 * Memory and long inputs:
 * - the queue: many messages with large prompts behind a connection whose one request
 *   never gets an answer, under the connection's default limits (10,000 waiting, 64 MB
 *   of waiting request bodies): how many wait, how many are refused with QUEUE_FULL, and
 *   the heap they hold;
 * - settling the queue: as many small messages as the queue takes by default, behind one
 *   request that never ends, then a deploy of the changed node alone (its Catch node stays):
 *   how long the deploy takes and the longest event-loop stall while every message ends as
 *   a caught error;
 * - the soak: heap growth over many requests through one node;
 * - a long line: one SSE `data:` line of many megabytes, fed in 4 KB pieces: CPU time and
 *   the longest event-loop stall while the node reads it.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { closedLoop, waitUntil, type LoopResult } from '../loop';
import { BENCH_API_KEY, REQUEST } from '../common';
import { completionNode, startRed } from '../red-runtime';
import { outputSinks, singleNodeFlow } from './flows';
import { collect, cpuMicros } from '../stats';

export interface QueueResult {
  sent: number;
  promptBytes: number;
  inFlight: number;
  queued: number;
  refused: number;
  otherErrors: string[];
  /** The queue's limits as the connection has them by default. */
  maxQueue: number;
  maxQueueBytes: number;
  heapBefore: number;
  heapAfter: number;
  rssAfter: number;
  enqueueMs: number;
  stopMs: number;
}

/** A prompt of `bytes` ASCII characters, a string of its own (not a slice or a rope of a shared one). */
function ownPrompt(bytes: number, i: number): string {
  const buffer = Buffer.alloc(bytes, 0x61);
  buffer.write(`prompt ${i} `, 0, 'latin1');
  return buffer.toString('latin1');
}

/**
 * One node before a server that never answers, with sinks on both outputs and a Catch
 * node: one request in flight, a long timeout, no retries; the queue's limits are the
 * connection's defaults.
 */
function queueFlow(hangUrl: string, name: string): object[] {
  const z = 'bench';
  return [
    { id: z, type: 'tab', label: 'bench' },
    { id: 'api', type: 'completion-api', name, baseUrl: hangUrl, responseTimeout: '600', idleTimeout: '600', maxRetries: '0', maxInFlight: '1' },
    completionNode('cc', 'api', z, [['results'], ['pass']]),
    ...outputSinks(z, 'results'),
  ];
}

/**
 * `count` messages, each with a prompt of its own of `promptBytes`, into one node with
 * maxInFlight 1 against a server that never answers; the queue's limits left at the
 * connection's defaults.
 */
export async function queuedHeap(hangUrl: string, count: number, promptBytes: number): Promise<QueueResult> {
  const flow = queueFlow(hangUrl, 'queue');
  const red = await startRed(flow, { api: { apiKey: BENCH_API_KEY } });
  let refused = 0;
  const otherErrors: string[] = [];
  red.hub.onSink = (sink, msg) => {
    if (sink !== 'errors') return;
    if (msg.error?.code === 'QUEUE_FULL' || /QUEUE_FULL|queue full/.test(String(msg.error?.message))) refused++;
    else if (otherErrors.length < 5) otherErrors.push(String(msg.error?.message));
  };
  const connection = red.getNode('api').connection as { settings: { maxQueue: number; maxQueueBytes: number }; limiter: { active: number; waiting: unknown[] } };
  const node = red.getNode('cc') as { receive(m: object): void };
  await new Promise((r) => setTimeout(r, 200));
  const heapBefore = await collect();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) node.receive({ _msgid: `q${i}`, payload: { ...REQUEST, prompt: ownPrompt(promptBytes, i) } });
  const { limiter } = connection;
  await waitUntil(() => limiter.active + limiter.waiting.length + refused + otherErrors.length >= count, 120_000, 20);
  const enqueueMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 200));
  const heapAfter = await collect();
  const rssAfter = process.memoryUsage().rss;
  const queued = limiter.waiting.length;
  const inFlight = limiter.active;
  // How long stopping the flow takes with all of them pending (each is aborted and settled).
  const s0 = performance.now();
  await red.stop();
  return {
    sent: count, promptBytes, inFlight, queued, refused, otherErrors,
    maxQueue: connection.settings.maxQueue, maxQueueBytes: connection.settings.maxQueueBytes,
    heapBefore, heapAfter, rssAfter, enqueueMs, stopMs: performance.now() - s0,
  };
}

export interface SettleResult {
  queued: number;
  caught: number;
  deployMs: number;
  longestStallMs: number;
}

/**
 * The queue's default limit of small messages into one node with maxInFlight 1 against a
 * server that never answers, then a deploy of that node alone: each message ends as
 * ABORTED, caught by the Catch node, which the deploy leaves running.
 */
export async function settleQueue(hangUrl: string): Promise<SettleResult> {
  const flow = queueFlow(hangUrl, 'settle');
  const red = await startRed(flow, { api: { apiKey: BENCH_API_KEY } });
  try {
    let caught = 0;
    red.hub.onSink = (sink, msg) => {
      if (sink === 'errors' && msg.error?.code === 'ABORTED') caught++;
    };
    const connection = red.getNode('api').connection as { settings: { maxQueue: number }; limiter: { active: number; waiting: unknown[] } };
    const count = connection.settings.maxQueue + 1;
    const node = red.getNode('cc') as { receive(m: object): void };
    for (let i = 0; i < count; i++) node.receive({ _msgid: `s${i}`, payload: { ...REQUEST, prompt: `prompt ${i}` } });
    const { limiter } = connection;
    await waitUntil(() => limiter.active + limiter.waiting.length >= count, 120_000, 20);
    await new Promise((r) => setTimeout(r, 200));
    const queued = limiter.waiting.length;
    await collect();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    await red.deploy(flow.map((n) => ((n as { id: string }).id === 'cc' ? { ...n, name: 'changed' } : n)), 'nodes');
    const deployMs = performance.now() - t0;
    await waitUntil(() => caught >= count, 60_000, 5);
    loop.disable();
    return { queued, caught, deployMs, longestStallMs: loop.max / 1e6 };
  } finally {
    await red.stop();
  }
}

export interface SoakResult extends LoopResult {
  heapBefore: number;
  heapAfter: number;
}

/** `count` requests through one node (16 in flight, messages in through receive()) against the demo server; heap after a full GC before and after. */
export async function soak(demoUrl: string, count: number, warmupMs: number): Promise<SoakResult> {
  const red = await startRed(singleNodeFlow(demoUrl, { maxInFlight: '16' }), { api: { apiKey: BENCH_API_KEY } });
  const pending = new Map<string, { finish: (ok: boolean) => void; left: number; ok: boolean }>();
  red.hub.onSink = (sink, msg) => {
    const entry = pending.get(msg._msgid);
    if (!entry) return;
    if (sink === 'errors') entry.ok = false;
    if (sink === 'errors' || --entry.left === 0) {
      pending.delete(msg._msgid);
      entry.finish(entry.ok);
    }
  };
  try {
    const node = red.getNode('cc') as { receive(m: object): void };
    let heapBefore = 0;
    let seq = 0;
    const result = await closedLoop(
      {
        concurrency: 16,
        warmupMs,
        measureCount: count,
        limitMs: 240_000,
        beforeMeasure: async () => {
          heapBefore = await collect();
        },
      },
      (finish) => {
        const id = `s${(seq++).toString(36)}`;
        pending.set(id, { finish, left: 2, ok: true });
        node.receive({ _msgid: id, payload: { ...REQUEST } });
      },
    );
    await new Promise((r) => setTimeout(r, 200));
    const heapAfter = await collect();
    return { ...result, heapBefore, heapAfter };
  } finally {
    await red.stop();
  }
}

export interface LongLineResult {
  bytes: number;
  ok: boolean;
  code?: string;
  message?: string;
  seconds: number;
  cpuMs: number;
  longestStallMs: number;
  /** Length of the text in the assembled answer, when it succeeded. */
  textLength?: number;
}

/** One SSE line of each size in `sizes` (bytes), fed in 4 KB pieces by the bench server, through one node with the default 16 MB limit. */
export async function longLines(benchUrl: string, sizes: number[]): Promise<LongLineResult[]> {
  const z = 'bench';
  const flow: object[] = [{ id: z, type: 'tab', label: 'bench' }];
  const credentials: Record<string, Record<string, string>> = {};
  sizes.forEach((bytes, i) => {
    flow.push(
      // The connection's limits at their defaults (maxResponseMB 16).
      { id: `api${i}`, type: 'completion-api', name: `long ${bytes}`, baseUrl: `${benchUrl}/long/${bytes}/v1`, maxRetries: '0' },
      completionNode(`cc${i}`, `api${i}`, z, [['out'], ['pass']]),
    );
    credentials[`api${i}`] = { apiKey: BENCH_API_KEY };
  });
  flow.push(...outputSinks(z, 'out'));
  const red = await startRed(flow, credentials);
  const results: LongLineResult[] = [];
  try {
    for (let i = 0; i < sizes.length; i++) {
      let outcome: { ok: boolean; code?: string; message?: string; textLength?: number } | undefined;
      red.hub.onSink = (sink, msg) => {
        if (sink === 'errors') outcome = { ok: false, code: msg.error?.code, message: String(msg.error?.message) };
        else if (sink === 'out' && msg.complete) outcome = { ok: true, textLength: String(msg.payload?.body?.choices?.[0]?.text ?? '').length };
      };
      await collect();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      (red.getNode(`cc${i}`) as { receive(m: object): void }).receive({ _msgid: `long${i}`, payload: { model: 'demo-instruct', prompt: 'x', max_tokens: 1, stream: true } });
      await waitUntil(() => outcome !== undefined, 180_000, 2);
      const seconds = (performance.now() - t0) / 1000;
      const cpuMs = cpuMicros(cpu0) / 1000;
      loop.disable();
      results.push({ bytes: sizes[i], ...outcome!, seconds, cpuMs, longestStallMs: loop.max / 1e6 });
      process.stdout.write(`long line of ${sizes[i]} bytes: ${outcome!.ok ? 'ok' : outcome!.code} in ${seconds.toFixed(2)} s, ${cpuMs.toFixed(0)} ms CPU, longest stall ${(loop.max / 1e6).toFixed(1)} ms\n`);
    }
  } finally {
    await red.stop();
  }
  return results;
}
