/**
 * Requests built the ways users build them, in front of create-completion in a real
 * Node-RED: a function node's object literal (user code runs in a `vm` context, so its
 * objects and arrays come from another realm), a change node, a template node's JSON and
 * an inject node's JSON. Each must reach the server exactly as written.
 */
import assert from 'node:assert/strict';
import { FlowHarness, type Msg } from '../support/flow-harness';
import { useDemoServer } from '../support/demo-server-suite';
import functionNode from '@node-red/nodes/core/function/10-function.js';
import changeNode from '@node-red/nodes/core/function/15-change.js';
import templateNode from '@node-red/nodes/core/function/80-template.js';
import injectNode from '@node-red/nodes/core/common/20-inject.js';

describe('requests built by function, change, template and inject nodes', function () {
  const suite = useDemoServer();

  const load = async (upstream: Msg[], node: Record<string, unknown> = {}) => {
    suite.flow = await FlowHarness.load({
      api: { baseUrl: suite.server.url },
      node,
      upstream,
      modules: [functionNode, changeNode, templateNode, injectNode],
    });
    return suite.flow;
  };
  const sentBody = () => suite.server.requests.filter((r) => r.method === 'POST').map((r) => r.body as Record<string, unknown>);
  const fn = (func: string) => ({ id: 'build', type: 'function', name: 'build request', func, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['cc']] });

  const assertSent = (out: { results: Msg[]; errors: Msg[]; pass: Msg[] }, expected: Record<string, unknown>) => {
    assert.equal(out.errors.length, 0, `refused: ${JSON.stringify(out.errors[0]?.error?.message)}`);
    assert.equal(out.results.length, 1);
    assert.equal(out.results[0].payload.status, 200);
    assert.equal(out.pass.length, 1);
    const body = sentBody()[0];
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(body[key], value, key);
  };

  it("a function node's object literal, with nested objects and arrays, is sent as written", async () => {
    const f = await load([fn(`msg.payload = { prompt: "Write a haiku", max_tokens: 4, temperature: 0.5, stop: ["\\n", "###"], logit_bias: { "50256": -100 }, top_k: 40 };\nreturn msg;`)]);
    const out = await f.run({ payload: 'ignored by the function' }, { node: 'build' });
    assertSent(out, { prompt: 'Write a haiku', max_tokens: 4, temperature: 0.5, stop: ['\n', '###'], logit_bias: { '50256': -100 }, top_k: 40, model: 'demo-instruct' });
  });

  it('a function node that returns a new message object is sent as written', async () => {
    const f = await load([fn('return { payload: { prompt: ["first", "second"], max_tokens: 2, n: 2, best_of: 2 } };')]);
    const out = await f.run({ payload: 0 }, { node: 'build' });
    assertSent(out, { prompt: ['first', 'second'], n: 2, best_of: 2 });
    assert.equal(out.results[0].payload.body.choices.length, 4);
  });

  it('a function node streaming request with stream_options goes out as a stream', async () => {
    const f = await load([fn('msg.payload = { prompt: "stream me", max_tokens: 3, stream: true, stream_options: { include_usage: true } };\nreturn msg;')], { resultFormat: 'text' });
    const out = await f.run({ payload: '' }, { node: 'build' });
    assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
    assert.deepEqual(sentBody()[0].stream_options, { include_usage: true });
    const final = out.results.at(-1)!;
    assert.equal(final.complete, true);
    assert.equal(final.completion.usage.completion_tokens, 3);
  });

  it("a function node's token-id arrays and array of token-id arrays are prompts", async () => {
    const f = await load([fn('msg.payload = msg.topic === "ids" ? [1212, 318, 257] : [[1212, 318], [257]];\nreturn msg;')], { max_tokens: '2' });
    const ids = await f.run({ topic: 'ids' }, { node: 'build' });
    assertSent(ids, { prompt: [1212, 318, 257] });
    suite.server.reset();
    const nested = await f.run({ topic: 'nested' }, { node: 'build' });
    assertSent(nested, { prompt: [[1212, 318], [257]] });
  });

  it("a function node's invalid request is still refused, naming every bad field", async () => {
    const f = await load([fn('msg.payload = { prompt: "x", temperature: 7, logprobs: 99 };\nreturn msg;')]);
    const out = await f.run({ payload: '' }, { node: 'build' });
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
    const fields = out.errors[0].error.cause.fields.map((p: { field: string }) => p.field).sort();
    assert.deepEqual(fields, ['logprobs', 'temperature']);
    assert.equal(sentBody().length, 0);
  });

  it('a change node that sets msg.payload to JSON is sent as written', async () => {
    const f = await load([{
      id: 'build', type: 'change', name: 'set request',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"prompt":"from a change node","max_tokens":2,"echo":true}', tot: 'json' }],
      wires: [['cc']],
    }]);
    const out = await f.run({ payload: 'x' }, { node: 'build' });
    assertSent(out, { prompt: 'from a change node', max_tokens: 2, echo: true });
  });

  it('a change node that sets one parameter deep into an object payload keeps the others', async () => {
    const f = await load([{
      id: 'build', type: 'change', name: 'set temperature',
      rules: [{ t: 'set', p: 'payload.temperature', pt: 'msg', to: '0', tot: 'num' }],
      wires: [['cc']],
    }]);
    const out = await f.run({ payload: { prompt: 'deep', max_tokens: 2 } }, { node: 'build' });
    assertSent(out, { prompt: 'deep', max_tokens: 2, temperature: 0 });
  });

  it("a template node's JSON output (mustache filled from the message) is sent as written", async () => {
    const f = await load([{
      id: 'build', type: 'template', name: 'request', field: 'payload', fieldType: 'msg', format: 'json', syntax: 'mustache', output: 'json',
      template: '{ "prompt": "Tell me about {{topic}}", "max_tokens": 3, "stop": ["."] }',
      wires: [['cc']],
    }]);
    const out = await f.run({ topic: 'owls' }, { node: 'build' });
    assertSent(out, { prompt: 'Tell me about owls', max_tokens: 3, stop: ['.'] });
  });

  it("a template node left on plain text sends the request's JSON as the prompt, as the contract says, and the node warns once", async () => {
    const f = await load([{
      id: 'build', type: 'template', name: 'request', field: 'payload', fieldType: 'msg', format: 'json', syntax: 'mustache', output: 'str',
      template: '{ "prompt": "Tell me about {{topic}}", "max_tokens": 3 }',
      wires: [['cc']],
    }]);
    const warnings: unknown[] = [];
    const node = f.node();
    const warn = node.warn.bind(node);
    node.warn = (m: unknown) => {
      warnings.push(m);
      warn(m);
    };
    await f.run({ topic: 'owls' }, { node: 'build' });
    await f.run({ topic: 'cats' }, { node: 'build' });
    assert.equal(sentBody()[0].prompt, '{ "prompt": "Tell me about owls", "max_tokens": 3 }');
    assert.deepEqual(warnings, ['create-completion.errors.payloadIsJsonText'], 'warned once for two messages');
    // A prompt that is JSON without a prompt of its own is a prompt like any other.
    await f.run({ payload: '{"name": "a JSON document to continue"}' });
    assert.equal(warnings.length, 1);
  });

  it('the model can come from the message, flow context or environment, as a typed input', async () => {
    // The server answers whatever the model; what matters is the name it was asked for.
    const f = await load([fn('msg.chosen = "model-from-msg"; return msg;')], { model: 'chosen', modelType: 'msg' });
    await f.run({ payload: 'x' }, { node: 'build' });
    assert.equal(sentBody()[0].model, 'model-from-msg');
    suite.server.reset();
    process.env.CC_TEST_MODEL = 'model-from-env';
    await suite.flow!.unload();
    const g = await load([fn('return msg;')], { model: 'CC_TEST_MODEL', modelType: 'env' });
    await g.run({ payload: 'x' }, { node: 'build' });
    assert.equal(sentBody()[0].model, 'model-from-env');
    delete process.env.CC_TEST_MODEL;
  });

  it('a model read from the message that is missing fails as an invalid request naming model', async () => {
    const f = await load([fn('return msg;')], { model: 'chosen', modelType: 'msg' });
    const out = await f.run({ payload: 'x' }, { node: 'build' });
    assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
    assert.deepEqual(out.errors[0].error.cause.fields.map((p: { field: string }) => p.field), ['model']);
  });

  it("an inject node's JSON payload is sent as written", async () => {
    const f = await load([{
      id: 'build', type: 'inject', name: 'go', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
      payload: '{"prompt":"from an inject node","max_tokens":2,"seed":7}', payloadType: 'json', topic: 't',
      repeat: '', crontab: '', once: false, onceDelay: 0.1, wires: [['cc']],
    }]);
    const out = await f.inject('build');
    assertSent(out, { prompt: 'from an inject node', max_tokens: 2, seed: 7 });
    assert.equal(out.results[0].topic, 't');
  });

  it('a misspelt parameter from a function node is refused, naming the one it nearly is; nothing is sent', async () => {
    const f = await load([fn('msg.payload = { prompt: "x", max_token: 5, temprature: 0.2, logitBias: { "13": 1 }, top_k: 40, my_flag: true }; return msg;')], { resultFormat: 'text' });
    const out = await f.run({ payload: 'x' }, { node: 'build' });
    assert.equal(out.errors[0]?.error.code, 'INVALID_REQUEST');
    const fields = out.errors[0].error.cause.fields as Array<{ field: string; reason: string }>;
    assert.deepEqual(fields.map((p) => p.field), ['max_token', 'temprature', 'logitBias']);
    assert.match(fields[0].reason, /did you mean max_tokens\?/);
    assert.match(fields[2].reason, /did you mean logit_bias\?/);
    // The debug sidebar shows about 80 characters of msg.error.message before it is opened: the hint is among them.
    assert.match(out.errors[0].error.message.slice(0, 80), /did you mean max_tokens\?/, out.errors[0].error.message);
    assert.equal(sentBody().length, 0);
  });

  it('a result does not inherit what a node before it wrote: cached, rateLimit, a join\'s reset and complete, choiceIndex', async () => {
    const f = await load([fn('msg.cached = true; msg.reset = true; msg.complete = true; msg.choiceIndex = 7; msg.rateLimit = { remainingRequests: 1 }; msg.usage = { total_tokens: 999 }; msg.topic = "kept"; return msg;')], { resultFormat: 'text' });
    const out = await f.run({ payload: 'x' }, { node: 'build' });
    assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
    const result = out.results[0];
    for (const key of ['cached', 'reset', 'complete', 'choiceIndex']) assert.equal(result[key], undefined, key);
    assert.notEqual(result.usage?.total_tokens, 999);
    assert.equal(result.topic, 'kept', 'the message\'s own properties stay');
    // The passthrough is the input message as it came.
    assert.equal(out.pass[0].cached, true);
  });
});
