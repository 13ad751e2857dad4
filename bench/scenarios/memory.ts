/**
 * Memory: messages queued behind a connection whose one request never gets an
 * answer, and heap growth over a long soak through one node.
 */
import http from 'node:http';
import { closedLoop, waitUntil, type LoopResult } from '../loop';
import { BENCH_API_KEY, REQUEST, listenOnLoopback } from '../common';
import { startRed } from '../red-runtime';
import { singleNodeFlow } from './flows';
import { collect } from '../stats';


/** A server that reads each request and never answers it. */
function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req) => {
    req.resume();
  });
  return listenOnLoopback(server);
}

export interface QueueResult {
  queued: number;
  heapBefore: number;
  heapAfter: number;
  bytesPerMessage: number;
  stopMs: number;
}

/** `count` messages into one node with maxInFlight 1 against a server that never answers. */
export async function queuedHeap(count: number): Promise<QueueResult> {
  const hang = await startHangingServer();
  const red = await startRed(singleNodeFlow(hang.url, { maxInFlight: '1', maxQueue: String(count + 10), timeout: '600', maxRetries: '0' }), {
    api: { apiKey: BENCH_API_KEY },
  });
  try {
    const source = red.hub.sources.get('source')!;
    const limiter = red.getNode('api').connection.limiter as { queued: number; inFlight: number };
    // Let the runtime settle, then the baseline.
    await new Promise((r) => setTimeout(r, 200));
    const heapBefore = await collect();
    for (let i = 0; i < count; i++) source.send({ _msgid: `q${i}`, payload: { ...REQUEST } });
    await waitUntil(() => limiter.inFlight + limiter.queued === count, 60_000, 20);
    await new Promise((r) => setTimeout(r, 200));
    const heapAfter = await collect();
    const queued = limiter.queued;
    // How long stopping the flow takes with all of them pending (each is aborted and settled).
    const t0 = Date.now();
    await red.stop();
    return { queued, heapBefore, heapAfter, bytesPerMessage: (heapAfter - heapBefore) / count, stopMs: Date.now() - t0 };
  } finally {
    await hang.close();
  }
}

export interface SoakResult extends LoopResult {
  heapBefore: number;
  heapAfter: number;
}

/** `count` requests through one node (16 in flight) against the demo server; heap after a full GC before and after. */
export async function soak(demoUrl: string, count: number, warmupMs: number): Promise<SoakResult> {
  const red = await startRed(singleNodeFlow(demoUrl, { maxInFlight: '16' }), { api: { apiKey: BENCH_API_KEY } });
  const pending = new Map<string, (ok: boolean) => void>();
  red.hub.onSink = (sink, msg) => {
    if (sink === 'results') return;
    const finish = pending.get(msg._msgid);
    if (!finish) return;
    pending.delete(msg._msgid);
    finish(sink === 'pass');
  };
  try {
    const source = red.hub.sources.get('source')!;
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
        pending.set(id, finish);
        source.send({ _msgid: id, payload: { ...REQUEST } });
      },
    );
    await new Promise((r) => setTimeout(r, 200));
    const heapAfter = await collect();
    return { ...result, heapBefore, heapAfter };
  } finally {
    await red.stop();
  }
}
