import assert from 'node:assert/strict';
import http from 'node:http';
import { FlowHarness, type Msg } from '../support/flow-harness';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { completionFor } from '../../demo-server/generate';

describe('streaming in a real Node-RED', function () {
  let server: CompletionServer;
  let flow: FlowHarness | undefined;

  before(async () => {
    server = await startCompletionServer();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
  });

  const load = async (node: Record<string, unknown> = {}, options: { join?: boolean; api?: Record<string, unknown> } = {}) => {
    flow = await FlowHarness.load({ api: { baseUrl: server.url, ...options.api }, node: { stream: 'true', ...node }, join: options.join });
    return flow;
  };

  /** The non-streamed answer for the same request, as the server would give it. */
  const unstreamed = (request: Record<string, unknown>) => completionFor({ ...request, stream: false }, { id: 'x', created: 0 }).body;

  it('sends each event as it arrives with msg.parts, then the assembled response, then the passthrough', async () => {
    const f = await load({ max_tokens: '6' });
    const out = await f.run({ payload: { prompt: 'Tell me a story', seed: 7 }, topic: 't' });
    assert.equal(out.errors.length, 0);
    const chunks = out.results.slice(0, -1);
    const final = out.results.at(-1)!;
    assert.equal(chunks.length, 6);
    chunks.forEach((m, i) => {
      assert.equal(m.parts.index, i);
      assert.equal(m.parts.id, final.parts.id);
      assert.equal(m.parts.count, undefined);
      assert.equal(m.payload.status, 200);
      assert.equal(m.payload.body.object, 'text_completion');
      assert.equal(m.topic, 't');
      assert.equal(m.complete, undefined);
    });
    assert.equal(final.complete, true);
    assert.equal(final.parts.index, 6);
    assert.equal(final.parts.count, 7);
    const expected = unstreamed({ model: 'demo-instruct', prompt: 'Tell me a story', seed: 7, max_tokens: 6 });
    assert.deepEqual(final.payload.body.choices, expected.choices);
    assert.equal(final.payload.body.usage, undefined, 'no usage unless asked for');
    const kinds = out.events.filter((e) => e.kind !== 'status').map((e) => e.kind);
    assert.deepEqual(kinds, [...Array(7).fill('result'), 'pass', 'complete']);
    // The status follows the stream, then says done.
    const statuses = f.statuses().map((s) => s.text);
    assert.ok(statuses.includes('create-completion.status.streamingOne'), statuses.join());
    // No usage without include_usage from this server: the node counts none either (it has no tokenizer for it), and the answer was cut at max_tokens.
    assert.match(statuses.at(-1), /^create-completion\.status\.truncated · create-completion\.stat/);
    // Without include_usage the server sends no usage: the node counts it with OpenAI's encoding and says so.
    assert.equal(final.usage.source, 'counted');
    assert.ok(final.usage.prompt_tokens > 0 && final.usage.completion_tokens > 0);
    assert.equal(final.truncated, true);
  });

  it('assembles interleaved choices of several prompts, logprobs and usage exactly like the non-streamed result', async () => {
    const f = await load({ max_tokens: '5', include_usage: 'true' });
    const request = { prompt: ['one prompt', 'another prompt'], n: 2, logprobs: 2, echo: false, seed: 3 };
    const out = await f.run({ payload: request });
    const final = out.results.at(-1)!;
    const expected = unstreamed({ model: 'demo-instruct', max_tokens: 5, ...request });
    assert.equal(final.payload.body.choices.length, 4);
    assert.deepEqual(final.payload.body.choices, expected.choices);
    assert.deepEqual(final.payload.body.usage, expected.usage);
    const chunkIndexes = out.results.slice(0, 4).map((m) => m.payload.body.choices[0]?.index);
    assert.deepEqual(chunkIndexes, [0, 1, 2, 3], 'choices arrive interleaved');
  });

  it('text format: each message carries the text delta, and a join node in automatic mode gives the whole text', async () => {
    const f = await load({ max_tokens: '8', resultFormat: 'text' }, { join: true });
    const out = await f.run({ payload: 'Write a haiku' });
    const deltas = out.results.slice(0, -1).map((m) => m.payload);
    const final = out.results.at(-1)!;
    assert.equal(deltas.length, 8);
    assert.ok(deltas.every((d) => typeof d === 'string' && d.length > 0));
    assert.equal(final.payload, deltas.join(''));
    assert.equal(final.completion.choices[0].text, final.payload);
    await f.waitFor(() => f.events.some((e) => e.kind === 'joined'));
    const joined = f.events.find((e) => e.kind === 'joined')!.msg;
    assert.equal(joined.payload, final.payload);
  });

  it('raw format: a join node in automatic mode collects the whole sequence', async () => {
    const f = await load({ max_tokens: '3' }, { join: true });
    await f.run({ payload: 'x' });
    await f.waitFor(() => f.events.some((e) => e.kind === 'joined'));
    const joined = f.events.find((e) => e.kind === 'joined')!.msg;
    assert.equal(joined.payload.length, 4);
    assert.equal(joined.payload[3].body.choices[0].finish_reason, 'length');
  });

  for (const style of ['data', 'event'] as const) {
    it(`an error event (${style} style) fails the message after the chunks already delivered`, async () => {
      const f = await load({ max_tokens: '6' });
      server.script({ kind: 'stream-error-event', afterEvents: 2, style });
      const out = await f.run({ payload: 'x' });
      // The two chunks, then the message that releases a join's partial group.
      assert.equal(out.results.length, 3);
      assert.equal(out.results[2].reset, true);
      assert.equal(out.results[2].parts.id, out.results[0].parts.id);
      assert.equal(out.pass.length, 0);
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
      assert.equal(server.requests.length, 1, 'not retried');
    });
  }

  it('a stream that breaks off mid-way fails after the delivered chunks, without a retry', async () => {
    const f = await load({ max_tokens: '6' });
    server.script({ kind: 'stream-truncate', afterEvents: 3 });
    const out = await f.run({ payload: 'x' });
    assert.equal(out.results.length, 4);
    assert.equal(out.results[3].reset, true);
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
    assert.equal(out.completes.length, 0);
    assert.equal(server.requests.length, 1);
  });

  it('a stream that ends without [DONE] fails', async () => {
    const f = await load({ max_tokens: '4' });
    server.script({ kind: 'stream-no-done' });
    const out = await f.run({ payload: 'x' });
    assert.equal(out.results.length, 5);
    assert.equal(out.results[4].reset, true);
    assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
    assert.match(out.errors[0].error.message, /DONE/);
  });

  it('a stream that fails before its first event is retried like any request', async () => {
    const f = await load({ max_tokens: '4' });
    server.script({ kind: 'stream-truncate', afterEvents: 0 });
    const out = await f.run({ payload: 'x' });
    assert.equal(out.errors.length, 0);
    assert.equal(out.results.length, 5);
    assert.equal(server.requests.length, 2);
  });

  for (const lineEnd of ['\n', '\r\n', '\r'] as const) {
    it(`decodes events delivered one byte at a time with ${JSON.stringify(lineEnd)} line ends and comments`, async () => {
      const f = await load({ max_tokens: '12' });
      const request = { prompt: 'bytes please', seed: 11 };
      server.script({ kind: 'stream-bytewise', lineEnd, comments: true });
      const out = await f.run({ payload: request });
      assert.equal(out.errors.length, 0, out.errors[0]?.error?.message);
      const final = out.results.at(-1)!;
      assert.deepEqual(final.payload.body.choices, unstreamed({ model: 'demo-instruct', max_tokens: 12, ...request }).choices);
    });
  }

  it('closing the flow mid-stream aborts the request at once and sends nothing after', async () => {
    // A server that streams one event every 50 ms for 10 s and tells when its client left.
    let clientLeft = 0;
    const slow = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'text_completion', created: 0, model: 'm', choices: [{ text: ` w${i++}`, index: 0, logprobs: null, finish_reason: null }] })}\n\n`);
      }, 50);
      res.on('close', () => {
        clearInterval(timer);
        clientLeft = Date.now();
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const port = (slow.address() as { port: number }).port;
      flow = await FlowHarness.load({ api: { baseUrl: `http://127.0.0.1:${port}/v1` }, node: { stream: 'true' } });
      const f = flow;
      f.node().receive({ _msgid: 'long', payload: 'go on forever' });
      await f.waitFor(() => f.events.filter((e) => e.kind === 'result').length >= 3);
      const closing = Date.now();
      await f.unload();
      flow = undefined;
      const seen = f.events.length;
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(clientLeft > 0 && clientLeft - closing < 1000, 'the HTTP request was aborted');
      assert.equal(f.events.length, seen, 'no message after close');
      assert.ok(!f.events.some((e) => e.kind === 'pass'));
    } finally {
      slow.close();
      slow.closeAllConnections();
    }
  });

  it('choices format: one message per delta, then one per assembled choice, the last marked complete', async () => {
    const f = await load({ max_tokens: '2', resultFormat: 'choices', n_completions: '2' });
    const out = await f.run({ payload: 'x' });
    const finals = out.results.filter((m: Msg) => !Array.isArray(m.payload));
    assert.equal(out.results.length, 4 + 2);
    assert.deepEqual(finals.map((m) => m.payload.index), [0, 1]);
    assert.equal(finals.at(-1)!.complete, true);
    assert.equal(finals.at(-1)!.parts.count, 6);
  });
});
