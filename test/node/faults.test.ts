/**
 * Faults against the local server, through the real Node-RED runtime: every test
 * asserts the outcome of each message (a result or a catchable error, exactly one of
 * Complete or Catch) AND how many requests the server received.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { FlowHarness, helper, type Msg, type Outcome } from '../support/flow-harness';
import type { RecordedRequest } from '../../demo-server/completion-server';
import { useDemoServer } from '../support/demo-server-suite';
import { completionFor } from '../../demo-server/generate';
import completionApi from '../../nodes/completion-api';
import createCompletion from '../../nodes/create-completion';
import catchNode from '@node-red/nodes/core/common/25-catch.js';
import completeNode from '@node-red/nodes/core/common/24-complete.js';

/** Distinctive, so a search for it (or any 10-character piece of it) cannot hit anything else. */
const KEY = 'sk-faults-Q7xV2mZp9Lr4Tn8Kw3HyJ6';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exactly one of Complete and Catch fired for the message. */
function assertOneOutcome(out: Outcome, label = 'message'): void {
  assert.equal(out.completes.length + out.errors.length, 1, `${label}: ${out.completes.length} Complete and ${out.errors.length} Catch events`);
}

function assertResult(out: Outcome, status: number): Msg {
  assertOneOutcome(out);
  assert.equal(out.errors.length, 0, `unexpected error: ${JSON.stringify(out.errors[0]?.error)}`);
  assert.equal(out.results.length, 1);
  assert.equal(out.pass.length, 1);
  const result = out.results[0];
  if (typeof result.payload === 'object' && result.payload !== null && 'status' in result.payload) assert.equal(result.payload.status, status);
  assert.equal(result.statusCode, status);
  return result;
}

function assertFailure(out: Outcome, code: string): Msg {
  assertOneOutcome(out);
  assert.equal(out.errors.length, 1, `expected ${code}, got results ${JSON.stringify(out.results.map((r) => r.payload?.status ?? r.payload))}`);
  assert.equal(out.pass.length, 0, 'no passthrough for a failed message');
  const error = out.errors[0].error;
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}

/** Gaps between consecutive recorded requests, in ms. */
const gaps = (requests: RecordedRequest[]) => requests.slice(1).map((r, i) => r.at - requests[i].at);

describe('faults: retries, network failures, limits, close and secrets in a real Node-RED', function () {
  this.timeout(20_000);
  const suite = useDemoServer({ requireApiKey: KEY });

  const load = async (api: Record<string, unknown> = {}, node: Record<string, unknown> = {}) => {
    suite.flow = await FlowHarness.load({
      api: { baseUrl: suite.server.url, timeout: '5', maxRetries: '2', ...api },
      credentials: { apiKey: KEY },
      node: { max_tokens: '2', ...node },
    });
    return suite.flow;
  };
  const posts = () => suite.server.requests.filter((r) => r.method === 'POST');

  describe('retryable statuses and the server-requested wait', () => {
    for (const resultFormat of ['raw', 'text'] as const) {
      it(`429 then success (${resultFormat}): one retry, then the result`, async () => {
        const f = await load({}, { resultFormat });
        suite.server.script({ kind: 'status', status: 429, headers: { 'retry-after-ms': '50' } });
        const out = await f.run({ payload: 'rate limited once' });
        const result = assertResult(out, 200);
        if (resultFormat === 'text') assert.equal(typeof result.payload, 'string');
        else assert.equal(result.payload.body.object, 'text_completion');
        assert.equal(posts().length, 2);
        assert.ok(gaps(posts())[0] >= 40, `waited ${gaps(posts())[0]} ms`);
        assert.ok(f.statuses().some((s) => s.fill === 'yellow' && s.text === 'create-completion.status.retrying'));
      });
    }

    // The first retry's own backoff is 375..500 ms; each lower bound sits above it, so
    // passing proves the header was read, not that backoff happened to be long enough.
    const waits: Array<[string, () => Record<string, string>, number]> = [
      ['retry-after-ms: 700', () => ({ 'retry-after-ms': '700' }), 650],
      ['retry-after: 1 (seconds)', () => ({ 'retry-after': '1' }), 900],
      ['retry-after as an HTTP date 2 s ahead', () => ({ 'retry-after': new Date(Date.now() + 2000).toUTCString() }), 800],
    ];
    for (const [label, headers, atLeast] of waits) {
      it(`429 with ${label}: waits at least ${atLeast} ms before the retry`, async () => {
        const f = await load();
        suite.server.script({ kind: 'status', status: 429, headers: headers() });
        const out = await f.run({ payload: 'x' });
        assertResult(out, 200);
        assert.equal(posts().length, 2);
        const gap = gaps(posts())[0];
        assert.ok(gap >= atLeast, `the retry came after ${gap} ms`);
        assert.ok(gap < 5000, `the retry came after ${gap} ms`);
      });
    }

    it('retry-after-ms takes precedence over retry-after', async () => {
      const f = await load();
      suite.server.script({ kind: 'status', status: 429, headers: { 'retry-after-ms': '20', 'retry-after': '20' } });
      const out = await f.run({ payload: 'x' });
      assertResult(out, 200);
      assert.equal(posts().length, 2);
      assert.ok(gaps(posts())[0] < 5000);
    });

    // connection-settings.ts: maxRetryWaitMs is 60 s; above it, the node falls back to its own backoff.
    const tooLong: Array<[string, () => Record<string, string>]> = [
      ['retry-after-ms: 600000', () => ({ 'retry-after-ms': '600000' })],
      ['retry-after: 3600', () => ({ 'retry-after': '3600' })],
      ['retry-after: a date a day ahead', () => ({ 'retry-after': new Date(Date.now() + 86_400_000).toUTCString() })],
    ];
    for (const [label, headers] of tooLong) {
      it(`a wait above the connection's longest retry wait (${label}) ends the retries: the answer is the result`, async () => {
        const f = await load({ maxRetryWait: '60' });
        suite.server.script({ kind: 'status', status: 429, headers: headers() });
        const out = await f.run({ payload: 'x' });
        assertResult(out, 429);
        assert.equal(posts().length, 1, 'not retried sooner than the server asked');
      });
    }

    it('x-should-retry: false is not retried, even on a 503', async () => {
      const f = await load();
      suite.server.script({ kind: 'status', status: 503, headers: { 'x-should-retry': 'false', 'retry-after-ms': '10' } });
      const out = await f.run({ payload: 'x' });
      assertResult(out, 503);
      assert.equal(posts().length, 1);
    });

    it('x-should-retry: true is retried, even on a 400', async () => {
      const f = await load();
      suite.server.script({ kind: 'status', status: 400, headers: { 'x-should-retry': 'true', 'retry-after-ms': '10' } });
      const out = await f.run({ payload: 'x' });
      assertResult(out, 200);
      assert.equal(posts().length, 2);
    });

    it('a persistent 5xx ends after maxRetries + 1 requests: raw gives the last response as the result', async () => {
      const f = await load({ maxRetries: '2' });
      suite.server.script(
        { kind: 'status', status: 500, headers: { 'retry-after-ms': '10' } },
        { kind: 'status', status: 502, headers: { 'retry-after-ms': '10' } },
        { kind: 'status', status: 503, headers: { 'retry-after-ms': '10' } },
        { kind: 'status', status: 200 }, // must not be reached
      );
      const out = await f.run({ payload: 'x' });
      const result = assertResult(out, 503);
      assert.equal(result.payload.body.error.type, 'server_error');
      assert.equal(posts().length, 3);
    });

    it('a persistent 5xx ends after maxRetries + 1 requests: text fails with HTTP_ERROR and the attempts', async () => {
      const f = await load({ maxRetries: '2' }, { resultFormat: 'text' });
      for (let i = 0; i < 4; i++) suite.server.script({ kind: 'status', status: 503, headers: { 'retry-after-ms': '10' } });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'HTTP_ERROR');
      assert.equal(error.cause.status, 503);
      assert.equal(error.cause.attempts, 3);
      assert.equal(out.results.length, 0);
      assert.equal(posts().length, 3);
    });

    for (const status of [408, 409]) {
      it(`${status} is retried`, async () => {
        const f = await load();
        suite.server.script({ kind: 'status', status, headers: { 'retry-after-ms': '10' } });
        const out = await f.run({ payload: 'x' });
        assertResult(out, 200);
        assert.equal(posts().length, 2);
      });
    }

    for (const status of [400, 401, 404]) {
      it(`${status} is not retried: the result carries it in raw format`, async () => {
        const f = await load();
        suite.server.script({ kind: 'status', status, headers: { 'retry-after-ms': '10' } });
        const out = await f.run({ payload: 'x' });
        const result = assertResult(out, status);
        assert.equal(typeof result.payload.body.error.message, 'string');
        assert.equal(posts().length, 1);
      });
    }
  });

  describe('network faults', () => {
    it('a connection reset before the headers is retried, then succeeds', async () => {
      const f = await load({ maxRetries: '1' });
      suite.server.script({ kind: 'reset-before-headers' });
      const out = await f.run({ payload: 'x' });
      assertResult(out, 200);
      assert.equal(posts().length, 2);
    });

    it('a connection reset before the headers that persists is a NETWORK_ERROR after maxRetries + 1 requests', async () => {
      const f = await load({ maxRetries: '1' });
      suite.server.script({ kind: 'reset-before-headers' }, { kind: 'reset-before-headers' }, { kind: 'reset-before-headers' });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'NETWORK_ERROR');
      assert.equal(error.cause.attempts, 2);
      assert.equal(posts().length, 2);
      assert.equal(f.statuses().at(-1)?.fill, 'red');
    });

    it('a connection reset after the headers, mid-body, fails with NETWORK_ERROR (no partial result)', async () => {
      const f = await load({ maxRetries: '0' });
      suite.server.script({ kind: 'reset-after-headers', partialBody: '{"id":"cmpl-partial","object":"text_completion","choices":[{"text":"half' });
      const out = await f.run({ payload: 'x' });
      assertFailure(out, 'NETWORK_ERROR');
      assert.equal(out.results.length, 0);
      assert.equal(posts().length, 1);
    });

    it('a connection reset after the headers is retried like any failure before output, then succeeds', async () => {
      const f = await load({ maxRetries: '1' });
      suite.server.script({ kind: 'reset-after-headers', partialBody: '{"id":"cmpl-partial","choices":[' });
      const out = await f.run({ payload: 'x' });
      assertResult(out, 200);
      assert.equal(posts().length, 2);
    });

    it('a server that accepts the request and then hangs past the answer timeout is a TIMEOUT, not sent again (it may still be generating)', async () => {
      const f = await load({ responseTimeout: '0.3', maxRetries: '1' });
      suite.server.script({ kind: 'hang' }, { kind: 'hang' });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'TIMEOUT');
      assert.equal(error.cause.phase, 'response');
      assert.match(error.message, /no answer within 0.3 s/);
      assert.equal(error.cause.attempts, 1);
      assert.equal(posts().length, 1);
    });

    it('with retryTimeouts, a server that hangs past the answer timeout is a TIMEOUT after maxRetries + 1 requests', async () => {
      const f = await load({ responseTimeout: '0.3', maxRetries: '1', retryTimeouts: true });
      suite.server.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
      const started = Date.now();
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'TIMEOUT');
      assert.equal(error.cause.attempts, 2);
      assert.equal(posts().length, 2);
      assert.ok(Date.now() - started >= 550, 'two timeouts of 0.3 s');
      assert.ok(f.statuses().some((s) => s.text === 'create-completion.status.retrying'));
    });

    it('a body over maxResponseMB is RESPONSE_TOO_LARGE, not retried, and the connection still works after', async () => {
      const f = await load({ maxResponseMB: '0.01', maxRetries: '2' });
      suite.server.script({ kind: 'large', bytes: 200_000 });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'RESPONSE_TOO_LARGE');
      assert.equal(out.results.length, 0);
      assert.match(error.message, /limit/);
      assert.equal(posts().length, 1);
      const next = await f.run({ payload: 'small again' });
      assertResult(next, 200);
      assert.equal(posts().length, 2);
    });

    it('a malformed JSON body after a 429 is a BAD_RESPONSE, and the malformed answer is not retried', async () => {
      const f = await load({ maxRetries: '2' }, { resultFormat: 'text' });
      suite.server.script({ kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } }, { kind: 'malformed' });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'BAD_RESPONSE');
      assert.equal(error.cause.status, 200);
      assert.equal(posts().length, 2);
    });

    it('a slow drip whose gaps are shorter than the idle timeout succeeds, though the whole body takes longer', async () => {
      const f = await load({ responseTimeout: '10', idleTimeout: '0.3', maxRetries: '0' });
      suite.server.script({ kind: 'drip', intervalMs: 100, chunkBytes: 60 });
      const started = Date.now();
      const out = await f.run({ payload: 'x' });
      const result = assertResult(out, 200);
      assert.equal(result.payload.body.object, 'text_completion');
      assert.ok(Date.now() - started > 300, `the body took ${Date.now() - started} ms, longer than the timeout`);
      assert.equal(posts().length, 1);
    });

    it('a drip that would take longer than the answer timeout fails with TIMEOUT, however short its gaps (a server trickling bytes holds no message forever)', async () => {
      const f = await load({ responseTimeout: '0.5', idleTimeout: '5', maxRetries: '0' });
      suite.server.script({ kind: 'drip', intervalMs: 50, chunkBytes: 5 });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'TIMEOUT');
      assert.equal(error.cause.phase, 'response');
      assert.match(error.message, /the answer started but was not complete within 0.5 s/, 'says the answer had started');
    });

    it('a drip slower than the timeout fails with TIMEOUT', async () => {
      const f = await load({ timeout: '0.3', maxRetries: '0' });
      suite.server.script({ kind: 'drip', intervalMs: 800, chunkBytes: 20 });
      const out = await f.run({ payload: 'x' });
      assertFailure(out, 'TIMEOUT');
      assert.equal(out.results.length, 0);
      assert.equal(posts().length, 1);
    });
  });

  describe('the limit on requests in flight', () => {
    let counting: CountingServer | undefined;
    afterEach(async () => {
      await counting?.close();
      counting = undefined;
    });

    it('maxInFlight 2: the server never has more than 2 requests open, and results come back in arrival order', async () => {
      counting = await startCountingServer({ delayMs: 60 });
      suite.flow = await FlowHarness.load({ api: { baseUrl: counting.url, maxInFlight: '2', maxQueue: '100' }, credentials: { apiKey: KEY }, node: { max_tokens: '1' } });
      const f = suite.flow;
      const ids = Array.from({ length: 8 }, (_, i) => `inflight-${i}`);
      const all = f.waitFor(() => ids.every((id) => f.outcome(id).completes.length + f.outcome(id).errors.length > 0), 15_000);
      for (const [i, id] of ids.entries()) f.node().receive({ _msgid: id, payload: `prompt ${i}` });
      await all;
      await sleep(30);
      for (const id of ids) assertResult(f.outcome(id), 200);
      assert.equal(counting.maxOpen, 2, `at most 2 open at once (saw ${counting.maxOpen})`);
      assert.equal(counting.requests.length, 8);
      assert.deepEqual(counting.requests.map((r) => r.prompt), ids.map((_, i) => `prompt ${i}`), 'sent in arrival order');
      const resultOrder = f.events.filter((e) => e.kind === 'result').map((e) => e.msg._msgid);
      assert.deepEqual(resultOrder, ids, 'results in arrival order');
      assert.ok(f.statuses().some((s) => s.text === 'create-completion.status.queued'));
    });

    it('maxQueue 3: messages beyond the queue fail with QUEUE_FULL, and none is dropped silently', async () => {
      counting = await startCountingServer({ delayMs: 100 });
      suite.flow = await FlowHarness.load({ api: { baseUrl: counting.url, maxInFlight: '1', maxQueue: '3' }, credentials: { apiKey: KEY }, node: { max_tokens: '1' } });
      const f = suite.flow;
      const ids = Array.from({ length: 10 }, (_, i) => `queue-${i}`);
      const all = f.waitFor(() => ids.every((id) => f.outcome(id).completes.length + f.outcome(id).errors.length > 0), 15_000);
      for (const [i, id] of ids.entries()) f.node().receive({ _msgid: id, payload: `prompt ${i}` });
      await all;
      await sleep(50);
      const outcomes = ids.map((id) => f.outcome(id));
      outcomes.forEach((o, i) => assertOneOutcome(o, ids[i]));
      const ok = ids.filter((_, i) => outcomes[i].completes.length === 1);
      const full = ids.filter((_, i) => outcomes[i].errors[0]?.error.code === 'QUEUE_FULL');
      assert.deepEqual(ok, ids.slice(0, 4), '1 in flight + 3 queued succeed');
      assert.deepEqual(full, ids.slice(4), 'the rest fail with QUEUE_FULL');
      assert.equal(counting.requests.length, 4);
      assert.equal(counting.maxOpen, 1);
    });

    it('maxQueueMB 1: waiting requests are bounded by what they weigh, and the one that would pass it fails with QUEUE_FULL', async () => {
      counting = await startCountingServer({ delayMs: 150 });
      suite.flow = await FlowHarness.load({ api: { baseUrl: counting.url, maxInFlight: '1', maxQueue: '1000', maxQueueMB: '1' }, credentials: { apiKey: KEY }, node: { max_tokens: '1' } });
      const f = suite.flow;
      // Each request body weighs about 300 KB: one in flight, three waiting (900 KB), the fifth is one too many.
      const ids = Array.from({ length: 6 }, (_, i) => `heavy-${i}`);
      const all = f.waitFor(() => ids.every((id) => f.outcome(id).completes.length + f.outcome(id).errors.length > 0), 15_000);
      for (const [i, id] of ids.entries()) f.node().receive({ _msgid: id, payload: `${i}`.repeat(300_000) });
      await all;
      await sleep(30);
      const outcomes = ids.map((id) => f.outcome(id));
      outcomes.forEach((o, i) => assertOneOutcome(o, ids[i]));
      assert.deepEqual(outcomes.map((o) => (o.completes.length ? 'ok' : o.errors[0].error.code)), ['ok', 'ok', 'ok', 'ok', 'QUEUE_FULL', 'QUEUE_FULL']);
      assert.match(outcomes[4].errors[0].error.message, /hold .* MB of the 1 MB allowed/);
      assert.deepEqual(counting.requests.map((r) => String(r.prompt).length), [300_000, 300_000, 300_000, 300_000], 'the waiting requests are sent whole');
    });

    it('two create-completion nodes on one connection share its limit', async () => {
      counting = await startCountingServer({ delayMs: 60 });
      const shared = await loadTwoNodes({ baseUrl: counting.url, maxInFlight: '2', maxQueue: '100' });
      try {
        const ids: Array<[string, string]> = [];
        for (let i = 0; i < 5; i++) ids.push([`a-${i}`, 'cc1'], [`b-${i}`, 'cc2']);
        const all = shared.waitFor(() => ids.every(([id]) => shared.ended(id)), 15_000);
        for (const [id, node] of ids) helper.getNode(node).receive({ _msgid: id, payload: id });
        await all;
        await sleep(30);
        for (const [id] of ids) {
          assert.equal(shared.count(id, 'complete') + shared.count(id, 'error'), 1, id);
          assert.equal(shared.count(id, 'result'), 1, id);
        }
        assert.equal(counting.requests.length, 10);
        assert.equal(counting.maxOpen, 2, `the two nodes together kept at most 2 open (saw ${counting.maxOpen})`);
      } finally {
        await helper.unload();
      }
    });
  });

  describe('closing the flow', () => {
    let counting: CountingServer | undefined;
    afterEach(async () => {
      await counting?.close();
      counting = undefined;
    });

    it('settles every message, in flight and queued, closes the open request at once and sends nothing after', async () => {
      counting = await startCountingServer({ hang: true });
      suite.flow = await FlowHarness.load({ api: { baseUrl: counting.url, maxInFlight: '1', timeout: '30' }, credentials: { apiKey: KEY } });
      const f = suite.flow;
      const settled = recordSettled(f.node());
      const ids = ['close-0', 'close-1', 'close-2', 'close-3'];
      for (const id of ids) f.node().receive({ _msgid: id, payload: id });
      await waitUntil(() => counting!.open === 1 && settled.length === 0);
      await sleep(50);
      // (The test helper stops watching the log before it closes the flow: the node's own warn is watched instead.)
      const warnings: unknown[] = [];
      const node = f.node() as unknown as { warn(m: unknown): void };
      const warn = node.warn.bind(node);
      node.warn = (m) => {
        warnings.push(m);
        warn(m);
      };
      const closing = Date.now();
      await f.unload();
      suite.flow = undefined;
      const unloaded = Date.now() - closing;
      const seen = f.events.length;
      await sleep(300);
      assert.ok(unloaded < 2000, `close took ${unloaded} ms`);
      // Each message ended exactly once, with ABORTED.
      for (const id of ids) {
        const mine = settled.filter((s) => s.id === id);
        assert.equal(mine.length, 1, `${id} ended ${mine.length} times`);
        assert.equal(mine[0].code, 'ABORTED', `${id} ended with ${mine[0].code}`);
      }
      // The request in flight was closed by the client, promptly; the queued ones never went out.
      assert.equal(counting.requests.length, 1);
      assert.ok(counting.requests[0].closedAt !== undefined, 'the open request was closed');
      assert.ok(counting.requests[0].closedAt! - closing < 1000, `closed ${counting.requests[0].closedAt! - closing} ms after close began`);
      assert.equal(counting.open, 0);
      // Nothing on the outputs, then or after.
      assert.ok(!f.events.some((e) => e.kind === 'result' || e.kind === 'pass'));
      assert.equal(f.events.length, seen, 'no event after close');
      // On a full deploy the Catch nodes stop too: the log says how many messages ended so.
      assert.deepEqual(warnings, ['create-completion.errors.abortedOnClose']);
    });

    it('a long queue is settled over many turns of the event loop: each message one catchable error, none sent', async () => {
      const queued = 3000;
      counting = await startCountingServer({ hang: true });
      suite.flow = await FlowHarness.load({ api: { baseUrl: counting.url, maxInFlight: '1', maxQueue: String(queued), timeout: '60' }, credentials: { apiKey: KEY } });
      const f = suite.flow;
      const node = f.node();
      const settled = recordSettled(node);
      const ids = Array.from({ length: queued + 1 }, (_, i) => `long-${i}`);
      for (const id of ids) node.receive({ _msgid: id, payload: id });
      await waitUntil(() => counting!.open === 1);
      await sleep(200);
      assert.equal(settled.length, 0);
      // A timer that runs while the messages are settling sees some of them ended and some
      // not: the event loop turned in between.
      const seenPartway = new Set<number>();
      const ticker = setInterval(() => {
        if (settled.length > 0 && settled.length < ids.length) seenPartway.add(settled.length);
      }, 1);
      try {
        // Only the changed node restarts: the Catch node stays and sees every error.
        const flows = helper._redNodes.getFlows().flows.map((n: Msg) => (n.id === 'cc' ? { ...n, name: 'changed' } : n));
        await helper.setFlows(flows, 'nodes');
      } finally {
        clearInterval(ticker);
      }
      await sleep(100);
      assert.equal(settled.length, ids.length);
      assert.ok(seenPartway.size >= 2, `the event loop turned ${seenPartway.size} times while the messages were settling`);
      const caught = new Map<string, string[]>();
      for (const e of f.events.filter((e) => e.kind === 'error')) caught.set(e.msg._msgid, [...(caught.get(e.msg._msgid) ?? []), e.msg.error.code]);
      for (const id of ids) assert.deepEqual(caught.get(id), ['ABORTED'], `${id} was caught as ${JSON.stringify(caught.get(id))}`);
      assert.equal(new Set(settled.map((s) => s.id)).size, ids.length, 'each message ended once');
      assert.ok(!f.events.some((e) => e.kind === 'result' || e.kind === 'pass'));
      assert.equal(counting.requests.length, 1, 'no queued message went out');
      assert.equal(counting.open, 0);
    });

    it('a message whose model a slow context store is still reading when the flow closes ends as ABORTED, and nothing is sent after', async () => {
      const util = helper._RED.util;
      const evaluate = util.evaluateNodeProperty;
      // A context store that answers after a while (a file or database store, say).
      util.evaluateNodeProperty = (value: unknown, type: string, node: unknown, msg: unknown, callback?: (err: Error | null, result: unknown) => void) => {
        if (type !== 'flow' || !callback) return evaluate.call(util, value, type, node, msg, callback);
        setTimeout(() => callback(null, 'demo-instruct'), 300);
        return undefined;
      };
      try {
        const f = await load({}, { model: 'slowModel', modelType: 'flow' });
        const settled = recordSettled(f.node());
        f.node().receive({ _msgid: 'slow-context', payload: 'x' });
        await sleep(50);
        await f.unload();
        suite.flow = undefined;
        await sleep(500);
        assert.deepEqual(settled.map((s) => [s.id, s.code]), [['slow-context', 'ABORTED']]);
        assert.equal(posts().length, 0, 'a request went out after the flow stopped');
      } finally {
        util.evaluateNodeProperty = evaluate;
      }
    });

    it('a message waiting between retries is settled at once when the flow closes', async () => {
      const f = await load({ maxRetries: '2' });
      suite.server.script({ kind: 'status', status: 503, headers: { 'retry-after-ms': '20000' } });
      const settled = recordSettled(f.node());
      f.node().receive({ _msgid: 'retry-wait', payload: 'x' });
      await waitUntil(() => f.statuses().some((s) => s.text === 'create-completion.status.retrying'));
      const closing = Date.now();
      await f.unload();
      suite.flow = undefined;
      assert.ok(Date.now() - closing < 2000, `close took ${Date.now() - closing} ms`);
      assert.deepEqual(settled.map((s) => [s.id, s.code]), [['retry-wait', 'ABORTED']]);
      assert.equal(posts().length, 1);
      assert.ok(!f.events.some((e) => e.kind === 'result' || e.kind === 'pass'));
    });
  });

  describe('the API key never leaves the node', () => {
    const keyPieces = (text: string) => {
      const found: string[] = [];
      for (let i = 0; i + 10 <= KEY.length; i++) if (text.includes(KEY.slice(i, i + 10))) found.push(KEY.slice(i, i + 10));
      return found;
    };

    it('not in results, errors (message, cause, stack), statuses or log lines, whatever the server echoes', async () => {
      const f = await load({ maxRetries: '0' });
      const echoBody = { error: { message: `Incorrect API key provided: ${KEY}. Bearer ${KEY}`, type: 'invalid_request_error', code: 'invalid_api_key', param: KEY } };
      const echoHeaders = { 'x-echo-authorization': `Bearer ${KEY}`, 'x-request-id': `req_${KEY}` };
      const outs: Outcome[] = [];
      // raw: an error body and headers that echo the key
      suite.server.script({ kind: 'status', status: 401, headers: echoHeaders, body: echoBody });
      outs.push(await f.run({ payload: 'x' }));
      // raw: a plain-text body with the key
      suite.server.script({ kind: 'status', status: 500, headers: echoHeaders, body: `upstream said: Authorization: Bearer ${KEY}` });
      outs.push(await f.run({ payload: 'x' }));
      // a 2xx body that is not JSON, with the key early in it
      suite.server.script({ kind: 'status', status: 200, headers: { ...echoHeaders, 'content-type': 'application/json' }, body: `{"auth":"${KEY}","choices":[` });
      outs.push(await f.run({ payload: 'x' }));
      // a streamed error event that echoes the key
      suite.server.script({ kind: 'status', status: 200, headers: { ...echoHeaders, 'content-type': 'text/event-stream' }, body: `data: ${JSON.stringify(echoBody)}\n\n` });
      outs.push(await f.run({ payload: { prompt: 'x', stream: true } }));
      // a successful response whose text and headers echo the key
      suite.server.script({ kind: 'status', status: 200, headers: echoHeaders, body: { id: 'c', object: 'text_completion', created: 0, model: 'demo-instruct', choices: [{ index: 0, text: `your key is ${KEY}`, logprobs: null, finish_reason: 'stop' }] } });
      outs.push(await f.run({ payload: 'x' }));
      const firstLog = f.logLines();
      await suite.flow!.unload();
      suite.flow = undefined;

      const g = await load({ maxRetries: '0' }, { resultFormat: 'text' });
      suite.server.script({ kind: 'status', status: 401, headers: echoHeaders, body: echoBody });
      outs.push(await g.run({ payload: 'x' }));
      suite.server.script({ kind: 'status', status: 200, headers: echoHeaders, body: { id: 'c', object: 'text_completion', created: 0, model: 'demo-instruct', choices: [{ index: 0, text: `your key is ${KEY}`, logprobs: null, finish_reason: 'stop' }] } });
      outs.push(await g.run({ payload: 'x' }));

      outs.forEach((o, i) => assertOneOutcome(o, `scenario ${i}`));
      // The scenarios did what they were meant to.
      assert.equal(outs[0].results[0].payload.status, 401);
      assert.equal(outs[1].results[0].payload.status, 500);
      assert.equal(outs[2].errors[0].error.code, 'BAD_RESPONSE');
      assert.equal(outs[3].errors[0].error.code, 'STREAM_ERROR');
      assert.equal(outs[5].errors[0].error.code, 'HTTP_ERROR');
      assert.equal(outs[5].errors[0].error.cause.status, 401);

      const everything = JSON.stringify({
        outcomes: outs.map((o) => o.events.map((e) => ({ kind: e.kind, msg: e.msg, stack: e.msg.error?.stack }))),
        statuses: [...f.statuses(), ...g.statuses()],
        log: [...firstLog, ...g.logLines()],
      });
      const leaks = everything.split(KEY).slice(0, -1).map((before) => before.slice(-120));
      assert.deepEqual(leaks, [], 'the key leaked after these texts');
      assert.deepEqual(keyPieces(everything), [], 'a piece of the key leaked');
      // The server did get the key, so the echo scenarios were real.
      assert.equal(posts()[0].headers.authorization, `Bearer ${KEY}`);
    });

    it('not even a piece of it when an error preview cuts a non-JSON body in the middle of the key', async () => {
      const f = await load({ maxRetries: '0' });
      // The preview of a non-JSON body keeps its first 80 characters: put the key across that
      // cut, so that all but its last 2 characters fall inside the preview.
      const prefix = 'x'.repeat(80 - KEY.length + 2);
      suite.server.script({ kind: 'status', status: 200, headers: { 'content-type': 'application/json' }, body: `${prefix}${KEY} and more that is not JSON` });
      const out = await f.run({ payload: 'x' });
      const error = assertFailure(out, 'BAD_RESPONSE');
      const everything = JSON.stringify([out.events, error.stack, f.statuses(), f.logLines()]);
      assert.ok(!everything.includes(KEY));
      assert.deepEqual(keyPieces(everything), [], `a piece of the key leaked: ${error.message}`);
    });
  });

  describe('response headers reach the result', () => {
    for (const resultFormat of ['raw', 'text', 'choices'] as const) {
      it(`x-ratelimit-* and x-request-id are in msg.headers (${resultFormat})`, async () => {
        const f = await load({}, { resultFormat });
        const out = await f.run({ payload: 'x' });
        assertOneOutcome(out);
        assert.ok(out.results.length >= 1);
        for (const result of out.results) {
          const h = result.headers;
          assert.match(String(h['x-request-id']), /^req_\d+$/);
          for (const name of ['limit-requests', 'remaining-requests', 'limit-tokens', 'remaining-tokens', 'reset-requests', 'reset-tokens']) {
            assert.notEqual(h[`x-ratelimit-${name}`], undefined, `x-ratelimit-${name}`);
          }
          assert.equal(String(h['x-ratelimit-limit-requests']), '10000');
        }
        assert.equal(posts().length, 1);
      });
    }

    it('a 429 that persists: the raw result carries the last response\'s headers', async () => {
      const f = await load({ maxRetries: '1' });
      suite.server.script(
        { kind: 'status', status: 429, headers: { 'retry-after-ms': '10', 'x-ratelimit-remaining-requests': '0' } },
        { kind: 'status', status: 429, headers: { 'retry-after-ms': '10', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '7s' } },
      );
      const out = await f.run({ payload: 'x' });
      const result = assertResult(out, 429);
      assert.equal(result.headers['x-ratelimit-remaining-requests'], '0');
      assert.equal(result.headers['x-ratelimit-reset-requests'], '7s');
      assert.equal(result.headers['retry-after-ms'], '10');
      assert.equal(posts().length, 2);
      assert.match(String(result.headers['x-request-id']), /^req_\d+$/);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Local helpers

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Every time Node-RED is told a message ended (done() or done(err)) on this node. */
function recordSettled(node: any): Array<{ id: string; code?: string }> {
  const settled: Array<{ id: string; code?: string }> = [];
  const original = node._complete;
  node._complete = function (msg: Msg, error?: { code?: string }) {
    settled.push({ id: msg._msgid, code: error?.code });
    return original.call(this, msg, error);
  };
  return settled;
}

interface CountedRequest {
  prompt: unknown;
  start: number;
  closedAt?: number;
}

interface CountingServer {
  url: string;
  open: number;
  maxOpen: number;
  requests: CountedRequest[];
  close(): Promise<void>;
}

/** A completion server that counts the requests open at once and notes when each was closed. */
async function startCountingServer(options: { delayMs?: number; hang?: boolean }): Promise<CountingServer> {
  let n = 0;
  const state: CountingServer = {
    url: '',
    open: 0,
    maxOpen: 0,
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        /* keep {} */
      }
      const entry: CountedRequest = { prompt: body.prompt, start: Date.now() };
      state.requests.push(entry);
      state.open++;
      state.maxOpen = Math.max(state.maxOpen, state.open);
      let counted = true;
      const done = () => {
        if (!counted) return;
        counted = false;
        state.open--;
        entry.closedAt = Date.now();
      };
      res.on('close', done);
      if (options.hang) return;
      setTimeout(() => {
        if (res.destroyed) return;
        const text = JSON.stringify(completionFor(body, { id: `cmpl-${++n}`, created: 0 }).body);
        // Count the request as closed once the answer is out, before the client can send the next one.
        done();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }, options.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  return state;
}

interface TwoNodes {
  waitFor(condition: () => boolean, timeoutMs: number): Promise<void>;
  ended(id: string): boolean;
  count(id: string, kind: string): number;
}

/** Two create-completion nodes, each with its own outputs, on one shared completion-api. */
async function loadTwoNodes(api: Record<string, unknown>): Promise<TwoNodes> {
  const tab = 'tab2';
  const flow = [
    { id: tab, type: 'tab', label: 'shared' },
    { id: 'api', type: 'completion-api', name: 'shared', timeout: '5', maxRetries: '0', maxInFlight: '4', maxQueue: '100', maxResponseMB: '16', ...api },
    { id: 'cc1', z: tab, type: 'create-completion', api: 'api', model: 'demo-instruct', max_tokens: '1', prompt: '', promptType: 'str', resultFormat: 'raw', wires: [['out1'], ['pass1']] },
    { id: 'cc2', z: tab, type: 'create-completion', api: 'api', model: 'demo-instruct', max_tokens: '1', prompt: '', promptType: 'str', resultFormat: 'raw', wires: [['out2'], ['pass2']] },
    { id: 'out1', z: tab, type: 'helper' },
    { id: 'pass1', z: tab, type: 'helper' },
    { id: 'out2', z: tab, type: 'helper' },
    { id: 'pass2', z: tab, type: 'helper' },
    { id: 'catcher', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: tab, type: 'helper' },
    { id: 'completer', z: tab, type: 'complete', scope: ['cc1', 'cc2'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: tab, type: 'helper' },
  ];
  await helper.load([completionApi, createCompletion, catchNode, completeNode], flow, { api: { apiKey: KEY } });
  const events: Array<{ kind: string; id: string }> = [];
  const listeners = new Set<() => void>();
  const kinds: Record<string, string> = { out1: 'result', out2: 'result', pass1: 'pass', pass2: 'pass', caught: 'error', completed: 'complete' };
  for (const [node, kind] of Object.entries(kinds)) {
    helper.getNode(node).on('input', (msg: Msg) => {
      events.push({ kind, id: msg._msgid });
      for (const l of listeners) l();
    });
  }
  const count = (id: string, kind: string) => events.filter((e) => e.id === id && e.kind === kind).length;
  return {
    count,
    ended: (id) => count(id, 'complete') + count(id, 'error') > 0,
    waitFor: (condition, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out; ${events.length} events`));
        }, timeoutMs);
        const check = () => {
          if (!condition()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
  };
}
