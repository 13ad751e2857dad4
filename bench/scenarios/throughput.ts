/**
 * Throughput as a user of Node-RED sees it: ONE process holds the embedded Node-RED
 * runtime, its flow and every client loop, so the bare loops and the nodes run beside
 * the same runtime, heap and timers, and share one JIT state, as they would in a
 * Node-RED that also does other work. The demo server is another program (a child
 * process of the benchmark), as a completion server is.
 *
 * Messages enter a node through `node.receive(msg)`, the way Node-RED hands a message
 * from the wire before it, and each output is wired to a sink one hop away; a message
 * is done when every output has delivered (for create-completion: its result on
 * output 1 AND its passthrough on output 2). The rows run in rounds, each round in a
 * rotated order, with a full GC between rows so one row's garbage is not billed to
 * the next, after one unmeasured pass over every row.
 */
import { performance } from 'node:perf_hooks';
import { BENCH_API_KEY, REQUEST, okBody } from '../common';
import { closedLoop, type Finish, type LoopOptions, type LoopResult } from '../loop';
import { apiConfig, completionNode, startRed, type EmbeddedRed } from '../red-runtime';
import { collect } from '../stats';
import { bareHttp, bareUndici, openaiSdk, undiciVersion } from './clients';

export const ROWS = ['http', 'undici', 'floor', 'node', 'httpreq', 'sdk'] as const;
export type Row = (typeof ROWS)[number];

export interface ThroughputOptions {
  rounds: number;
  loop: LoopOptions;
  concurrency: number;
  /** Rows to run (default: all). */
  only?: Row[];
  /** How messages enter the Node-RED rows: `receive` (default) or `send` from a source node (the earlier benchmark's way). */
  entry?: 'receive' | 'send';
  /** When a create-completion message counts as done: `both` outputs (default) or its `passthrough` alone (the earlier benchmark's way). */
  done?: 'both' | 'passthrough';
  /** Connection fields for the create-completion row. */
  api?: Record<string, string>;
}

export type RowResult = LoopResult & { results?: number; ends?: number };

export interface ThroughputResult {
  rounds: Partial<Record<Row, RowResult[]>>;
  undici?: string;
  undiciMissing?: string;
}

/** The flow: each Node-RED row gets its own node, its sinks and a catch. */
function throughputFlow(baseUrl: string, api: Record<string, string>): object[] {
  const z = 'bench';
  return [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api', baseUrl, api),
    { id: 'src-node', z, type: 'bench-source', wires: [['cc']] },
    { id: 'src-httpreq', z, type: 'bench-source', wires: [['httpreq']] },
    { id: 'src-floor', z, type: 'bench-source', wires: [['floor']] },
    completionNode('cc', 'api', z, [['cc-result'], ['cc-pass']]),
    {
      id: 'httpreq', z, type: 'http request', name: '', method: 'POST', ret: 'obj', paytoqs: 'ignore', url: `${baseUrl}/completions`,
      tls: '', persist: true, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['httpreq-result']],
    },
    { id: 'floor', z, type: 'bench-http', url: `${baseUrl}/completions`, apiKey: BENCH_API_KEY, wires: [['floor-result'], ['floor-pass']] },
    ...['cc-result', 'cc-pass', 'httpreq-result', 'floor-result', 'floor-pass', 'errors'].map((id) => ({ id, z, type: 'bench-sink', wires: [] })),
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
  ];
}

interface Pending {
  finish: Finish;
  /** Outputs still to deliver. */
  left: number;
  ok: boolean;
  resultAt?: number;
}

/** A closed loop of messages into one Node-RED node. */
function nodeLoop(
  red: EmbeddedRed,
  pending: Map<string, Pending>,
  loop: LoopOptions,
  nodeId: string,
  sourceId: string,
  entry: 'receive' | 'send',
  outputs: number,
  makeMsg: () => Record<string, unknown>,
  counters: { results: number; ends: number },
): Promise<RowResult> {
  const node = red.getNode(nodeId) as { receive(msg: object): void };
  const source = red.hub.sources.get(sourceId);
  if (!node || !source) throw new Error(`node ${nodeId} or ${sourceId} did not start`);
  let seq = 0;
  counters.results = 0;
  counters.ends = 0;
  return closedLoop(loop, (finish) => {
    const msg = makeMsg();
    const id = `${nodeId}-${(seq++).toString(36)}`;
    msg._msgid = id;
    pending.set(id, { finish, left: outputs, ok: true });
    if (entry === 'receive') node.receive(msg);
    else source.send(msg);
  }).then((r) => ({ ...r, results: counters.results, ends: counters.ends }));
}

export async function throughput(baseUrl: string, options: ThroughputOptions): Promise<ThroughputResult> {
  const entry = options.entry ?? 'receive';
  const doneAt = options.done ?? 'both';
  const rows = options.only ?? [...ROWS];
  const out: ThroughputResult = { rounds: {}, undici: undiciVersion() };
  if (!out.undici) {
    out.undiciMissing = 'undici is not installed: set BENCH_UNDICI to the folder of an undici package to measure it';
    const at = rows.indexOf('undici');
    if (at !== -1) rows.splice(at, 1);
  }
  const red = await startRed(throughputFlow(baseUrl, { maxInFlight: String(options.concurrency), ...options.api }), { api: { apiKey: BENCH_API_KEY } });
  const pending = new Map<string, Pending>();
  const counters = { results: 0, ends: 0 };
  // Which sink ends which output; a message is done when all its outputs delivered.
  const resultSinks = new Set(['cc-result', 'httpreq-result', 'floor-result']);
  red.hub.onSink = (sink, msg) => {
    const entryOf = pending.get(msg._msgid);
    if (!entryOf) return;
    if (sink === 'errors') {
      pending.delete(msg._msgid);
      entryOf.finish(false);
      return;
    }
    if (resultSinks.has(sink)) {
      counters.results++;
      entryOf.resultAt ??= performance.now();
      entryOf.ok &&= msg.statusCode === 200 && okBody(msg.payload?.body ?? msg.payload);
    } else {
      counters.ends++;
    }
    // The earlier benchmark's way: a create-completion message ends at its passthrough.
    if (doneAt === 'passthrough' && sink === 'cc-result') return;
    if (doneAt === 'passthrough' && sink === 'cc-pass') entryOf.left = 1;
    if (--entryOf.left === 0) {
      pending.delete(msg._msgid);
      entryOf.finish(entryOf.ok, doneAt === 'passthrough' ? entryOf.resultAt : undefined);
    }
  };
  const run: Record<Row, () => Promise<RowResult>> = {
    http: () => bareHttp(baseUrl, options.loop),
    undici: () => bareUndici(baseUrl, options.loop),
    sdk: () => openaiSdk(baseUrl, options.loop),
    node: () => nodeLoop(red, pending, options.loop, 'cc', 'src-node', entry, 2, () => ({ payload: { ...REQUEST } }), counters),
    httpreq: () =>
      nodeLoop(red, pending, options.loop, 'httpreq', 'src-httpreq', entry, 1, () => ({ payload: { ...REQUEST }, headers: { Authorization: `Bearer ${BENCH_API_KEY}` } }), counters),
    floor: () => nodeLoop(red, pending, options.loop, 'floor', 'src-floor', entry, 2, () => ({ payload: { ...REQUEST } }), counters),
  };
  try {
    // Every row once, unmeasured: the runtime's and the clients' code compiled, sockets open.
    for (const row of rows) await run[row]();
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order so no row always follows the same one.
      const order = rows.map((_, i) => rows[(i + round) % rows.length]);
      for (const row of order) {
        await collect();
        const result = await run[row]();
        (out.rounds[row] ??= []).push(result);
        process.stdout.write(`round ${round + 1}/${options.rounds} ${row}: ${Math.round(result.rps)} req/s, ${result.cpuUsPerMsg.toFixed(0)} µs CPU/msg, ${result.errors} errors\n`);
      }
    }
  } finally {
    await red.stop();
  }
  return out;
}
