/**
 * The Node-RED scenarios, each run in its own process against the demo server (another
 * process): the real runtime embedded (red-runtime.ts), a closed loop of messages.
 */
import { performance } from 'node:perf_hooks';
import { i18n } from '@node-red/util';
import { BENCH_API_KEY, REQUEST, okBody } from '../common';
import { closedLoop, type Finish, type LoopOptions, type LoopResult } from '../loop';
import { apiConfig, completionNode, startRed } from '../red-runtime';

type Pending = { finish: Finish; resultAt?: number; ok: boolean };

/** The Node-RED side of a flow scenario: a source to send from, and which sink ends a message. */
async function flowLoop(
  flow: object[],
  credentials: Record<string, Record<string, string>>,
  loop: LoopOptions,
  makeMsg: () => Record<string, unknown>,
  ending: { result: string; end: string; error: string },
  afterLoop?: () => Record<string, number>,
): Promise<LoopResult & { results: number; ends: number; extra?: Record<string, number> }> {
  const red = await startRed(flow, credentials);
  const pending = new Map<string, Pending>();
  let results = 0;
  let ends = 0;
  let seq = 0;
  red.hub.onSink = (sink, msg) => {
    const entry = pending.get(msg._msgid);
    if (!entry) return;
    if (sink === ending.result) {
      results++;
      entry.resultAt ??= performance.now();
      entry.ok = msg.statusCode === 200 && okBody(msg.payload?.body ?? msg.payload);
    }
    if (sink === ending.error) entry.ok = false;
    if (sink === ending.end || sink === ending.error) {
      ends++;
      pending.delete(msg._msgid);
      entry.finish(entry.ok, entry.resultAt);
    }
  };
  const source = red.hub.sources.get('source');
  if (!source) throw new Error('bench-source did not start');
  try {
    const result = await closedLoop(loop, (finish) => {
      const msg = makeMsg();
      const id = `bench${(seq++).toString(36)}`;
      msg._msgid = id;
      pending.set(id, { finish, ok: false });
      source.send(msg);
    });
    return { ...result, results, ends, extra: afterLoop?.() };
  } finally {
    await red.stop();
  }
}

/** 2. create-completion in the embedded Node-RED; a message ends at its passthrough. */
/** source → create-completion (raw) → sinks on both outputs, and a catch into a sink. */
export function singleNodeFlow(baseUrl: string, api: Record<string, string>): object[] {
  const z = 'bench';
  return [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api', baseUrl, api),
    { id: 'source', z, type: 'bench-source', wires: [['cc']] },
    completionNode('cc', 'api', z, [['results'], ['pass']]),
    { id: 'results', z, type: 'bench-sink', wires: [] },
    { id: 'pass', z, type: 'bench-sink', wires: [] },
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', z, type: 'bench-sink', wires: [] },
  ];
}

export function createCompletionFlow(baseUrl: string, loop: LoopOptions, concurrency: number) {
  const flow = singleNodeFlow(baseUrl, { maxInFlight: String(concurrency) });
  return flowLoop(
    flow,
    { api: { apiKey: BENCH_API_KEY } },
    loop,
    () => ({ payload: { ...REQUEST } }),
    { result: 'results', end: 'pass', error: 'errors' },
    statusTextCost,
  );
}

/**
 * What one status text costs in this runtime: the node builds two per request
 * ("requesting", then "200 · 13 tokens") with RED._, i.e. an i18next lookup.
 */
function statusTextCost(): Record<string, number> {
  const ns = 'node-red-contrib-create-completion/create-completion:create-completion.status';
  const translate = (i18n as unknown as { _(key: string, values?: object): string })._;
  const time = (fn: (i: number) => string) => {
    let length = 0;
    for (let i = 0; i < 2000; i++) length += fn(i).length;
    const t0 = performance.now();
    const n = 20_000;
    for (let i = 0; i < n; i++) length += fn(i).length;
    const us = ((performance.now() - t0) * 1000) / n;
    return length > 0 ? us : NaN;
  };
  return {
    i18nRequestingUs: time(() => translate(`${ns}.requesting`)),
    i18nDoneUs: time((i) => translate(`${ns}.done`, { status: '200', tokens: 13 + (i & 7) })),
  };
}

/** 3. Node-RED's core `http request` node making the same call; a message ends at its result. */
export function httpRequestFlow(baseUrl: string, loop: LoopOptions) {
  const z = 'bench';
  const flow = [
    { id: z, type: 'tab', label: 'bench' },
    { id: 'source', z, type: 'bench-source', wires: [['http']] },
    {
      id: 'http', z, type: 'http request', name: '', method: 'POST', ret: 'obj', paytoqs: 'ignore', url: `${baseUrl}/completions`,
      tls: '', persist: true, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['results']],
    },
    { id: 'results', z, type: 'bench-sink', wires: [] },
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', z, type: 'bench-sink', wires: [] },
  ];
  return flowLoop(
    flow,
    {},
    loop,
    () => ({ payload: { ...REQUEST }, headers: { Authorization: `Bearer ${BENCH_API_KEY}` } }),
    { result: 'results', end: 'results', error: 'errors' },
  );
}
