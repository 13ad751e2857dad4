/**
 * `npm run bench`: create-completion against the alternatives, side by side, on
 * 127.0.0.1. The demo completion server runs in a child process; every scenario
 * runs in a fresh child process of its own, so the CPU time and heap it reports
 * are the client side only. Prints a table and writes bench/RESULTS.md.
 *
 *   BENCH_QUICK=1     a fast smoke run of everything with small counts
 *   BENCH_SOAK=<n>    requests in the soak (default 100000)
 *   BENCH_ROUNDS=<n>  rounds of the throughput scenarios (default 3, median reported)
 *   BENCH_CPU_PROF=<dir>  run every scenario process with --cpu-prof into <dir>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { LoopOptions, LoopResult } from './loop';
import { REQUEST, ROOT } from './common';
import type { StreamingResult } from './scenarios/streaming';
import type { QueueResult, SoakResult } from './scenarios/memory';
import type { OwnCostResult } from './scenarios/own-cost';
import type { WorkerArgs } from './worker';
import { fixed, markdownTable, mb, median, textTable, thousands } from './stats';

function nodeRedVersion(): string {
  const file = path.join(path.dirname(require.resolve('node-red')), '..', 'package.json');
  return String(JSON.parse(fs.readFileSync(file, 'utf8')).version);
}

const QUICK = process.env.BENCH_QUICK === '1';
const CONCURRENCY = 16;
/** A whole number ≥ 1 from the environment, or the fallback. */
function countFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}
const ROUNDS = countFromEnv('BENCH_ROUNDS', QUICK ? 1 : 3);
const SOAK = countFromEnv('BENCH_SOAK', QUICK ? 3000 : 100_000);
const QUEUE = QUICK ? 2000 : 10_000;
const LOOP: LoopOptions = QUICK
  ? { concurrency: CONCURRENCY, warmupMs: 400, measureMs: 1000 }
  : { concurrency: CONCURRENCY, warmupMs: 1500, measureMs: 4000 };
const OWN_ITERATIONS = QUICK ? 20_000 : 200_000;
const LATENCY_EVENTS = QUICK ? 300 : 2000;
const LONG_TOKENS = QUICK ? 3000 : 20_000;
const CPU_PROF = process.env.BENCH_CPU_PROF;

const children = new Set<ChildProcess>();

/**
 * Other builds in this tree (`npm test` starts with a clean rebuild) would delete
 * dist/ under a running benchmark; the scenario processes run from a private copy.
 */
let snapshotDir: string | undefined;
const REQUIRED = ['dist/bench/worker.js', 'dist/nodes/create-completion.js', 'dist/nodes/completion-api.js', 'dist/demo-server/cli.js'];

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

function startServer(build: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(build, 'dist', 'demo-server', 'cli.js')], {
    env: { ...process.env, DEMO_SERVER_PORT: '0', TOKEN_DELAY_MS: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('demo server did not start within 20 s')), 20_000);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /demo completion server on (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`demo server exited (${code})`)));
  });
}

let workerScript = path.join(__dirname, 'worker.js');

function runWorker<T>(scenario: string, args: WorkerArgs, timeoutMs: number): Promise<T> {
  const flags = ['--expose-gc'];
  if (CPU_PROF) flags.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`, `--cpu-prof-name=${scenario}-${Date.now()}.cpuprofile`);
  const child = spawn(process.execPath, [...flags, workerScript, scenario, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

type ThroughputName = 'http' | 'bare' | 'node' | 'httpreq' | 'sdk';
const LABELS: Record<ThroughputName, string> = {
  http: '0. reference: node:http, keep-alive, no library',
  bare: '1. bare axios loop, keep-alive agent (the limit)',
  node: '2. create-completion in Node-RED',
  httpreq: '3. core http request node in Node-RED',
  sdk: '4. openai SDK completions.create (maxRetries 0)',
};
type FlowResult = LoopResult & { results?: number; ends?: number; extra?: Record<string, number> };

interface Target {
  what: string;
  measured: string;
  target: string;
  pass: boolean;
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

const load = () => os.loadavg()[0];

async function main(): Promise<void> {
  const started = Date.now();
  const build = await snapshotBuild();
  workerScript = path.join(build, 'dist', 'bench', 'worker.js');
  const server = await startServer(build);
  log(`demo server (child process ${server.child.pid}) on ${server.url}${QUICK ? ' — quick run' : ''}`);
  const baseUrl = server.url;
  const loadBefore = load();
  if (loadBefore > os.cpus().length * 0.5) {
    log(`note: load average ${loadBefore.toFixed(2)} on ${os.cpus().length} cores: other work on this machine will disturb the throughput numbers`);
  }

  log('own cost per message (plain functions from nodes/lib)…');
  const own = await runWorker<OwnCostResult>('own-cost', { baseUrl, iterations: OWN_ITERATIONS }, 120_000);

  const order: ThroughputName[] = ['http', 'bare', 'node', 'httpreq', 'sdk'];
  const rounds: Record<ThroughputName, FlowResult[]> = { http: [], bare: [], node: [], httpreq: [], sdk: [] };
  const loads: number[] = [loadBefore];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of order) {
      log(`throughput round ${round}/${ROUNDS}: ${LABELS[name]}…`);
      rounds[name].push(await runWorker(name, { baseUrl, loop: LOOP, concurrency: CONCURRENCY }, 120_000));
      loads.push(load());
    }
  }
  const pick = (name: ThroughputName): FlowResult => {
    const all = rounds[name];
    const m = median(all.map((r) => r.rps));
    return all.find((r) => r.rps === m) ?? all[0];
  };
  const tp = Object.fromEntries(order.map((n) => [n, pick(n)])) as Record<ThroughputName, FlowResult>;
  const cpuMedian = (name: ThroughputName) => median(rounds[name].map((r) => r.cpuUsPerMsg));

  log('streaming: latency per event and events/s of a long stream…');
  const stream = await runWorker<StreamingResult>('streaming', { baseUrl, latencyEvents: LATENCY_EVENTS, longTokens: LONG_TOKENS }, 180_000);

  log(`heap of ${QUEUE} queued messages…`);
  const queue = await runWorker<QueueResult>('queue', { baseUrl, queueCount: QUEUE }, 120_000);

  log(`soak: ${SOAK} requests through one node…`);
  const soak = await runWorker<SoakResult>('soak', { baseUrl, soakCount: SOAK, warmupMs: QUICK ? 500 : 2000 }, 300_000);
  loads.push(load());

  server.child.kill('SIGTERM');

  // ---- report -------------------------------------------------------------------------
  const queueDelta = queue.heapAfter - queue.heapBefore;
  const queuePer10k = (queueDelta / QUEUE) * 10_000;
  const soakGrowth = soak.heapAfter - soak.heapBefore;
  const r21 = tp.node.rps / tp.bare.rps;
  const r23 = tp.node.rps / tp.httpreq.rps;
  const r24 = tp.node.rps / tp.sdk.rps;
  // The same ratios from client CPU time per request (what throughput would be if the
  // client were the only bottleneck): steadier than req/s on a busy machine.
  const c21 = cpuMedian('bare') / cpuMedian('node');
  const c23 = cpuMedian('httpreq') / cpuMedian('node');
  const c24 = cpuMedian('sdk') / cpuMedian('node');
  const targets: Target[] = [
    { what: 'throughput 2/1 (node vs bare axios)', measured: `${fixed(r21, 2)}×`, target: '≥ 0.70×', pass: r21 >= 0.7 },
    { what: 'throughput 2/3 (node vs core http request)', measured: `${fixed(r23, 2)}×`, target: '≥ 1.50×', pass: r23 >= 1.5 },
    { what: 'throughput 2/4 (node vs openai SDK)', measured: `${fixed(r24, 2)}×`, target: '> 1.00×', pass: r24 > 1 },
    { what: "node's own work per message", measured: `${fixed(own.coreUs, 1)} µs`, target: '≤ 50 µs', pass: own.coreUs <= 50 },
    { what: 'streaming delay, event written → chunk message out, p99', measured: `${fixed(stream.latencyP99Ms, 2)} ms`, target: '≤ 5 ms', pass: stream.latencyP99Ms <= 5 },
    { what: 'streamed events/s through the node (long stream)', measured: thousands(stream.eventsPerSecond), target: '≥ 20,000', pass: stream.eventsPerSecond >= 20_000 && stream.finalComplete },
    {
      what: `heap for 10k queued messages${QUEUE === 10_000 ? '' : ` (scaled from ${thousands(QUEUE)})`}`,
      measured: mb(queuePer10k),
      target: '≤ 100 MB',
      pass: queuePer10k <= 100 * 2 ** 20,
    },
    { what: `heap growth over a soak of ${thousands(soak.completed)} requests`, measured: mb(soakGrowth), target: '≤ 10 MB', pass: soakGrowth <= 10 * 2 ** 20 },
  ];

  const env = {
    date: new Date().toISOString(),
    node: process.version,
    nodeRed: nodeRedVersion(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    load: `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
  };

  const range = (name: ThroughputName) => {
    const v = rounds[name].map((r) => r.rps);
    return v.length > 1 ? `${thousands(Math.min(...v))}–${thousands(Math.max(...v))}` : '-';
  };
  const tpRows = [
    ['client', 'req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/msg', 'errors'],
    ...order.map((name) => {
      const r = tp[name];
      return [LABELS[name], thousands(r.rps), range(name), fixed(r.p50Ms, 2), fixed(r.p99Ms, 2), thousands(cpuMedian(name)), String(r.errors)];
    }),
  ];
  const tpAlign = [false, true, true, true, true, true, true];
  const ratioRows = [
    ['ratio', 'by req/s', 'by CPU µs/msg'],
    ['2/1 node ÷ bare axios', fixed(r21, 2), fixed(c21, 2)],
    ['2/3 node ÷ core http request', fixed(r23, 2), fixed(c23, 2)],
    ['2/4 node ÷ openai SDK', fixed(r24, 2), fixed(c24, 2)],
  ];
  const i18n = tp.node.extra ?? {};
  const otherRows = [
    ['measurement', 'value'],
    ['own work / message: build the request (merge, validate, JSON) + parse + scrub + resultMessages', `${fixed(own.coreUs, 1)} µs`],
    ...Object.entries(own.breakdownUs).map(([k, v]) => [`    ${k}`, `${fixed(v, 2)} µs`]),
    [
      'RED._ (i18next) per call, "requesting" / "200 · N tokens": why the node looks its status texts up once, not per request',
      `${fixed(i18n.i18nRequestingUs ?? NaN, 1)} / ${fixed(i18n.i18nDoneUs ?? NaN, 1)} µs`,
    ],
    [
      'create-completion runs: results on output 1 / passthroughs on output 2 (whole runs, warm-up included)',
      `${thousands(rounds.node.reduce((a, r) => a + (r.results ?? 0), 0))} / ${thousands(rounds.node.reduce((a, r) => a + (r.ends ?? 0), 0))}`,
    ],
    [`streaming delay p50 / p99 / max (${stream.latencyEvents} events, 1 per ms)`, `${fixed(stream.latencyP50Ms, 2)} / ${fixed(stream.latencyP99Ms, 2)} / ${fixed(stream.latencyMaxMs, 2)} ms`],
    [
      `long stream: ${thousands(stream.longEvents)} events in ${fixed(stream.longSeconds, 2)} s`,
      `${thousands(stream.eventsPerSecond)} events/s, ${fixed(stream.cpuUsPerEvent, 1)} µs CPU/event${stream.finalComplete ? '' : ' (final message MISSING)'}`,
    ],
    [
      `${thousands(queue.queued + 1)} messages pending (1 in flight + ${thousands(queue.queued)} queued): heap delta`,
      `${mb(queueDelta)} (${thousands(queue.bytesPerMessage)} B/msg); stopping the flow then took ${queue.stopMs} ms`,
    ],
    [
      `soak: ${thousands(soak.completed)} requests at ${thousands(soak.rps)} req/s, ${soak.errors} errors`,
      `heap ${mb(soak.heapBefore)} → ${mb(soak.heapAfter)} (${soakGrowth >= 0 ? '+' : ''}${mb(soakGrowth)})`,
    ],
  ];
  const targetRows = [['target', 'measured', 'wanted', ''], ...targets.map((t) => [t.what, t.measured, t.target, t.pass ? 'PASS' : 'MISS'])];

  const roundsNote = ROUNDS > 1 ? `median of ${ROUNDS} interleaved rounds (by req/s; CPU µs/msg: median of the rounds)` : 'one round';
  const requestText = JSON.stringify(REQUEST);
  const header =
    `node-red-contrib-create-completion benchmark — ${env.date}\n` +
    `Node ${env.node}, Node-RED ${env.nodeRed}, ${env.cpu}, ${env.cores} cores, load average ${env.load} during the run${QUICK ? ' — QUICK RUN (small counts)' : ''}\n` +
    `${CONCURRENCY} in flight, request ${requestText}, warm-up ${LOOP.warmupMs} ms, measured ${LOOP.measureMs} ms, ${roundsNote}`;
  const out = [
    '',
    header,
    '',
    textTable(tpRows, tpAlign),
    '',
    textTable(ratioRows, [false, true, true]),
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
    `| CPU | ${env.cpu} |`,
    `| cores | ${env.cores} |`,
    `| load average (1 min) during the run | ${env.load} |`,
    '',
    '## How it was measured',
    '',
    `- Everything on 127.0.0.1. The project's demo completion server (\`dist/demo-server/cli.js\`) runs in a **child process**; every scenario runs in a **fresh child process of its own** (from a private copy of \`dist/\`), so "CPU µs/msg" (\`process.cpuUsage()\` user + system, all threads, over the measured phase ÷ requests finished) is the client side only.`,
    `- Same request everywhere: \`${requestText}\`, with an \`Authorization: Bearer\` API key sent by every client (the server does not check it; the node's secret scrubbing is active, as for a real user).`,
    `- Closed loop, ${CONCURRENCY} requests in flight, warm-up ${LOOP.warmupMs} ms, then ${LOOP.measureMs} ms measured; ${roundsNote}. Latency is from sending to the result.`,
    `- Node-RED scenarios embed the real runtime (\`RED.init\` + \`RED.start\`, this package loaded from the build through \`<userDir>/node_modules\`, the flow deployed with a full deploy through \`RED.runtime.flows.setFlows\`): closer to what users run than the test helper. Messages enter from a tiny \`bench-source\` node (\`node.send\`, the way an upstream node delivers them) and are counted by \`bench-sink\` nodes wired to the outputs (so one Node-RED hop is included). For create-completion (\`maxInFlight\` ${CONCURRENCY}, result format raw) a message ends at its passthrough (output 2); results on output 1 are counted too. The core \`http request\` node: method POST, JSON object payload, \`paytoqs\` ignore, \`ret\` obj, keep-alive (\`persist\`) on.`,
    `- Row 0 (plain node:http) is a reference for what any library adds; the targets compare against rows 1, 3 and 4. The "by CPU µs/msg" ratios show what the throughput ratio would be if the client were the only bottleneck; they are steadier than req/s when other work runs on the machine.`,
    `- Own work: the plain functions from nodes/lib in a tight loop on a real response from the demo server (${own.bodyBytes} bytes), ${thousands(own.iterations)} iterations after a warm-up.`,
    `- Streaming delay: a small SSE server inside the Node-RED process stamps each event with \`performance.now()\` just before writing it (one event per ms, ${thousands(stream.latencyEvents)} events); the delay is read when the chunk message reaches the node wired to output 1. Events/s: one stream of ${thousands(LONG_TOKENS)} tokens (one event each) from the demo server, written as fast as it can, counted at output 1.`,
    `- Queue: maxInFlight 1 against a server that never answers, ${thousands(QUEUE)} messages sent, heapUsed after full GCs (\`--expose-gc\`) minus before. Soak: ${thousands(soak.completed)} requests through one node, heapUsed after full GCs after the warm-up vs at the end.`,
    '',
    '## Throughput',
    '',
    markdownTable(tpRows, tpAlign),
    '',
    markdownTable(ratioRows, [false, true, true]),
    '',
    '## Node cost, streaming, memory',
    '',
    markdownTable(otherRows.map((r) => r.map((c) => c.replace(/^ +/, (sp) => '&nbsp;'.repeat(sp.length)))), [false, false]),
    '',
    '## Targets',
    '',
    markdownTable(targetRows.map((r) => r.map((c) => (c === 'PASS' ? '**PASS**' : c === 'MISS' ? '**MISS**' : c)))),
    '',
    'Reproduce: `npm run bench` (quick smoke run: `BENCH_QUICK=1 npm run bench`; soak count: `BENCH_SOAK=<n>`; rounds: `BENCH_ROUNDS=<n>`; CPU profiles of every scenario process: `BENCH_CPU_PROF=<dir>`, then `node dist/bench/profile-summary.js <file>.cpuprofile`).',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), md);
  log('wrote bench/RESULTS.md');
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
