/**
 * Property-based tests through the real Node-RED runtime: hostile `msg.payload` values
 * and hostile server answers. For every run: the process stays up (no uncaught
 * exception, no unhandled rejection), the message ends exactly once (Complete XOR
 * Catch) within a bound, an invalid payload never reaches the server, and
 * Object.prototype stays clean.
 *
 * Seeded: FUZZ_SEED=<n> replays a run; fast-check prints the seed and path of a failure.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlowHarness, type Outcome } from '../support/flow-harness';
import { startCompletionServer, type CompletionServer, type ScriptedAnswer } from '../../demo-server/completion-server';
import { inOtherRealm } from '../support/realms';
import type { ErrorCode } from '../../nodes/lib/errors/errors';

const KEY = 'sk-fuzz-Hq3Zt8Wn5Rv2Lc7Px4Ym9K';
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
const RUN_BOUND_MS = 5000;
let runCounter = 0;
/** Every code a failed message may carry: a record, so that a code added to ErrorCode must be added here too. */
const ERROR_CODES = new Set(Object.keys({
  INVALID_REQUEST: true, NO_CONNECTION: true, HTTP_ERROR: true, NETWORK_ERROR: true, TIMEOUT: true, BAD_RESPONSE: true,
  RESPONSE_TOO_LARGE: true, STREAM_ERROR: true, ABORTED: true, QUEUE_FULL: true, BUDGET_EXCEEDED: true,
  MODEL_NOT_FOUND: true, CHAT_MODEL: true, CONTEXT_TOO_LONG: true, MODEL_LOADING: true, QUOTA_EXCEEDED: true,
} satisfies Record<ErrorCode, true>));
const SEED_PARAMS = [
  'model', 'prompt', 'best_of', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs', 'max_tokens', 'n',
  'presence_penalty', 'seed', 'stop', 'stream', 'stream_options', 'suffix', 'temperature', 'top_p', 'user',
] as const;

// ---------------------------------------------------------------------------------------
// Process-level guards

const crashes: unknown[] = [];
let crashListeners: Array<() => void> = [];
const onCrash = (error: unknown) => {
  crashes.push(error);
  for (const l of crashListeners) l();
};
const crashed = () =>
  new Promise<never>((_, reject) => {
    const check = () => {
      if (crashes.length) reject(new Error(`the process would have crashed: ${describeCrash(crashes[0])}`));
    };
    crashListeners.push(check);
    check();
  });
function describeCrash(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  return String(error);
}

function snapshotPrototypes(): string {
  const describe = (o: object) =>
    Object.getOwnPropertyNames(o)
      .sort()
      .map((k) => {
        const d = Object.getOwnPropertyDescriptor(o, k)!;
        return `${k}:${typeof d.value}:${typeof d.get}:${typeof d.set}`;
      })
      .join(',');
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(describe).join('|');
}
const CLEAN = snapshotPrototypes();
function assertNotPolluted(): void {
  const probe: any = {};
  assert.equal(probe.polluted, undefined, 'Object.prototype.polluted is set');
  assert.equal(probe.isAdmin, undefined, 'Object.prototype.isAdmin is set');
  assert.equal(snapshotPrototypes(), CLEAN, 'a built-in prototype changed');
}

// ---------------------------------------------------------------------------------------
// Hostile values

function deepObject(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {};
    node.a = next;
    node = next;
  }
  return root;
}
function deepArray(depth: number): unknown[] {
  const root: unknown[] = [];
  let node = root;
  for (let i = 0; i < depth; i++) {
    const next: unknown[] = [];
    node.push(next);
    node = next;
  }
  return root;
}
function circular(): Record<string, unknown> {
  const o: Record<string, unknown> = { prompt: 'circular', model: 'demo-instruct' };
  o.self = o;
  return o;
}
function withOwnKey(key: string, value: unknown, base: Record<string, unknown> = { prompt: 'x' }): Record<string, unknown> {
  const o = { ...base };
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}
const huge = (n: number, c = 'a') => c.repeat(n);

/**
 * Named hostile payloads, and what each must end in: an error code, 'result', 'any', or
 * 'survive' for a message nested deeper than Node-RED itself can clone (its Catch and
 * Complete nodes clone the message, and fail from about 2000 levels): then the process
 * must stay up, nothing may be sent, and the node must still end the message, by a Catch
 * or Complete event or, when Node-RED cannot deliver one, an error in the log.
 */
const HOSTILE: Array<[string, () => unknown, string]> = [
  ['a 1 MB string prompt', () => huge(1_000_000, 'w'), 'result'],
  ['a 1 MB user string', () => ({ prompt: 'x', user: huge(1_000_000) }), 'result'],
  ['a 1000-level nested object as an extra parameter', () => ({ prompt: 'x', extra: deepObject(1000) }), 'result'],
  ['a 5000-level nested object as an extra parameter', () => ({ prompt: 'x', extra: deepObject(5000) }), 'survive'],
  ['a 5000-level nested object as the payload', () => deepObject(5000), 'survive'],
  ['a 5000-level nested array as the prompt', () => deepArray(5000), 'survive'],
  ['a mixed-type array as the prompt', () => ['text', 1, null, { a: 1 }, [2], true, -0, NaN], 'INVALID_REQUEST'],
  ['__proto__ from JSON.parse', () => JSON.parse('{"prompt":"x","__proto__":{"polluted":"yes","isAdmin":true}}'), 'INVALID_REQUEST'],
  ['constructor.prototype from JSON.parse', () => JSON.parse('{"prompt":"x","constructor":{"prototype":{"polluted":"yes"}}}'), 'INVALID_REQUEST'],
  ['prototype as a key', () => withOwnKey('prototype', { polluted: 'yes' }), 'INVALID_REQUEST'],
  ['__proto__ by defineProperty', () => withOwnKey('__proto__', { polluted: 'yes' }), 'INVALID_REQUEST'],
  ['__proto__ inside logit_bias', () => ({ prompt: 'x', logit_bias: JSON.parse('{"__proto__":{"polluted":1}}') }), 'INVALID_REQUEST'],
  ['__proto__ inside an extra parameter', () => ({ prompt: 'x', extra: JSON.parse('{"__proto__":{"polluted":"yes"}}') }), 'result'],
  ['temperature NaN', () => ({ prompt: 'x', temperature: NaN }), 'INVALID_REQUEST'],
  ['max_tokens Infinity', () => ({ prompt: 'x', max_tokens: Infinity }), 'INVALID_REQUEST'],
  ['max_tokens -Infinity', () => ({ prompt: 'x', max_tokens: -Infinity }), 'INVALID_REQUEST'],
  ['a token-id prompt with Infinity', () => [1, 2, Infinity], 'INVALID_REQUEST'],
  ['a token-id-array prompt with Infinity', () => [[1, 2], [Infinity]], 'INVALID_REQUEST'],
  ['logit_bias value NaN', () => ({ prompt: 'x', logit_bias: { '13': NaN } }), 'INVALID_REQUEST'],
  ['temperature -0', () => ({ prompt: 'x', temperature: -0 }), 'result'],
  ['max_tokens 1e308', () => ({ prompt: 'x', max_tokens: 1e308 }), 'any'],
  ['seed 1e308', () => ({ prompt: 'x', seed: 1e308 }), 'INVALID_REQUEST'],
  ['a Buffer payload', () => Buffer.from('a prompt in a buffer'), 'result'],
  ['a Date payload', () => new Date(0), 'INVALID_REQUEST'],
  ['a Date as user', () => ({ prompt: 'x', user: new Date(0) }), 'INVALID_REQUEST'],
  ['a function payload', () => () => 'hello', 'INVALID_REQUEST'],
  ['a function as prompt', () => ({ prompt: () => 'x' }), 'INVALID_REQUEST'],
  ['a Symbol payload', () => Symbol('s'), 'INVALID_REQUEST'],
  ['a BigInt max_tokens', () => ({ prompt: 'x', max_tokens: BigInt(5) }), 'INVALID_REQUEST'],
  ['a Map payload', () => new Map([['prompt', 'x']]), 'INVALID_REQUEST'],
  ['a null-prototype object holding a BigInt as user', () => ({ prompt: 'x', user: Object.assign(Object.create(null), { n: BigInt(1) }) }), 'INVALID_REQUEST'],
  ['a circular payload', () => circular(), 'INVALID_REQUEST'],
  ['a BigInt in an extra parameter', () => ({ prompt: 'x', extra: { n: BigInt(1) } }), 'INVALID_REQUEST'],
  ['a circular prompt array', () => {
    const a: unknown[] = ['x'];
    a.push(a);
    return a;
  }, 'INVALID_REQUEST'],
];

// Wrong values for each seed parameter (never null/undefined: those remove a parameter).
const notString = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  fc.date({ noInvalidDate: true }), fc.constant(Buffer.from('buf')), fc.constant(() => 'fn'), fc.bigInt(),
);
const notNumber = fc.oneof(
  fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom(NaN, Infinity, -Infinity), fc.date({ noInvalidDate: true }), fc.bigInt(), fc.constant(Buffer.from('1')),
);
const notInteger = fc.oneof(notNumber, fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)));
const notBoolean = fc.oneof(fc.constantFrom('true', 'false', 0, 1), fc.integer(), fc.string(), fc.array(fc.boolean(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.boolean(), { maxKeys: 2 }));
const outside = (min: number | undefined, max: number | undefined, integer: boolean) => {
  const options: fc.Arbitrary<unknown>[] = [];
  // fast-check orders -0 below 0, but -0 is 0 to the API: keep only values really below the minimum.
  if (min !== undefined) options.push(integer ? fc.integer({ min: min - 1000, max: min - 1 }) : fc.double({ max: min, maxExcluded: true, noNaN: true, noDefaultInfinity: true, min: min - 1000 }).filter((v) => v < min));
  if (max !== undefined) options.push(integer ? fc.integer({ min: max + 1, max: max + 1000 }) : fc.double({ min: max, minExcluded: true, noNaN: true, noDefaultInfinity: true, max: max + 1000 }));
  return options;
};
const WRONG: Record<(typeof SEED_PARAMS)[number], fc.Arbitrary<unknown>> = {
  model: fc.oneof(notString, fc.constant('')),
  suffix: notString,
  user: notString,
  prompt: fc.oneof(
    fc.integer(), fc.double(), fc.boolean(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.date({ noInvalidDate: true }),
    fc.constantFrom([1.5], [-1], [NaN], [Infinity], [[]], [['a']], ['a', 1], [[1, 'a']], [[1], 2], [null], [[Infinity]]),
    fc.array(fc.oneof(fc.string(), fc.integer({ min: 0 })), { minLength: 2, maxLength: 4 }).filter((a) => a.some((x) => typeof x === 'string') && a.some((x) => typeof x === 'number')),
  ),
  best_of: fc.oneof(notInteger, ...outside(0, 20, true)),
  logprobs: fc.oneof(notInteger, ...outside(0, 5, true)),
  max_tokens: fc.oneof(notInteger, ...outside(0, undefined, true)),
  n: fc.oneof(notInteger, ...outside(1, 128, true)),
  seed: fc.oneof(notInteger, fc.constantFrom(1e308, -1e308, 2 ** 60)),
  frequency_penalty: fc.oneof(notNumber, ...outside(-2, 2, false)),
  presence_penalty: fc.oneof(notNumber, ...outside(-2, 2, false)),
  temperature: fc.oneof(notNumber, ...outside(0, 2, false)),
  top_p: fc.oneof(notNumber, ...outside(0, 1, false)),
  echo: notBoolean,
  stream: notBoolean,
  stop: fc.oneof(
    fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.constant([]),
    fc.array(fc.string(), { minLength: 5, maxLength: 8 }), fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), { minLength: 1, maxLength: 3 }),
  ),
  logit_bias: fc.oneof(
    fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }),
    fc.constantFrom({ abc: 1 }, { '1': 1.5 }, { '1': 101 }, { '1': -101 }, { '1': NaN }, { '1': Infinity }, { '1': '5' }, { '-1': 5 }, { '1.5': 5 }),
  ),
  stream_options: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.boolean(), { maxLength: 2 }), fc.constant({ include_usage: 'yes' }), fc.constant({ include_usage: true })),
};

/** True when a payload can never be a valid request, whatever the dialog says. */
function definitelyInvalid(payload: unknown): boolean {
  if (typeof payload === 'function' || typeof payload === 'symbol' || typeof payload === 'bigint') return true;
  if (payload === null || typeof payload !== 'object' || Buffer.isBuffer(payload)) return false;
  if (Array.isArray(payload)) return hasNonFinite(payload, 0);
  // A plain object of any realm (a function node's literal has its vm context's prototype).
  const proto = Object.getPrototypeOf(payload);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return true;
  const keys = Object.keys(payload);
  if (keys.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) return true;
  const record = payload as Record<string, unknown>;
  return SEED_PARAMS.some((p) => keys.includes(p) && record[p] !== null && record[p] !== undefined && hasNonFinite(record[p], 0));
}
function hasNonFinite(value: unknown, depth: number): boolean {
  if (depth > 50) return false;
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some((v) => hasNonFinite(v, depth + 1));
}

/** A payload with a short printable name, so that a counterexample of 1 MB prints as one line. */
interface Case {
  value: unknown;
}
function labelled(value: unknown, label: string): Case {
  return { value, [fc.toStringMethod]: () => label } as Case;
}
function printed(value: unknown): string {
  let text: string;
  try {
    text = fc.stringify(value);
  } catch {
    text = String(typeof value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…(${text.length} chars)` : text;
}
const asCase = (value: unknown): Case => labelled(value, printed(value));

// ---------------------------------------------------------------------------------------
// Checks shared by every run

function assertEndedOnce(out: Outcome, label: string, format = 'raw'): void {
  assert.equal(out.completes.length + out.errors.length, 1, `${label}: ${out.completes.length} Complete and ${out.errors.length} Catch`);
  const ordered = out.events.filter((e) => e.kind !== 'status' && e.kind !== 'joined').map((e) => e.kind);
  const end = ordered.findIndex((k) => k === 'complete' || k === 'error');
  assert.equal(end, ordered.length - 1, `${label}: something was sent after the message ended: ${ordered.join(',')}`);
  if (out.completes.length === 1) {
    assert.equal(out.pass.length, 1, `${label}: a completed message has one passthrough`);
    // raw and text always give a result; choices gives one per choice, so none for a body without choices.
    if (format !== 'choices') assert.ok(out.results.length >= 1, `${label}: a completed message has a result`);
    // A sequence on output 1 must be closable by a join node: its last message has parts.count or complete.
    const last = out.results.at(-1);
    if (last?.parts) {
      assert.ok(last.complete === true || last.parts.count !== undefined, `${label}: the last of ${out.results.length} sequence messages neither has parts.count nor complete: a join would wait forever`);
    }
  } else {
    assert.equal(out.pass.length, 0, `${label}: a failed message has no passthrough`);
    const error = out.errors[0].error;
    assert.ok(ERROR_CODES.has(error.code), `${label}: unknown error code ${error.code}: ${error.message}`);
    assert.equal(typeof error.message, 'string');
  }
}

function outcomeCode(out: Outcome): string {
  return out.errors.length ? out.errors[0].error.code : 'result';
}

function describeOutcome(out: Outcome): string {
  if (out.errors.length) return `${out.errors[0].error.code}: ${String(out.errors[0].error.message).slice(0, 300)}`;
  return `result ${JSON.stringify(out.results[0]?.payload?.status ?? out.results[0]?.statusCode)}`;
}

// ---------------------------------------------------------------------------------------

describe('fuzz: hostile messages and hostile servers through a real Node-RED', function () {
  this.timeout(90_000);
  let server: CompletionServer;
  let flow: FlowHarness | undefined;
  let flowKey = '';
  const saved: Record<'uncaughtException' | 'unhandledRejection', NodeJS.UncaughtExceptionListener[]> = { uncaughtException: [], unhandledRejection: [] };

  before(async () => {
    console.log(`      fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    server = await startCompletionServer({ requireApiKey: KEY });
    // Take over from mocha so that a crash is reported by the property that caused it.
    for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
      saved[event] = process.listeners(event as 'uncaughtException');
      process.removeAllListeners(event);
      process.on(event, onCrash);
    }
  });
  after(async () => {
    for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
      process.removeListener(event, onCrash);
      for (const l of saved[event]) process.on(event as 'uncaughtException', l);
    }
    await flow?.unload();
    flow = undefined;
    await server.close();
  });
  beforeEach(() => {
    crashes.length = 0;
    crashListeners = [];
  });
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
    flowKey = '';
    // Each run asserts its own crashes; one from a failed run must not fail the tests after it.
    crashes.length = 0;
    crashListeners = [];
  });

  /** Loads a flow unless the same one is already running. */
  async function use(api: Record<string, unknown>, node: Record<string, unknown>): Promise<FlowHarness> {
    const key = JSON.stringify([api, node]);
    if (flow && key === flowKey) return flow;
    await flow?.unload();
    flow = await FlowHarness.load({ api: { baseUrl: server.url, ...api }, credentials: { apiKey: KEY }, node });
    flowKey = key;
    return flow;
  }

  /** One message through the node, bounded, and failing at once if the process would crash. */
  async function runOne(f: FlowHarness, payload: unknown, label: string): Promise<{ out: Outcome; posts: number }> {
    server.reset();
    crashes.length = 0;
    crashListeners = [];
    const out = await Promise.race([f.run({ payload }, { timeoutMs: RUN_BOUND_MS, settleMs: 10 }), crashed()]);
    assert.deepEqual(crashes.map(describeCrash), [], `${label}: crash`);
    assertEndedOnce(out, label);
    assertNotPolluted();
    return { out, posts: server.requests.filter((r) => r.method === 'POST').length };
  }

  /** For a message Node-RED cannot clone: no crash, nothing sent, and the node still ends it (or logs why it could not). */
  async function survives(f: FlowHarness, payload: unknown, label: string): Promise<void> {
    server.reset();
    crashes.length = 0;
    crashListeners = [];
    const msgid = `survive-${++runCounter}`;
    const loggedBefore = errorLogCount(f);
    const ended = () => f.outcome(msgid).completes.length + f.outcome(msgid).errors.length > 0 || errorLogCount(f) > loggedBefore;
    f.node().receive({ _msgid: msgid, payload });
    const deadline = Date.now() + RUN_BOUND_MS;
    while (!ended() && crashes.length === 0) {
      assert.ok(Date.now() < deadline, `${label}: neither ended nor logged within ${RUN_BOUND_MS} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(crashes.map(describeCrash), [], `${label}: crash`);
    const out = f.outcome(msgid);
    assert.ok(out.completes.length + out.errors.length <= 1, `${label}: ended more than once`);
    assert.equal(server.requests.length, 0, `${label}: reached the server`);
    assertNotPolluted();
  }
  function errorLogCount(f: FlowHarness): number {
    return f.logLines().filter((line) => {
      try {
        const [entry] = JSON.parse(line);
        return entry?.level === 20 && entry?.id === 'cc';
      } catch {
        return false;
      }
    }).length;
  }

  const fcOptions = (numRuns: number) => ({ seed: SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(40_000)] });

  describe('named hostile payloads', () => {
    for (const [label, make, expected] of HOSTILE) {
      const what = expected === 'any' ? '' : expected === 'survive' ? ' or is logged' : ` with ${expected}`;
      it(`${label}: ends once${what}, the process stays up, nothing is polluted`, async () => {
        const f = await use({ timeout: '5', maxRetries: '0' }, { max_tokens: '2' });
        if (expected === 'survive') return survives(f, make(), label);
        const { out, posts } = await runOne(f, make(), label);
        if (expected !== 'any') assert.equal(outcomeCode(out), expected, `${label}: ${describeOutcome(out)}`);
        if (outcomeCode(out) === 'INVALID_REQUEST') assert.equal(posts, 0, `${label}: an invalid request reached the server`);
      });
    }
  });

  describe('named hostile answers', () => {
    const eventStream = { 'content-type': 'text/event-stream' };
    const answers: Array<[string, string, boolean, ScriptedAnswer, string]> = [
      ['a stream whose events carry no choices (choices format)', 'choices', true,
        { kind: 'status', status: 200, headers: eventStream, body: 'data: {"id":"c","object":"text_completion","created":0,"model":"m","choices":[]}\n\ndata: [DONE]\n\n' }, 'result'],
      ['a stream of only [DONE] (choices format)', 'choices', true, { kind: 'status', status: 200, headers: eventStream, body: 'data: [DONE]\n\n' }, 'any'],
      ['a gzip content-encoding over a body that is not gzip', 'raw', false, { kind: 'status', status: 200, headers: { 'content-encoding': 'gzip' }, body: 'not compressed at all' }, 'BAD_RESPONSE'],
      ['a brotli content-encoding over a body that is not brotli', 'text', false, { kind: 'status', status: 200, headers: { 'content-encoding': 'br' }, body: 'not compressed at all' }, 'BAD_RESPONSE'],
      ['a 101 Switching Protocols', 'raw', false, { kind: 'status', status: 101 }, 'any'],
      ['a 103 Early Hints and nothing after', 'raw', false, { kind: 'status', status: 103 }, 'TIMEOUT'],
      ['a 204 No Content', 'text', false, { kind: 'status', status: 204 }, 'any'],
      ['a 302 redirect', 'raw', false, { kind: 'status', status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }, 'any'],
    ];
    for (const [label, format, stream, answer, expected] of answers) {
      it(`${label}: ends once${expected === 'any' ? '' : ` with ${expected}`}, and a join node after output 1 is never left waiting`, async () => {
        await flow?.unload();
        flowKey = '';
        flow = await FlowHarness.load({ api: { baseUrl: server.url, timeout: '0.3', maxRetries: '0' }, credentials: { apiKey: KEY }, node: { max_tokens: '2', resultFormat: format }, join: true });
        const f = flow;
        server.reset();
        crashes.length = 0;
        server.script(answer);
        const out = await Promise.race([f.run({ payload: { prompt: 'x', stream } }, { timeoutMs: RUN_BOUND_MS, settleMs: 50 }), crashed()]);
        assert.deepEqual(crashes.map(describeCrash), [], 'crash');
        assertEndedOnce(out, label, format);
        if (expected !== 'any') assert.equal(outcomeCode(out), expected, `${label}: ${describeOutcome(out)}`);
        if (out.results.some((m) => m.parts)) {
          await f.waitFor(() => f.events.some((e) => e.kind === 'joined'), 1000).catch(() => undefined);
          assert.ok(f.events.some((e) => e.kind === 'joined'), `${label}: the join node never completed the sequence of ${out.results.length} messages`);
        }
      });
    }
  });

  describe('properties', () => {
    it('property: any msg.payload ends once, never crashes, never pollutes, and an invalid one is never sent', async () => {
      const f = await use({ timeout: '2', maxRetries: '0' }, { prompt: 'the dialog prompt', max_tokens: '2' });
      const anything = fc.anything({
        maxDepth: 3, maxKeys: 5, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
        withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true,
      });
      const hostileKeys = fc.constantFrom(...SEED_PARAMS, 'top_k', '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty');
      const paramObject = fc
        .array(fc.tuple(hostileKeys, fc.oneof(anything, fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, -1e308))), { maxLength: 4 })
        .map((entries) => {
          const o: Record<string, unknown> = {};
          for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          return o;
        });
      const specials = fc.constantFrom(...HOSTILE.filter(([, , expected]) => expected !== 'survive')).map(([label, make]) => labelled(make(), label));
      const nested = fc
        .tuple(fc.integer({ min: 2, max: 1000 }), fc.constantFrom('object', 'array'), fc.constantFrom('payload', 'prompt', 'extra'))
        .map(([depth, shape, where]) => {
          const value = shape === 'object' ? deepObject(depth) : deepArray(depth);
          const payload = where === 'payload' ? value : { [where]: value };
          return labelled(payload, `${depth}-level nested ${shape} as ${where}`);
        });
      const anyPayload: fc.Arbitrary<Case> = fc.oneof(
        { arbitrary: anything.map(asCase), weight: 4 },
        { arbitrary: paramObject.map(asCase), weight: 4 },
        { arbitrary: fc.array(anything, { maxLength: 5 }).map(asCase), weight: 1 },
        { arbitrary: specials, weight: 1 },
        { arbitrary: nested, weight: 1 },
      );
      // Half of them as a function node hands them over: built in another realm.
      const payload = fc.tuple(anyPayload, fc.boolean()).map(([c, vm]) => (vm ? labelled(inOtherRealm(c.value), `(function node) ${String(c)}`) : c));
      await fc.assert(
        fc.asyncProperty(payload, async ({ value }) => {
          const invalid = definitelyInvalid(value);
          const { out, posts } = await runOne(f, value, 'payload');
          const code = outcomeCode(out);
          if (code === 'INVALID_REQUEST') assert.equal(posts, 0, 'an INVALID_REQUEST reached the server');
          if (invalid) {
            assert.equal(code, 'INVALID_REQUEST', `a payload that can never be valid ended with ${describeOutcome(out)}`);
            assert.equal(posts, 0);
          }
          assert.ok(posts <= 1, `${posts} requests with maxRetries 0`);
        }),
        fcOptions(300),
      );
    });

    it('property: a valid request, built here or in a function node, is sent exactly as written', async () => {
      const f = await use({ timeout: '2', maxRetries: '0' }, {});
      const prompt = fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
      );
      const request = fc.record(
        {
          prompt,
          max_tokens: fc.integer({ min: 0, max: 4 }),
          temperature: fc.double({ min: 0, max: 2, noNaN: true }),
          top_p: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.integer(),
          echo: fc.boolean(),
          stop: fc.oneof(fc.string({ minLength: 1, maxLength: 5 }), fc.array(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 })),
          logit_bias: fc.dictionary(fc.integer({ min: 0, max: 50_000 }).map(String), fc.integer({ min: -100, max: 100 }), { maxKeys: 3 }),
          logprobs: fc.integer({ min: 0, max: 5 }),
          user: fc.string({ maxLength: 10 }),
          top_k: fc.integer({ min: 1, max: 100 }),
        },
        { requiredKeys: ['prompt', 'max_tokens'] },
      );
      await fc.assert(
        fc.asyncProperty(request, fc.boolean(), async (params, vm) => {
          const { out, posts } = await runOne(f, vm ? inOtherRealm(params) : params, vm ? 'function-node request' : 'request');
          assert.equal(out.errors.length, 0, `refused: ${describeOutcome(out)}`);
          assert.equal(posts, 1);
          const sent = server.requests.find((r) => r.method === 'POST')!.body as Record<string, unknown>;
          assert.deepEqual(sent, { model: 'demo-instruct', ...JSON.parse(JSON.stringify(params)) });
        }),
        fcOptions(150),
      );
    });

    it('property: a wrong type or value for any parameter fails with INVALID_REQUEST naming it, and sends nothing', async () => {
      const f = await use({ timeout: '2', maxRetries: '0' }, { max_tokens: '2' });
      const wrongPair = fc.constantFrom(...SEED_PARAMS).chain((param) => WRONG[param].map((value) => [param, value] as const));
      const wrongPairs = fc.uniqueArray(wrongPair, { minLength: 1, maxLength: 3, selector: ([param]) => param });
      await fc.assert(
        fc.asyncProperty(wrongPairs, fc.string({ maxLength: 20 }), async (pairs, prompt) => {
          const payload: Record<string, unknown> = { prompt };
          for (const [param, value] of pairs) payload[param] = value;
          const { out, posts } = await runOne(f, payload, 'wrong parameter');
          assert.equal(outcomeCode(out), 'INVALID_REQUEST', describeOutcome(out));
          assert.equal(posts, 0, 'an invalid request reached the server');
          const fields = out.errors[0].error.cause.fields.map((p: { field: string }) => p.field);
          for (const [param] of pairs) assert.ok(fields.includes(param), `${param} not named in ${JSON.stringify(fields)}`);
        }),
        fcOptions(400),
      );
    });

    it('property: whatever the server answers, each message ends once within the bound and the process stays up', async () => {
      const json = fc.jsonValue({ maxDepth: 3 });
      const text = fc.string({ maxLength: 200, unit: 'binary' });
      const sseLine = fc.oneof(
        fc.constant('data: [DONE]'),
        fc.constant('event: error'),
        fc.constant(': keep-alive'),
        fc.constant('retry: 10'),
        fc.constant('data: {"id":"c","object":"text_completion","choices":[{"text":"x","index":0,"logprobs":null,"finish_reason":null}]}'),
        fc.constant('data: {"error":{"message":"boom","type":"server_error"}}'),
        json.map((v) => `data: ${JSON.stringify(v)}`),
        text.map((t) => `data: ${t}`),
        text,
      );
      const sseJunk = fc
        .tuple(fc.array(sseLine, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
        .map(([lines, end, blank]): ScriptedAnswer => ({
          kind: 'status', status: 200, headers: { 'content-type': 'text/event-stream' },
          body: lines.map((l) => l + end + (blank ? end : '')).join(''),
        }));
      const retryHeaders = fc.record(
        {
          'retry-after-ms': fc.constantFrom('0', '5', '20', '20', '20', 'soon', '-1'),
          'x-should-retry': fc.constantFrom('true', 'false', 'maybe'),
          'content-type': fc.constantFrom('application/json', 'text/plain', 'text/event-stream', 'text/html', 'application/octet-stream'),
          'content-encoding': fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x-unknown'),
        },
        { requiredKeys: ['retry-after-ms'] },
      );
      const randomStatus = fc
        .tuple(fc.integer({ min: 100, max: 599 }), retryHeaders, fc.option(fc.oneof(json, text), { nil: undefined }))
        .map(([status, headers, body]): ScriptedAnswer => ({ kind: 'status', status, headers, body }));
      const fault: fc.Arbitrary<ScriptedAnswer> = fc.oneof(
        { arbitrary: fc.constant<ScriptedAnswer>({ kind: 'reset-before-headers' }), weight: 1 },
        { arbitrary: fc.option(text, { nil: undefined }).map((partialBody): ScriptedAnswer => ({ kind: 'reset-after-headers', partialBody: partialBody || undefined })), weight: 1 },
        { arbitrary: fc.constant<ScriptedAnswer>({ kind: 'hang' }), weight: 1 },
        { arbitrary: fc.integer({ min: 0, max: 60 }).map((ms): ScriptedAnswer => ({ kind: 'delay', ms })), weight: 2 },
        { arbitrary: fc.record({ intervalMs: fc.integer({ min: 0, max: 30 }), chunkBytes: fc.integer({ min: 30, max: 300 }) }).map((d): ScriptedAnswer => ({ kind: 'drip', ...d })), weight: 2 },
        { arbitrary: fc.constant<ScriptedAnswer>({ kind: 'malformed' }), weight: 2 },
        { arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map((bytes): ScriptedAnswer => ({ kind: 'large', bytes })), weight: 2 },
        { arbitrary: fc.record({ afterEvents: fc.integer({ min: 0, max: 3 }), style: fc.constantFrom('data' as const, 'event' as const) }).map((s): ScriptedAnswer => ({ kind: 'stream-error-event', ...s })), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: 3 }).map((afterEvents): ScriptedAnswer => ({ kind: 'stream-truncate', afterEvents })), weight: 2 },
        { arbitrary: fc.constant<ScriptedAnswer>({ kind: 'stream-no-done' }), weight: 1 },
        { arbitrary: fc.constantFrom<ScriptedAnswer>({ kind: 'stream-bytewise', lineEnd: '\r\n', comments: true }, { kind: 'stream-bytewise', lineEnd: '\r' }), weight: 1 },
        { arbitrary: randomStatus, weight: 8 },
        { arbitrary: sseJunk, weight: 5 },
      );
      const scenario = fc.record({
        format: fc.constantFrom('raw', 'text', 'choices'),
        // Retries with the node's own backoff (0.4-0.5 s) are slow: most runs do without.
        maxRetries: fc.constantFrom('0', '0', '1'),
        stream: fc.boolean(),
        // One answer per message, and sometimes one more for its retry.
        answers: fc.array(fc.tuple(fault, fc.option(fault, { nil: undefined, freq: 3 })), { minLength: 1, maxLength: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async ({ format, maxRetries, stream, answers }) => {
          crashes.length = 0;
          crashListeners = [];
          const f = await use({ timeout: '0.3', maxRetries, maxInFlight: '2', maxResponseMB: '0.05' }, { max_tokens: '3', resultFormat: format });
          server.reset();
          for (const [first, second] of answers) server.script(...(second ? [first, second] : [first]));
          const run = ++runCounter;
          const ids = answers.map((_, i) => `srv-${run}-${i}`);
          const ended = () => ids.every((id) => f.outcome(id).completes.length + f.outcome(id).errors.length > 0);
          const all = f.waitFor(ended, RUN_BOUND_MS);
          for (const id of ids) f.node().receive({ _msgid: id, payload: { prompt: `fuzz ${id}`, stream } });
          await Promise.race([all, crashed()]);
          await new Promise((r) => setTimeout(r, 15));
          assert.deepEqual(crashes.map(describeCrash), [], 'crash');
          for (const id of ids) assertEndedOnce(f.outcome(id), id, format);
          assertNotPolluted();
          const posts = server.requests.filter((r) => r.method === 'POST').length;
          // A keep-alive socket the server resets before any answer is taken for one it had
          // closed, and the request goes once more on a fresh socket (transport.ts): one
          // more send per such answer, and no more.
          const resets = answers.flat().filter((a) => a?.kind === 'reset-before-headers').length;
          assert.ok(posts <= ids.length * (Number(maxRetries) + 1) + resets, `${posts} requests for ${ids.length} messages with maxRetries ${maxRetries} and ${resets} resets`);
        }),
        fcOptions(100),
      );
    });
  });
});

