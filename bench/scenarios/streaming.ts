/**
 * Streaming through create-completion in the embedded Node-RED (result format raw, one
 * message per event on output 1):
 * - delay: the bench server (another process) stamps each event with the time just
 *   before writing it; the delay is read when create-completion calls send() with that
 *   event's message (a Node-RED onSend hook), on one shared clock (ms since the epoch).
 *   Once for a single stream (one event per ms), once for many streams at once through
 *   one node (1,000 by default, one event per 100 ms each, counted once all are open),
 *   with the heap they hold;
 * - rate: one long stream from the demo server (one event per token), written as fast
 *   as the server can; events per second at the node's output, and CPU per event.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import RED from 'node-red';
import { waitUntil } from '../loop';
import { BENCH_API_KEY } from '../common';
import { apiConfig, completionNode, startRed } from '../red-runtime';
import { outputSinks } from './flows';
import { collect, cpuMicros, percentile } from '../stats';

export interface StreamingOptions {
  demoUrl: string;
  benchUrl: string;
  singleEvents: number;
  streams: number;
  eventsPerStream: number;
  intervalMs: number;
  longTokens: number;
}

export interface StreamingResult {
  single: { events: number; p50Ms: number; p99Ms: number; maxMs: number };
  many: {
    streams: number;
    events: number;
    seconds: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** From sending the messages until every stream had sent its first event. */
    openMs: number;
    eventsPerSecond: number;
    cpuUsPerEvent: number;
    loopDelayP99Ms: number;
    heapBefore: number;
    heapHeld: number;
    completed: number;
    failed: number;
  };
  long: { events: number; seconds: number; eventsPerSecond: number; cpuUsPerEvent: number; finalComplete: boolean };
}

const now = () => performance.timeOrigin + performance.now();

export async function streaming(options: StreamingOptions): Promise<StreamingResult> {
  const z = 'bench';
  const many = Math.max(options.streams, 1);
  const flow = [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api-clock1', `${options.benchUrl}/clock/1/v1`),
    apiConfig('api-clock', `${options.benchUrl}/clock/${options.intervalMs}/v1`, { maxInFlight: String(many), maxQueue: String(many) }),
    apiConfig('api-hold', `${options.benchUrl}/clock/1000/v1`, { maxInFlight: String(many), maxQueue: String(many) }),
    apiConfig('api-demo', options.demoUrl),
    completionNode('cc-single', 'api-clock1', z, [['out'], ['pass']]),
    completionNode('cc-many', 'api-clock', z, [['out'], ['pass']]),
    completionNode('cc-hold', 'api-hold', z, [['out'], ['pass']]),
    completionNode('cc-long', 'api-demo', z, [['out'], ['pass']]),
    ...outputSinks(z, 'out'),
  ];
  const key = { apiKey: BENCH_API_KEY };
  const red = await startRed(flow, { 'api-clock1': key, 'api-clock': key, 'api-hold': key, 'api-demo': key });
  let delays: number[] = [];
  let recording = '';
  let chunks = 0;
  // What each node sends, the moment it sends it: a chunk message (not the final, `complete` one) carries its event.
  const hooks = RED.hooks as unknown as { add(name: string, fn: (events: Array<{ msg: any; source: { id: string; port: number } }>) => void): void; remove(name: string): void };
  // Many streams: the delays count once every stream has sent its first event (the
  // streams are then all open; the opening is timed on its own).
  let opened: Set<string> | undefined;
  let openTarget = 0;
  let allOpenAt = 0;
  hooks.add('onSend.bench', (events) => {
    const at = now();
    for (const e of events) {
      if (e.source.port !== 0 || e.msg.complete) continue;
      if (e.source.id === recording) {
        chunks++;
        if (opened && opened.size < openTarget) {
          opened.add(e.msg._msgid);
          if (opened.size === openTarget) allOpenAt = performance.now();
          continue;
        }
        const t = e.msg.payload?.body?.bench_t;
        if (typeof t === 'number') delays.push(at - t);
      }
    }
  });
  const ended = new Set<string>();
  const failures: string[] = [];
  const final: { msg?: Record<string, any> } = {};
  const lastFinal = (): Record<string, any> | undefined => final.msg;
  red.hub.onSink = (sink, msg) => {
    if (sink === 'errors') {
      failures.push(String(msg.error?.message));
      ended.add(msg._msgid);
    } else if (sink === 'pass') {
      ended.add(msg._msgid);
    } else if (msg.complete && msg._msgid === 'long') {
      final.msg = msg;
    }
  };
  const stream = (max_tokens: number) => ({ model: 'demo-instruct', prompt: 'Say this is a test', max_tokens, stream: true });
  const send = (nodeId: string, id: string, payload: object) => (red.getNode(nodeId) as { receive(m: object): void }).receive({ _msgid: id, payload });
  const run = async (nodeId: string, id: string, payload: object, timeoutMs: number) => {
    send(nodeId, id, payload);
    await waitUntil(() => ended.has(id), timeoutMs);
    if (failures.length) throw new Error(`stream failed: ${failures.join('; ')}`);
  };
  try {
    // 1. One stream, one event per ms.
    recording = 'cc-single';
    await run('cc-single', 'warm-single', stream(Math.min(300, options.singleEvents)), 60_000);
    delays = [];
    await run('cc-single', 'single', stream(options.singleEvents), 120_000);
    const single = { events: delays.length, p50Ms: percentile(delays, 50), p99Ms: percentile(delays, 99), maxMs: percentile(delays, 100) };

    // 2. Many streams at once through one node.
    recording = 'cc-many';
    const warm = Math.min(100, many);
    for (let i = 0; i < warm; i++) send('cc-many', `warm-many-${i}`, stream(10));
    await waitUntil(() => [...Array(warm).keys()].every((i) => ended.has(`warm-many-${i}`)), 60_000);
    failures.length = 0;
    const heapBefore = await collect();
    delays = [];
    chunks = 0;
    opened = new Set();
    openTarget = many;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < many; i++) send('cc-many', `many-${i}`, stream(options.eventsPerStream));
    await waitUntil(() => [...Array(many).keys()].every((i) => ended.has(`many-${i}`)), 300_000, 20);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuMicros(cpu0);
    loop.disable();
    const manyDelays = delays;
    const openMs = allOpenAt - t0;
    opened = undefined;
    const manyFailed = failures.length;
    failures.length = 0;

    // The heap the streams hold half-way: the same number of streams, each paused a second between events.
    recording = '';
    for (let i = 0; i < many; i++) send('cc-hold', `hold-${i}`, stream(3));
    await new Promise((r) => setTimeout(r, 1500));
    const heapHeld = await collect();
    await waitUntil(() => [...Array(many).keys()].every((i) => ended.has(`hold-${i}`)), 120_000, 20);

    // 3. One long stream from the demo server, as fast as it writes.
    recording = 'cc-long';
    await run('cc-long', 'warm-long', stream(Math.min(2000, options.longTokens)), 60_000);
    chunks = 0;
    final.msg = undefined;
    const lcpu0 = process.cpuUsage();
    const lt0 = performance.now();
    await run('cc-long', 'long', stream(options.longTokens), 120_000);
    const longSeconds = (performance.now() - lt0) / 1000;
    const longCpu = cpuMicros(lcpu0);
    const longEvents = chunks;
    if (lastFinal()?.complete !== true) throw new Error(`the long stream ended without its final message (${longEvents} events): is the demo server's context long enough?`);
    const finalText: unknown = lastFinal()?.payload?.body?.choices?.[0]?.text;

    return {
      single,
      many: {
        streams: many,
        events: manyDelays.length,
        seconds,
        p50Ms: percentile(manyDelays, 50),
        p99Ms: percentile(manyDelays, 99),
        maxMs: percentile(manyDelays, 100),
        openMs,
        eventsPerSecond: chunks / seconds,
        cpuUsPerEvent: cpu / Math.max(1, chunks),
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        heapBefore,
        heapHeld,
        completed: many - manyFailed,
        failed: manyFailed,
      },
      long: {
        events: longEvents,
        seconds: longSeconds,
        eventsPerSecond: longEvents / longSeconds,
        cpuUsPerEvent: longCpu / Math.max(1, longEvents),
        finalComplete: lastFinal()?.complete === true && typeof finalText === 'string' && longEvents >= options.longTokens,
      },
    };
  } finally {
    hooks.remove('onSend.bench');
    await red.stop();
  }
}
