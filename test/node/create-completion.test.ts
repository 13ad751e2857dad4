import assert from 'node:assert/strict';
import net from 'node:net';
import { FlowHarness } from '../support/flow-harness';
import { useDemoServer } from '../support/demo-server-suite';
import { STATUS_BURST, STATUS_PER_SECOND } from '../../nodes/lib/flow/status-pace';

const KEY = 'sk-test-SECRET-0123456789abcdef';

describe('create-completion in a real Node-RED', function () {
  const suite = useDemoServer({ requireApiKey: KEY });

  const load = async (node: Record<string, unknown> = {}, api: Record<string, unknown> = {}, extra: Partial<Parameters<typeof FlowHarness.load>[0]> = {}) => {
    suite.flow = await FlowHarness.load({ api: { baseUrl: suite.server.url, ...api }, credentials: { apiKey: KEY }, node, ...extra });
    return suite.flow;
  };

  const completionPosts = () => suite.server.requests.filter((r) => r.method === 'POST');

  describe('Raw Response and passthrough', () => {
    it('answers a request object with { body, status }, statusCode and headers, then the input on the passthrough', async () => {
      const f = await load();
      const input = { payload: { prompt: 'Say this is a test', max_tokens: 5 }, topic: 'keep me', nested: { a: [1, 2] } };
      const out = await f.run(input);
      assert.equal(out.results.length, 1);
      assert.equal(out.pass.length, 1);
      assert.equal(out.completes.length, 1);
      assert.equal(out.errors.length, 0);
      const result = out.results[0];
      assert.equal(result.payload.status, 200);
      assert.equal(result.statusCode, 200);
      assert.equal(result.payload.body.object, 'text_completion');
      assert.equal(typeof result.payload.body.choices[0].text, 'string');
      assert.equal(result.payload.body.usage.completion_tokens, 5);
      assert.match(String(result.headers['x-request-id']), /^req_/);
      assert.equal(result.topic, 'keep me');
      assert.deepEqual(result.nested, { a: [1, 2] });
      // The passthrough is the input message as it arrived.
      const pass = out.pass[0];
      assert.deepEqual(pass.payload, input.payload);
      assert.equal(pass.topic, 'keep me');
      assert.deepEqual(pass.nested, { a: [1, 2] });
      assert.equal(pass.statusCode, undefined);
      // Result first, then the passthrough, then the message is done.
      const kinds = out.events.filter((e) => e.kind !== 'status').map((e) => e.kind);
      assert.deepEqual(kinds, ['result', 'pass', 'complete']);
      assert.equal(suite.server.requests[0].headers.authorization, `Bearer ${KEY}`);
    });

    for (const [label, prompt] of [
      ['a string', 'Once upon a time'],
      ['an array of strings', ['first prompt', 'second prompt']],
      ['an array of token ids', [1212, 318, 257, 1332, 13]],
      ['an array of token-id arrays', [[1212, 318], [257, 1332, 13]]],
    ] as const) {
      it(`takes ${label} as msg.payload and sends it as the prompt`, async () => {
        const f = await load({ max_tokens: '3' });
        const out = await f.run({ payload: prompt });
        assert.equal(out.results.length, 1);
        assert.deepEqual((completionPosts()[0].body as any).prompt, prompt);
        const expectedChoices = Array.isArray(prompt) && (typeof prompt[0] === 'string' || Array.isArray(prompt[0])) ? prompt.length : 1;
        assert.equal(out.results[0].payload.body.choices.length, expectedChoices);
      });
    }

    it('sends every seed parameter exactly as given, and forwards unknown ones', async () => {
      const f = await load();
      const payload = {
        model: 'demo-instruct',
        prompt: ['alpha', 'beta'],
        best_of: 3,
        echo: true,
        frequency_penalty: -1.5,
        logit_bias: { '50256': -100, '13': 7 },
        logprobs: 2,
        max_tokens: 4,
        n: 2,
        presence_penalty: 0.25,
        seed: 42,
        stop: ['\n', 'END'],
        suffix: ' the end.',
        temperature: 0.2,
        top_p: 0.9,
        user: 'user-1234',
        top_k: 40,
      };
      const out = await f.run({ payload });
      assert.equal(out.results[0].payload.status, 200, JSON.stringify(out.results[0].payload.body));
      assert.deepEqual(completionPosts()[0].body, payload);
      assert.equal(out.results[0].payload.body.choices.length, 4);
      assert.ok(out.results[0].payload.body.choices[0].logprobs.tokens.length > 0);
    });

    it('uses the dialog fields as defaults that msg.payload overrides, and null removes one', async () => {
      const f = await load({
        model: 'davinci-002', prompt: 'from the dialog', max_tokens: '7', temperature: '0.5', echo: 'false',
        stop: ['\\n', 'STOP'], logit_bias: [{ token: '50256', bias: -100 }], user: 'dialog-user', extra: '{"top_k": 5}',
      });
      await f.run({ payload: { temperature: 1.5, user: null } });
      assert.deepEqual(completionPosts()[0].body, {
        model: 'davinci-002', prompt: 'from the dialog', max_tokens: 7, temperature: 1.5, echo: false,
        stop: ['\\n', 'STOP'], logit_bias: { '50256': -100 }, top_k: 5,
      });
      await f.run({ payload: 'from the message' });
      assert.equal((completionPosts()[1].body as any).prompt, 'from the message');
    });

    it('reads the prompt from a msg property when the dialog says so', async () => {
      const f = await load({ prompt: 'question', promptType: 'msg', max_tokens: '2' });
      const out = await f.run({ question: 'What is Node-RED?' });
      assert.equal(out.results.length, 1);
      assert.equal((completionPosts()[0].body as any).prompt, 'What is Node-RED?');
    });

    it('reports 4xx and 5xx answers as results in raw format', async () => {
      const f = await load({}, { maxRetries: '0' });
      const notFound = await f.run({ payload: { model: 'no-such-model', prompt: 'x' } });
      assert.equal(notFound.results[0].payload.status, 404);
      assert.equal(notFound.results[0].statusCode, 404);
      assert.equal(notFound.results[0].payload.body.error.code, 'model_not_found');
      assert.equal(notFound.pass.length, 1);
      assert.equal(notFound.errors.length, 0);
      suite.server.script({ kind: 'status', status: 503 });
      const unavailable = await f.run({ payload: 'x' });
      assert.equal(unavailable.results[0].payload.status, 503);
      assert.equal(unavailable.completes.length, 1);
    });

    it('runs the next node of a chain only after this one has finished', async () => {
      suite.flow = await FlowHarness.load({
        api: { baseUrl: suite.server.url }, credentials: { apiKey: KEY },
        node: { max_tokens: '2' }, chained: { prompt: 'second', max_tokens: '3' },
      });
      suite.server.script({ kind: 'delay', ms: 150 });
      const input = { payload: { prompt: 'first' } };
      const msg = { _msgid: 'chain-1', ...input };
      const done = suite.flow.waitFor(() => suite.flow!.events.filter((e) => e.kind === 'complete' && e.msg._msgid === 'chain-1').length === 2);
      suite.flow.node().receive(msg);
      await done;
      const posts = completionPosts();
      assert.equal(posts.length, 2);
      assert.equal((posts[0].body as any).prompt, 'first');
      // cc2 takes the passthrough (the original payload object) with its own dialog prompt overridden by it
      assert.equal((posts[1].body as any).max_tokens, 3);
      const order = suite.flow.events.filter((e) => e.kind === 'result').map((e) => e.node);
      assert.deepEqual(order, ['out', 'out2']);
      assert.ok(posts[1].at >= posts[0].at + 150, 'second request starts after the first answered');
    });
  });

  describe('text and choices formats', () => {
    it('text: payload is the completion text, msg.completion the whole body', async () => {
      const f = await load({ resultFormat: 'text', max_tokens: '4' });
      const out = await f.run({ payload: 'Hello' });
      assert.equal(typeof out.results[0].payload, 'string');
      assert.equal(out.results[0].payload, out.results[0].completion.choices[0].text);
      const several = await f.run({ payload: { prompt: 'Hello', n: 3 } });
      assert.ok(Array.isArray(several.results[0].payload));
      assert.deepEqual(several.results[0].payload, several.results[0].completion.choices.map((c: any) => c.text));
    });

    it('text: a non-2xx answer fails the message with what it means, the status and OpenAI error type and code', async () => {
      const f = await load({ resultFormat: 'text', model: 'no-such-model' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.results.length, 0);
      assert.equal(out.pass.length, 0);
      assert.equal(out.errors.length, 1);
      const error = out.errors[0].error;
      assert.equal(error.code, 'MODEL_NOT_FOUND');
      assert.match(error.message, /^MODEL_NOT_FOUND: model not found: /);
      assert.match(error.cause.hint, /model name/);
      assert.equal(error.cause.status, 404);
      assert.equal(error.cause.code, 'model_not_found');
      assert.equal(error.cause.type, 'invalid_request_error');
      assert.match(error.message, /404/);
    });

    it('choices: one message per choice with msg.parts, and a join node reassembles them', async () => {
      suite.flow = await FlowHarness.load({ api: { baseUrl: suite.server.url }, credentials: { apiKey: KEY }, node: { resultFormat: 'choices', n_completions: '3', max_tokens: '2' }, join: true });
      const out = await suite.flow.run({ payload: 'Pick a colour' });
      assert.equal(out.results.length, 3);
      assert.deepEqual(out.results.map((m) => m.parts.index), [0, 1, 2]);
      assert.ok(out.results.every((m) => m.parts.count === 3 && m.parts.id === out.results[0].parts.id));
      assert.deepEqual(out.results.map((m) => m.payload.index), [0, 1, 2]);
      await suite.flow.waitFor(() => suite.flow!.events.some((e) => e.kind === 'joined'));
      const joined = suite.flow.events.find((e) => e.kind === 'joined')!.msg;
      assert.deepEqual(joined.payload.map((c: any) => c.index), [0, 1, 2]);
    });
  });

  describe('validation before any network call', () => {
    it('fails an invalid request with one error naming every bad field, and sends nothing', async () => {
      const f = await load();
      const out = await f.run({
        payload: {
          model: '', prompt: 'x', temperature: 3, top_p: -1, n: 0, best_of: 25, logprobs: 6,
          stop: ['a', 'b', 'c', 'd', 'e'], logit_bias: { abc: 5, '13': 500 }, max_tokens: 1.5,
          stream_options: { include_usage: true }, echo: 'yes',
        },
      });
      assert.equal(completionPosts().length, 0);
      assert.equal(out.errors.length, 1);
      assert.equal(out.results.length, 0);
      assert.equal(out.pass.length, 0);
      const error = out.errors[0].error;
      assert.equal(error.code, 'INVALID_REQUEST');
      const fields = error.cause.fields.map((f: any) => f.field).sort();
      assert.deepEqual(fields, ['best_of', 'echo', 'logit_bias', 'logprobs', 'max_tokens', 'model', 'n', 'stop', 'stream_options', 'temperature', 'top_p']);
      for (const field of fields) assert.match(error.message, new RegExp(field));
    });

    it('applies the cross-field rules: best_of >= n, no best_of > 1 with stream', async () => {
      const f = await load();
      const out = await f.run({ payload: { prompt: 'x', best_of: 2, n: 3 } });
      assert.match(out.errors[0].error.message, /best_of/);
      const streamed = await f.run({ payload: { prompt: 'x', best_of: 2, stream: true } });
      assert.match(streamed.errors[0].error.message, /best_of above 1 cannot be used with stream: true/);
      assert.equal(completionPosts().length, 0);
    });

    it('rejects a missing model and a payload of the wrong type', async () => {
      const f = await load({ model: '' });
      const out = await f.run({ payload: 'x' });
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: any) => p.field), ['model']);
      const wrong = await f.run({ payload: { prompt: { not: 'a prompt' }, model: 'demo-instruct' } });
      assert.deepEqual(wrong.errors[0].error.cause.fields.map((p: any) => p.field), ['prompt']);
      assert.equal(completionPosts().length, 0);
    });

    it('shows the invalid fields in the node status', async () => {
      const f = await load();
      await f.run({ payload: { prompt: 'x', temperature: 9 } });
      // The test helper stubs RED._, so statuses show their catalog keys.
      assert.ok(f.statuses().some((s) => s.fill === 'red' && s.text === 'create-completion.status.invalid'));
      assert.equal(f.statuses().filter((s) => s.text === 'create-completion.status.requesting').length, 0);
    });
  });

  describe('failures are catchable, once per message', () => {
    it('connection refused is a NETWORK_ERROR after the retries', async () => {
      const port = await closedPort();
      const f = await load({}, { baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: '1' });
      const out = await f.run({ payload: 'x' }, { timeoutMs: 10_000 });
      assert.equal(out.errors.length, 1);
      assert.equal(out.completes.length, 0);
      assert.equal(out.errors[0].error.code, 'NETWORK_ERROR');
      assert.ok(f.statuses().some((s) => s.fill === 'yellow' && s.text === 'create-completion.status.retrying'));
      assert.equal(f.statuses().at(-1)?.fill, 'red');
      assert.equal(f.statuses().at(-1)?.text, 'create-completion.status.failed');
    });

    it('a server that does not answer in time is a TIMEOUT', async () => {
      const f = await load({}, { timeout: '0.3', maxRetries: '0' });
      suite.server.script({ kind: 'hang' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].error.code, 'TIMEOUT');
    });

    it('a 2xx body that is not JSON is a BAD_RESPONSE', async () => {
      const f = await load();
      suite.server.script({ kind: 'malformed' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].error.code, 'BAD_RESPONSE');
      assert.equal(out.errors[0].error.cause.status, 200);
      assert.equal(completionPosts().length, 1);
    });

    it('a missing connection fails the message instead of throwing', async () => {
      const f = await load({ api: 'nowhere' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].error.code, 'NO_CONNECTION');
    });

    it('retries a 5xx and then delivers the success', async () => {
      const f = await load();
      suite.server.script({ kind: 'status', status: 500, headers: { 'retry-after-ms': '10' } });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.results[0].payload.status, 200);
      assert.equal(completionPosts().length, 2);
    });

    it('shows done with the status, the tokens used and their rate; an answer cut at max_tokens says so, in yellow', async () => {
      const f = await load({ max_tokens: '3' });
      const cut = await f.run({ payload: 'count my tokens' });
      assert.equal(cut.results[0].truncated, true);
      const statuses = f.statuses();
      assert.equal(statuses[0].text, 'create-completion.status.requesting');
      assert.equal(statuses.at(-1)?.fill, 'yellow');
      // (The test runtime shows catalogue keys, longer than the texts, so the status is cut at 60 characters.)
      assert.match(statuses.at(-1)?.text, /^create-completion\.status\.truncated · create-completion\.stat/);
      suite.server.script({ kind: 'status', status: 200, body: { id: 'c', object: 'text_completion', created: 1, model: 'demo-instruct', choices: [{ text: 'done.', index: 0, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } } });
      const whole = await f.run({ payload: 'a short one' });
      assert.equal(whole.results[0].truncated, false);
      assert.equal(f.statuses().at(-1)?.fill, 'green');
      // The rate, when there is one, is a catalogue text too (cut here for the key's length).
      assert.match(f.statuses().at(-1)?.text, /^create-completion\.status\.done( · create-completion\.status\.to…)?$/);
    });

    it('ends each of many concurrent messages exactly once', async () => {
      const f = await load({ max_tokens: '1' }, { maxInFlight: '2' });
      suite.server.script({ kind: 'status', status: 400 }, { kind: 'malformed' }, { kind: 'reset-before-headers' });
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => f.run({ payload: `prompt ${i}` })));
      for (const run of runs) assert.equal(run.errors.length + run.completes.length, 1);
    });

    it('under load, its statuses come at a pace an open editor can take, and the last one shows how the last message ended (cut at max_tokens)', async () => {
      const f = await load({ max_tokens: '1' }, { maxInFlight: '8', maxQueue: '1000' });
      const started = Date.now();
      const runs = await Promise.all(Array.from({ length: 300 }, (_, i) => f.run({ payload: `prompt ${i}` })));
      for (const run of runs) assert.equal(run.completes.length, 1, JSON.stringify(run.errors[0]?.error ?? run.events.map((e) => e.kind)));
      // The last status may wait its turn: a tenth of a second at most.
      await new Promise((r) => setTimeout(r, 1000 / STATUS_PER_SECOND + 50));
      const seconds = (Date.now() - started) / 1000;
      // Two a message unpaced: 600 here, where Node-RED sends an open editor 1,000 a second at most.
      const bound = STATUS_BURST + Math.ceil(seconds * STATUS_PER_SECOND) + 1;
      assert.ok(f.statuses().length <= bound, `${f.statuses().length} statuses in ${seconds} s (at most ${bound})`);
      assert.match(String(f.statuses().at(-1)?.text), /^create-completion\.status\.truncated/);
    });
  });

  describe('the API key stays secret', () => {
    it('never shows the key in results, errors, status or log', async () => {
      const f = await load({ resultFormat: 'text' });
      suite.server.script({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
      const echoed = await f.run({ payload: 'x' });
      const ok = await f.run({ payload: 'x' });
      const everything = JSON.stringify([echoed, ok, f.statuses(), f.logLines()]);
      assert.ok(!everything.includes(KEY), 'the key leaked');
      assert.equal(echoed.errors[0].error.cause.status, 401);
      assert.match(echoed.errors[0].error.message, /\*\*\*/);
    });
  });
});

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
