import { performance } from 'node:perf_hooks';
import { cpuMicros, percentile } from './stats';

export interface LoopOptions {
  /** Requests kept in flight. */
  concurrency: number;
  /** Run this long before measuring (JIT, sockets, caches). */
  warmupMs: number;
  /** Measure for this long... */
  measureMs?: number;
  /** ...or until this many requests have finished. */
  measureCount?: number;
  /** Give up if the measured phase takes longer than this. */
  limitMs?: number;
  /** Called once between warm-up and measurement (e.g. to take a heap snapshot); may be async. */
  beforeMeasure?: () => Promise<void> | void;
}

export interface LoopResult {
  completed: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** process.cpuUsage (user + system, every thread of this process) over the measured phase, per finished request. */
  cpuUsPerMsg: number;
}

/**
 * `finish(ok, resultAt?)`: the request has ended; `resultAt` (a performance.now() time)
 * is when its result was seen, when that differs from the moment finish is called.
 */
export type Finish = (ok: boolean, resultAt?: number) => void;
export type Fire = (finish: Finish) => void;

/**
 * A closed loop: `concurrency` requests in flight, a new one started as soon as one
 * ends. Warm-up first, then a measured phase (by time or count); then no new requests
 * start and the loop resolves once the last one in flight has ended.
 */
export function closedLoop(options: LoopOptions, fire: Fire): Promise<LoopResult> {
  return new Promise<LoopResult>((resolve, reject) => {
    let phase: 'warmup' | 'pause' | 'measure' | 'drain' = 'warmup';
    let inFlight = 0;
    let completed = 0;
    let errors = 0;
    const latencies: number[] = [];
    let t0 = 0;
    let t1 = 0;
    let cpu0: NodeJS.CpuUsage = process.cpuUsage();
    let cpuUs = 0;
    let measureTimer: NodeJS.Timeout | undefined;
    let limitTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const done = () => {
      if (settled) return;
      settled = true;
      if (limitTimer) clearTimeout(limitTimer);
      const seconds = (t1 - t0) / 1000;
      resolve({
        completed,
        errors,
        seconds,
        rps: completed / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        cpuUsPerMsg: cpuUs / completed,
      });
    };

    const endMeasure = () => {
      if (phase !== 'measure') return;
      t1 = performance.now();
      cpuUs = cpuMicros(cpu0);
      phase = 'drain';
      if (measureTimer) clearTimeout(measureTimer);
      if (inFlight === 0) done();
      // Requests still in flight get a while to end; a stuck one must not hang the bench.
      setTimeout(() => done(), 30_000).unref();
    };

    const launch = () => {
      inFlight++;
      const start = performance.now();
      let ended = false;
      try {
        fire((ok, resultAt) => {
          if (ended) return;
          ended = true;
          inFlight--;
          if (phase === 'measure') {
            completed++;
            if (!ok) errors++;
            latencies.push((resultAt ?? performance.now()) - start);
            if (options.measureCount !== undefined && completed >= options.measureCount) endMeasure();
          }
          if (phase === 'warmup' || phase === 'measure') launch();
          else if (phase === 'drain' && inFlight === 0) done();
        });
      } catch (error) {
        settled = true;
        reject(error);
      }
    };

    const startMeasure = async () => {
      // Pause new work while a hook (a heap snapshot, say) runs on a quiet loop.
      if (options.beforeMeasure) {
        phase = 'pause';
        await waitUntil(() => inFlight === 0);
        await options.beforeMeasure();
        phase = 'measure';
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        for (let i = 0; i < options.concurrency; i++) launch();
      } else {
        phase = 'measure';
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      if (options.measureMs !== undefined) measureTimer = setTimeout(endMeasure, options.measureMs);
      if (options.limitMs !== undefined) limitTimer = setTimeout(endMeasure, options.limitMs);
    };

    for (let i = 0; i < options.concurrency; i++) launch();
    setTimeout(() => void startMeasure().catch(reject), options.warmupMs);
  });
}

export function waitUntil(condition: () => boolean, timeoutMs = 60_000, everyMs = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`condition not met within ${timeoutMs} ms`));
      setTimeout(check, everyMs);
    };
    check();
  });
}
