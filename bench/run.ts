/**
 * `npm run bench`: create-completion as a Node-RED user sees it, beside the
 * alternatives, on 127.0.0.1. The servers (the demo completion server, in its OpenAI
 * and llama.cpp dialects, and the bench server) run in child processes. The client
 * comparison runs in ONE process that holds the Node-RED runtime and every client loop
 * (bench/scenarios/throughput.ts); the other cases each run in a fresh process of
 * their own, so the heap and CPU they report are theirs. Prints a summary and writes
 * bench/RESULTS.md.
 *
 *   BENCH_QUICK=1        a fast smoke run of everything with small counts
 *   BENCH_ROUNDS=<n>     rounds of the client comparison (default 5; medians reported)
 *   BENCH_SOAK=<n>       requests in the soak (default 100000)
 *   BENCH_STREAMS=<n>    concurrent streams through one node (default 1000)
 *   BENCH_UNDICI=<dir>   an installed undici package, for the undici reference row
 *   BENCH_WHY=1          also run the client comparison the earlier benchmark's way
 *                        (messages from a source node's send(), done at the passthrough)
 *   BENCH_CPU_PROF=<dir> run every scenario process with --cpu-prof into <dir>
 *   BENCH_JSON=<file>    also write every figure as JSON
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { LoopOptions } from './loop';
import { REQUEST, ROOT } from './common';
import type { StreamingResult } from './scenarios/streaming';
import type { LongLineResult, QueueResult, SettleResult, SoakResult } from './scenarios/memory';
import type { OwnCostResult } from './scenarios/own-cost';
import type { Row, RowResult, ThroughputResult } from './scenarios/throughput';
import type { TokensResult } from './scenarios/tokens';
import type { WorkerArgs } from './worker';
import { fixed, markdownTable, mb, median, textTable, thousands } from './stats';

function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return String(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version);
  } catch {
    return '?';
  }
}

const QUICK = process.env.BENCH_QUICK === '1';
const WHY = process.env.BENCH_WHY === '1';
const CONCURRENCY = 16;
/** A whole number ≥ 1 from the environment, or the fallback. */
function countFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}
const ROUNDS = countFromEnv('BENCH_ROUNDS', QUICK ? 1 : 5);
const SOAK = countFromEnv('BENCH_SOAK', QUICK ? 3000 : 100_000);
const STREAMS = countFromEnv('BENCH_STREAMS', QUICK ? 200 : 1000);
const QUEUE = QUICK ? 2000 : 10_000;
const PROMPT_BYTES = 100 * 1024;
const LOOP: LoopOptions = QUICK ? { concurrency: CONCURRENCY, warmupMs: 500, measureMs: 1000 } : { concurrency: CONCURRENCY, warmupMs: 1500, measureMs: 3000 };
const OWN_ITERATIONS = QUICK ? 20_000 : 200_000;
const LINE_SIZES = [8 * 2 ** 20, 50 * 2 ** 20];
const CPU_PROF = process.env.BENCH_CPU_PROF;

const children = new Set<ChildProcess>();
/** bench/RESULTS.md from this line on is written by hand and kept by every run. */
const NOTES_MARKER = '<!-- notes below: kept by npm run bench -->';

/**
 * Other builds in this tree (`npm test` starts with a clean rebuild) would delete
 * dist/ under a running benchmark; the scenario processes run from a private copy.
 */
let snapshotDir: string | undefined;
const REQUIRED = ['dist/bench/worker.js', 'dist/bench/bench-server.js', 'dist/nodes/create-completion.js', 'dist/nodes/completion-api.js', 'dist/demo-server/cli.js'];

async function snapshotBuild(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-build-'));
    snapshotDir = dir;
    try {
      fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      if (REQUIRED.every((f) => fs.existsSync(path.join(dir, f)))) return dir;
      throw new Error(`incomplete build: missing ${REQUIRED.filter((f) => !fs.existsSync(path.join(dir, f))).join(', ')}`);
    } catch (error) {
      fs.rmSync(dir, { recursive: true, force: true });
      snapshotDir = undefined;
      if (attempt >= 10) throw new Error(`could not copy dist/ (is another build running?): ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

/** A server in a child process, once it has printed its address. */
function startChild(script: string, env: NodeJS.ProcessEnv, pattern: RegExp): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 20 s`)), 20_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = pattern.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

let workerScript = path.join(__dirname, 'worker.js');

function runWorker<T>(scenario: string, args: WorkerArgs, timeoutMs: number): Promise<T> {
  const flags = ['--expose-gc'];
  if (CPU_PROF) flags.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`, `--cpu-prof-name=${scenario}-${Date.now()}.cpuprofile`);
  const child = spawn(process.execPath, [...flags, workerScript, scenario, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise<T>((resolve, reject) => {
    let result: T | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scenario ${scenario} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('BENCH_RESULT ')) result = JSON.parse(line.slice('BENCH_RESULT '.length)) as T;
      else process.stderr.write(`  [${scenario}] ${line}\n`);
    });
    child.on('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`scenario ${scenario} failed (exit ${code})`));
    });
  });
}

const LABELS: Record<Row, string> = {
  http: 'reference: bare node:http loop, keep-alive, JSON by hand',
  undici: 'reference: bare undici Pool.request() loop',
  floor: 'reference: the least a Node-RED node can do (node:http, no checks)',
  node: 'create-completion in Node-RED',
  httpreq: 'core http request node in Node-RED',
  sdk: 'openai SDK completions.create (maxRetries 0)',
};

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

const load = () => os.loadavg()[0];

/** Medians over the rounds of one row, and the ratio of two rows taken round by round (rows of one round ran side by side). */
function summarise(tp: ThroughputResult) {
  const rows = tp.rounds;
  const med = (row: Row, pick: (r: RowResult) => number) => (rows[row]?.length ? median(rows[row]!.map(pick)) : NaN);
  const ratio = (a: Row, b: Row, pick: (r: RowResult) => number, invert = false) => {
    const ra = rows[a];
    const rb = rows[b];
    if (!ra?.length || !rb?.length) return NaN;
    const per = ra.map((r, i) => (invert ? pick(rb[i]) / pick(r) : pick(r) / pick(rb[i])));
    return median(per);
  };
  return { med, ratio };
}

async function main(): Promise<void> {
  const started = Date.now();
  const build = await snapshotBuild();
  workerScript = path.join(build, 'dist', 'bench', 'worker.js');
  // A context long enough for the long stream's 20,000 tokens (the dialect's own is 4,096).
  const demo = await startChild(path.join(build, 'dist', 'demo-server', 'cli.js'), { DEMO_SERVER_PORT: '0', TOKEN_DELAY_MS: '0', CONTEXT_LENGTH: '65536' }, /demo completion server on (\S+)/);
  const llama = await startChild(path.join(build, 'dist', 'demo-server', 'cli.js'), { DEMO_SERVER_PORT: '0', TOKEN_DELAY_MS: '0', DIALECT: 'llamacpp' }, /demo completion server on (\S+)/);
  const bench = await startChild(path.join(build, 'dist', 'bench', 'bench-server.js'), {}, /bench server on (\S+)/);
  const baseUrl = demo.url;
  log(`demo server ${demo.url}, llama.cpp dialect ${llama.url}, bench server ${bench.url}${QUICK ? ' — quick run' : ''}`);
  const loads: number[] = [load()];
  if (loads[0] > os.cpus().length * 0.5) log(`note: load average ${loads[0].toFixed(2)} on ${os.cpus().length} cores: other work on this machine will disturb the figures`);

  log('own cost per message (plain functions from nodes/lib)…');
  const own = await runWorker<OwnCostResult>('own-cost', { baseUrl, iterations: OWN_ITERATIONS }, 120_000);

  log(`clients, one process, ${ROUNDS} rounds…`);
  const tp = await runWorker<ThroughputResult>('throughput', { baseUrl, throughput: { rounds: ROUNDS, loop: LOOP, concurrency: CONCURRENCY } }, 60_000 + ROUNDS * 6 * 20_000);
  loads.push(load());
  let why: ThroughputResult | undefined;
  let apart: ThroughputResult | undefined;
  if (WHY) {
    log('the earlier way, 1: send() from a source node, done at the passthrough (one process)…');
    why = await runWorker<ThroughputResult>('throughput', { baseUrl, throughput: { rounds: ROUNDS, loop: LOOP, concurrency: CONCURRENCY, entry: 'send', done: 'passthrough', only: ['http', 'node', 'httpreq'] } }, 60_000 + ROUNDS * 3 * 20_000);
    log('the earlier way, 2: each client in a fresh process of its own (receive(), both outputs)…');
    apart = { rounds: {} };
    for (const row of ['http', 'node', 'httpreq'] as Row[]) {
      const alone = await runWorker<ThroughputResult>('throughput', { baseUrl, throughput: { rounds: ROUNDS, loop: LOOP, concurrency: CONCURRENCY, only: [row] } }, 60_000 + ROUNDS * 20_000);
      apart.rounds[row] = alone.rounds[row];
    }
    loads.push(load());
  }

  log(`streaming: one stream, ${STREAMS} streams at once, one long stream…`);
  const stream = await runWorker<StreamingResult>('streaming', {
    baseUrl,
    streaming: { demoUrl: baseUrl, benchUrl: bench.url, singleEvents: QUICK ? 300 : 2000, streams: STREAMS, eventsPerStream: QUICK ? 10 : 50, intervalMs: 100, longTokens: QUICK ? 3000 : 20_000 },
  }, 600_000);
  loads.push(load());

  log(`queue: ${QUEUE} messages with ${PROMPT_BYTES / 1024} KB prompts…`);
  const queue = await runWorker<QueueResult>('queue', { baseUrl, benchUrl: bench.url, queueCount: QUEUE, promptBytes: PROMPT_BYTES }, 300_000);
  loads.push(load());

  log('settling a full queue on deploy…');
  const settle = await runWorker<SettleResult>('settle', { baseUrl, benchUrl: bench.url }, 300_000);
  loads.push(load());

  log('long lines…');
  const lines = await runWorker<LongLineResult[]>('long-line', { baseUrl, benchUrl: bench.url, lineSizes: LINE_SIZES }, 600_000);
  loads.push(load());

  log('tokens: counting, the context guard, the cache…');
  const tok = await runWorker<TokensResult>('tokens', {
    baseUrl,
    tokens: { demoUrl: baseUrl, llamaUrl: llama.url, loop: QUICK ? { concurrency: CONCURRENCY, warmupMs: 300, measureMs: 700 } : { concurrency: CONCURRENCY, warmupMs: 1000, measureMs: 2000 }, rounds: QUICK ? 1 : 3, guardIterations: QUICK ? 2000 : 20_000 },
  }, 600_000);
  loads.push(load());

  log(`soak: ${SOAK} requests through one node…`);
  const soak = await runWorker<SoakResult>('soak', { baseUrl, soakCount: SOAK, warmupMs: QUICK ? 500 : 2000 }, 400_000);
  loads.push(load());

  for (const s of [demo, llama, bench]) s.child.kill('SIGTERM');

  // ---- report -------------------------------------------------------------------------
  const { med, ratio } = summarise(tp);
  const rps = (r: RowResult) => r.rps;
  const cpu = (r: RowResult) => r.cpuUsPerMsg;
  const order = (Object.keys(LABELS) as Row[]).filter((r) => tp.rounds[r]?.length);
  const rangeOf = (row: Row) => {
    const v = tp.rounds[row]!.map(rps);
    return v.length > 1 ? `${thousands(Math.min(...v))}–${thousands(Math.max(...v))}` : '-';
  };
  const tpRows = [
    ['client', 'req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/msg', 'errors'],
    ...order.map((row) => [
      LABELS[row],
      thousands(med(row, rps)),
      rangeOf(row),
      fixed(med(row, (r) => r.p50Ms), 2),
      fixed(med(row, (r) => r.p99Ms), 2),
      thousands(med(row, cpu)),
      String(tp.rounds[row]!.reduce((a, r) => a + r.errors, 0)),
    ]),
  ];
  const tpAlign = [false, true, true, true, true, true, true];
  const pairs: Array<[string, Row, Row]> = [
    ['create-completion ÷ bare node:http', 'node', 'http'],
    ['create-completion ÷ bare undici', 'node', 'undici'],
    ['create-completion ÷ the least a node can do', 'node', 'floor'],
    ['create-completion ÷ core http request node', 'node', 'httpreq'],
    ['create-completion ÷ openai SDK', 'node', 'sdk'],
    ['the least a node can do ÷ bare node:http', 'floor', 'http'],
    ['bare node:http ÷ bare undici', 'http', 'undici'],
  ];
  const ratioRows = [
    ['ratio (median of per-round ratios)', 'by req/s', 'by CPU µs/msg'],
    ...pairs.filter(([, a, b]) => tp.rounds[a]?.length && tp.rounds[b]?.length).map(([what, a, b]) => [what, fixed(ratio(a, b, rps), 2), fixed(ratio(a, b, cpu, true), 2)]),
  ];
  const r = {
    http: ratio('node', 'http', rps),
    httpreq: ratio('node', 'httpreq', rps),
    sdk: ratio('node', 'sdk', rps),
  };
  const manyHeld = stream.many.heapHeld - stream.many.heapBefore;
  const queueDelta = queue.heapAfter - queue.heapBefore;
  const soakGrowth = soak.heapAfter - soak.heapBefore;
  const targets = [
    { what: 'throughput vs bare node:http keep-alive loop', measured: `${fixed(r.http, 2)}×`, target: '≥ 0.70×', pass: r.http >= 0.7 },
    { what: 'throughput vs core http request node', measured: `${fixed(r.httpreq, 2)}×`, target: '≥ 2.00×', pass: r.httpreq >= 2 },
    { what: 'throughput vs openai SDK', measured: `${fixed(r.sdk, 2)}×`, target: '≥ 2.00×', pass: r.sdk >= 2 },
    { what: "node's own work per message (plain functions)", measured: `${fixed(own.coreUs, 1)} µs`, target: '≤ 50 µs', pass: own.coreUs <= 50 },
    { what: 'one stream: delay event written → message sent, p99', measured: `${fixed(stream.single.p99Ms, 2)} ms`, target: '≤ 5 ms', pass: stream.single.p99Ms <= 5 },
    { what: 'streamed events/s through one node (long stream)', measured: thousands(stream.long.eventsPerSecond), target: '≥ 20,000', pass: stream.long.eventsPerSecond >= 20_000 && stream.long.finalComplete },
    ...lines.map((l) => ({
      what: `one SSE line of ${mb(l.bytes)} (limit 16 MB): outcome`,
      measured: l.ok ? 'read whole' : /RESPONSE_TOO_LARGE/.test(`${l.code} ${l.message}`) ? 'RESPONSE_TOO_LARGE' : `${l.code ?? 'failed'}`,
      target: l.bytes > 16 * 2 ** 20 ? 'RESPONSE_TOO_LARGE' : 'read whole',
      pass: l.bytes > 16 * 2 ** 20 ? !l.ok && /RESPONSE_TOO_LARGE/.test(`${l.code} ${l.message}`) : l.ok,
    })),
    { what: `heap growth over a soak of ${thousands(soak.completed)} requests`, measured: mb(soakGrowth), target: '≤ 10 MB', pass: soakGrowth <= 10 * 2 ** 20 },
  ];

  const env = {
    date: new Date().toISOString(),
    node: process.version,
    nodeRed: packageVersion('node-red'),
    openai: packageVersion('openai'),
    undici: tp.undici ?? 'not measured',
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    load: `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
  };

  const tokRow = (name: string, pick: (x: { rps: number; cpuUsPerMsg: number }) => number) => median((tok.rows[name] ?? []).map(pick));
  const otherRows = [
    ['measurement', 'value'],
    ['own work / message, plain functions: build the request + parse + scrub + accounting + result messages', `${fixed(own.coreUs, 1)} µs`],
    ...Object.entries(own.breakdownUs).map(([k, v]) => [`    ${k}`, `${fixed(v, 2)} µs`]),
    [`1 stream, 1 event per ms: delay event written → message sent, p50 / p99 / max (${thousands(stream.single.events)} events)`, `${fixed(stream.single.p50Ms, 2)} / ${fixed(stream.single.p99Ms, 2)} / ${fixed(stream.single.maxMs, 2)} ms`],
    [
      `${thousands(stream.many.streams)} streams at once through one node, 1 event per 100 ms each: delay p50 / p99 / max`,
      `${fixed(stream.many.p50Ms, 1)} / ${fixed(stream.many.p99Ms, 1)} / ${fixed(stream.many.maxMs, 1)} ms (${thousands(stream.many.events)} events once all were open; all open ${thousands(stream.many.openMs)} ms after the messages were sent; ${thousands(stream.many.eventsPerSecond)} events/s, ${fixed(stream.many.cpuUsPerEvent, 1)} µs CPU/event, event-loop delay p99 ${fixed(stream.many.loopDelayP99Ms, 1)} ms, ${stream.many.failed} failed)`,
    ],
    [`    heap held by ${thousands(stream.many.streams)} open streams (after full GCs)`, `${mb(manyHeld)} (${thousands(manyHeld / stream.many.streams)} B per stream)`],
    [
      `long stream: ${thousands(stream.long.events)} events in ${fixed(stream.long.seconds, 2)} s`,
      `${thousands(stream.long.eventsPerSecond)} events/s, ${fixed(stream.long.cpuUsPerEvent, 1)} µs CPU/event${stream.long.finalComplete ? '' : ' (final message MISSING)'}`,
    ],
    [
      `queue: ${thousands(queue.sent)} messages of ${PROMPT_BYTES / 1024} KB each, maxInFlight 1, server never answers, queue limits at their defaults (${thousands(queue.maxQueue)} messages, ${mb(queue.maxQueueBytes)})`,
      `${thousands(queue.inFlight)} in flight, ${thousands(queue.queued)} queued, ${thousands(queue.refused)} refused with QUEUE_FULL${queue.otherErrors.length ? `, other errors: ${queue.otherErrors.join('; ')}` : ''}`,
    ],
    [
      '    heap held (after full GCs) / RSS / time to take them all / time to stop the flow',
      `${mb(queueDelta)} (${thousands(queueDelta / Math.max(1, queue.queued + queue.inFlight))} B per waiting message) / ${mb(queue.rssAfter)} / ${thousands(queue.enqueueMs)} ms / ${thousands(queue.stopMs)} ms`,
    ],
    [
      `settling the queue on deploy: ${thousands(settle.queued)} small messages queued behind one that never ends, then a deploy of the node alone: deploy time / longest event-loop stall / caught as ABORTED`,
      `${thousands(settle.deployMs)} ms / ${fixed(settle.longestStallMs, 1)} ms / ${thousands(settle.caught)}`,
    ],
    ...lines.map((l) => [
      `one SSE line of ${mb(l.bytes)} in 4 KB pieces (limit 16 MB): outcome, time, CPU, longest event-loop stall`,
      `${l.ok ? `read, ${thousands(l.textLength ?? 0)} characters of text` : `${l.code ?? ''} ${l.message ?? ''}`.trim()}; ${fixed(l.seconds, 2)} s; ${thousands(l.cpuMs)} ms CPU; ${fixed(l.longestStallMs, 1)} ms`,
    ]),
    [`tokens: loading OpenAI's encoding (cl100k_base, gpt-tokenizer), once per process`, `${thousands(tok.encodingLoadMs)} ms`],
    ...tok.counting.map((c) => [`    counting a ${thousands(c.kb)} KB English prompt (${thousands(c.tokens)} tokens)`, `${fixed(c.usPerKb, 0)} µs per KB (${fixed(c.msTotal, 1)} ms)`]),
    ...tok.guard.map((g) => [`context guard per message, warm cache (llama.cpp dialect), prompt of ${thousands(g.promptChars)} characters`, `${fixed(g.usPerMessage, 2)} µs`]),
    [
      'whole messages through Node-RED, llama.cpp dialect: guard on / off (CPU µs/msg, msg/s)',
      `${thousands(tokRow('guard-on', (x) => x.cpuUsPerMsg))} / ${thousands(tokRow('guard-off', (x) => x.cpuUsPerMsg))} µs; ${thousands(tokRow('guard-on', (x) => x.rps))} / ${thousands(tokRow('guard-off', (x) => x.rps))} msg/s`,
    ],
    [
      'cache hit vs the same request sent (temperature 0; CPU µs/msg, msg/s)',
      `${thousands(tokRow('cache-hit', (x) => x.cpuUsPerMsg))} vs ${thousands(tokRow('sent', (x) => x.cpuUsPerMsg))} µs; ${thousands(tokRow('cache-hit', (x) => x.rps))} vs ${thousands(tokRow('sent', (x) => x.rps))} msg/s`,
    ],
    [
      `soak: ${thousands(soak.completed)} requests at ${thousands(soak.rps)} req/s, ${soak.errors} errors`,
      `heap ${mb(soak.heapBefore)} → ${mb(soak.heapAfter)} (${soakGrowth >= 0 ? '+' : ''}${mb(soakGrowth)})`,
    ],
  ];
  const targetRows = [['target', 'measured', 'wanted', ''], ...targets.map((t) => [t.what, t.measured, t.target, t.pass ? 'PASS' : 'MISS'])];

  let whyRows: string[][] | undefined;
  if (why && apart) {
    const layouts: Array<[string, ThroughputResult]> = [
      ['one process, receive(), done at both outputs (the table above)', tp],
      ['one process, send() from a source node, done at the passthrough', why],
      ['each client in a fresh process of its own, receive(), both outputs', apart],
    ];
    whyRows = [
      ['layout', 'node:http req/s', 'node req/s', 'core node req/s', 'node ÷ node:http', 'node ÷ core node', 'CPU µs/msg node:http / node / core'],
      ...layouts.map(([what, result]) => {
        const w = summarise(result);
        return [
          what, thousands(w.med('http', rps)), thousands(w.med('node', rps)), thousands(w.med('httpreq', rps)),
          fixed(w.ratio('node', 'http', rps), 2), fixed(w.ratio('node', 'httpreq', rps), 2),
          `${thousands(w.med('http', cpu))} / ${thousands(w.med('node', cpu))} / ${thousands(w.med('httpreq', cpu))}`,
        ];
      }),
    ];
  }

  const roundsNote = ROUNDS > 1 ? `${ROUNDS} rounds, each in a rotated order with a full GC between rows; medians over the rounds, ratios as the median of each round's ratio` : 'one round';
  const requestText = JSON.stringify(REQUEST);
  const header =
    `node-red-contrib-create-completion benchmark — ${env.date}\n` +
    `Node ${env.node}, Node-RED ${env.nodeRed}, openai ${env.openai}, undici ${env.undici}, ${env.cpu}, ${env.cores} cores, load average ${env.load} during the run${QUICK ? ' — QUICK RUN (small counts)' : ''}\n` +
    `${CONCURRENCY} in flight, request ${requestText}, warm-up ${LOOP.warmupMs} ms, measured ${LOOP.measureMs} ms, ${roundsNote}`;
  const out = [
    '',
    header,
    '',
    textTable(tpRows, tpAlign),
    '',
    textTable(ratioRows, [false, true, true]),
    ...(whyRows ? ['', textTable(whyRows, [false, true, true, true, true, true, true])] : []),
    '',
    textTable(otherRows),
    '',
    textTable(targetRows),
    '',
    `(${((Date.now() - started) / 1000).toFixed(0)} s)`,
  ].join('\n');
  process.stdout.write(`${out}\n`);

  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts)${QUICK ? ' — **quick run (BENCH_QUICK=1), small counts: not a measurement**' : ''}.`,
    '',
    '| | |',
    '|:---|:---|',
    `| date | ${env.date} |`,
    `| Node.js | ${env.node} |`,
    `| Node-RED | ${env.nodeRed} |`,
    `| openai SDK | ${env.openai} |`,
    `| undici (reference row) | ${env.undici} |`,
    `| CPU | ${env.cpu} |`,
    `| cores, memory | ${env.cores}, ${env.memory} |`,
    `| load average (1 min) during the run | ${env.load} |`,
    '',
    '## How it was measured',
    '',
    `- Everything on 127.0.0.1. The servers are other programs, as a completion server is: the project's demo server (\`dist/demo-server/cli.js\`, OpenAI dialect, and a second one in its llama.cpp dialect) and the bench server (\`dist/bench/bench-server.js\`: stamped streams, long lines, a server that never answers) run in child processes.`,
    `- **The client comparison runs in one process** that holds the embedded Node-RED runtime (\`RED.init\` + \`RED.start\`, this package loaded from the build through \`<userDir>/node_modules\`, the flow deployed with a full deploy) **and every client loop**, as a Node-RED that does other work would: the bare loops share the runtime's heap, timers and JIT state with the nodes. Messages enter a node through \`node.receive(msg)\`; each output is wired to a sink one hop away, and a message is done when every output has delivered (for create-completion: its result on output 1 and its passthrough on output 2). ${roundsNote}. "CPU µs/msg" is \`process.cpuUsage()\` (user + system, all threads) over the measured phase ÷ messages finished: the client's side, since the servers run elsewhere.`,
    `- Same request everywhere: \`${requestText}\`, with an \`Authorization: Bearer\` API key (the server does not check it; the node's key scrubbing is active, as for a real user). Closed loop, ${CONCURRENCY} in flight, warm-up ${LOOP.warmupMs} ms, then ${LOOP.measureMs} ms measured. Latency is from receive() to the last output delivered.`,
    `- create-completion: result format raw, connection maxInFlight ${CONCURRENCY}, everything else at its defaults (context guard on, OpenAI kind, no budget, no cache). The core \`http request\` node: method POST, JSON object payload, \`ret\` obj, keep-alive on. The reference rows: a bare \`node:http\` loop (keep-alive agent, JSON by hand); a bare undici \`Pool.request()\` loop (undici is not a dependency: the row runs where BENCH_UNDICI names an installed copy); and "the least a Node-RED node can do": a bench node (\`bench/nodes/probe.ts\`, \`bench-http\`) that POSTs the payload with \`node:http\` and sends the parsed answer and the input on its two outputs, with no checks, limits, timeouts, retries, scrubbing or status, so the gap between it and the bare loop is Node-RED's own cost per message.`,
    `- Own work: the plain functions from nodes/lib in a tight loop on a real response from the demo server (${own.bodyBytes} bytes), ${thousands(own.iterations)} iterations after a warm-up.`,
    `- Streaming delay: the bench server stamps each event with \`performance.timeOrigin + performance.now()\` just before writing it; the delay is read when create-completion calls \`send()\` with that event's message (a Node-RED \`onSend\` hook), on the same clock. Many streams: ${thousands(STREAMS)} messages sent at once into one node (maxInFlight ${thousands(STREAMS)}), each a stream of ${QUICK ? 10 : 50} events 100 ms apart; the delays count from the moment every stream has sent its first event (the time to open them all is given apart), and since the streams started together their events arrive in bursts of ${thousands(STREAMS)}, as a server that batches its streams sends them; the heap they hold is read (after full GCs) while as many streams are open and paused between events. Events/s: one stream of ${thousands(QUICK ? 3000 : 20_000)} tokens from the demo server, written as fast as it can.`,
    `- Queue: ${thousands(QUEUE)} messages, each with a prompt of its own of ${PROMPT_BYTES / 1024} KB, into one node with maxInFlight 1 against a server that never answers; the queue's limits left at the connection's defaults. Heap: heapUsed after full GCs (\`--expose-gc\`) minus before. Settling: as many small messages as the default queue takes behind one that never ends, then a deploy of the modified node only (its Catch node keeps running); the longest event-loop stall (\`monitorEventLoopDelay\`, 1 ms resolution) from the deploy until the last message is caught. Long lines: one event whose \`data:\` line has the size given, written in 4 KB pieces, through a connection at its defaults (16 MB response limit); CPU time of the Node-RED process and the longest event-loop stall (\`monitorEventLoopDelay\`, 1 ms resolution) from sending to the outcome.`,
    '- Tokens: OpenAI\'s encoding as the node uses it (nodes/lib/tokens/openai-encoding.ts), on English-like text that differs each time; the context guard\'s own step (count the prompt, look up the context length, compare) timed alone with its caches warm, against the demo server in its llama.cpp dialect (a llamacpp connection counts with `POST /tokenize` and reads `n_ctx` from `GET /v1/models`), and whole messages with the guard on and off; a cache hit (connection cache on, temperature 0) against the same request sent, in rounds side by side.',
    '',
    '## Clients',
    '',
    markdownTable(tpRows, tpAlign),
    '',
    markdownTable(ratioRows, [false, true, true]),
    '',
    ...(whyRows ? ['### The same clients, laid out the earlier benchmark\'s ways', '', 'Each way changes one thing against the table above: how messages enter and when one is done, or the process layout (each client alone in a fresh process, as the earlier benchmark ran them). Medians over the same number of rounds.', '', markdownTable(whyRows, [false, true, true, true, true, true, false]), ''] : []),
    '## Node cost, streaming, memory, tokens',
    '',
    markdownTable(otherRows.map((row) => row.map((c) => c.replace(/^ +/, (sp) => '&nbsp;'.repeat(sp.length)))), [false, false]),
    '',
    '## Targets',
    '',
    markdownTable(targetRows.map((row) => row.map((c) => (c === 'PASS' ? '**PASS**' : c === 'MISS' ? '**MISS**' : c)))),
    '',
    'Reproduce: `npm run bench` (quick smoke run: `BENCH_QUICK=1 npm run bench`; rounds: `BENCH_ROUNDS=<n>`; soak count: `BENCH_SOAK=<n>`; streams: `BENCH_STREAMS=<n>`; the undici row: `BENCH_UNDICI=<folder of an undici package>`; the earlier way beside it: `BENCH_WHY=1`; CPU profiles of every scenario process: `BENCH_CPU_PROF=<dir>`, then `node dist/bench/profile-summary.js <file>.cpuprofile`).',
    '',
  ].join('\n');
  // What was found with these figures, written by hand below the marker, is kept.
  const resultsFile = path.join(ROOT, 'bench', 'RESULTS.md');
  const previous = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8') : '';
  const at = previous.indexOf(NOTES_MARKER);
  fs.writeFileSync(resultsFile, at === -1 ? md : `${md}\n${previous.slice(at)}`);
  if (process.env.BENCH_JSON) fs.writeFileSync(path.resolve(process.env.BENCH_JSON), `${JSON.stringify({ env, quick: QUICK, throughput: tp, why, apart, own, stream, queue, lines, tokens: tok, soak }, null, 1)}\n`);
  log(`wrote bench/RESULTS.md${process.env.BENCH_JSON ? ` and ${process.env.BENCH_JSON}` : ''}`);
}

function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  if (snapshotDir) fs.rmSync(snapshotDir, { recursive: true, force: true });
}

process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
