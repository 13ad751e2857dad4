import assert from 'node:assert/strict';
import { FlowHarness, helper } from '../support/flow-harness';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { DIALECTS } from '../../demo-server/dialects';
import { CONNECTION_FACTS } from '../../nodes/lib/editor-facts';

const KEY = 'sk-dialect-key-0123456789';
type Dialect = 'azure' | 'azure-v1' | 'vllm' | 'llamacpp' | 'ollama';

describe('each server kind against the local server in that server’s dialect', function () {
  const servers = new Map<string, CompletionServer>();
  let flow: FlowHarness | undefined;

  before(async () => {
    for (const dialect of ['azure', 'azure-v1', 'vllm', 'llamacpp', 'ollama'] as Dialect[]) {
      servers.set(dialect, await startCompletionServer({ dialect, requireApiKey: KEY }));
    }
  });
  after(async () => {
    for (const server of servers.values()) await server.close();
  });
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
  });

  const load = async (dialect: Dialect, node: Record<string, unknown> = {}, api: Record<string, unknown> = {}) => {
    const server = servers.get(dialect)!;
    server.reset();
    flow = await FlowHarness.load({
      api: { serverKind: dialect, baseUrl: server.url, maxRetries: '0', ...api },
      credentials: { apiKey: KEY },
      node: { max_tokens: '3', ...node },
    });
    return { f: flow, server };
  };
  const posts = (server: CompletionServer) => server.requests.filter((r) => r.method === 'POST' && /completions/.test(r.pathname));

  describe('Azure OpenAI (deployments)', () => {
    it('posts to the deployment named by the model field, with api-version and the api-key header', async () => {
      const { f, server } = await load('azure', { model: 'gpt-3.5-turbo-instruct' }, { apiVersion: '2024-10-21' });
      const out = await f.run({ payload: 'Hello Azure' });
      assert.equal(out.results[0].payload.status, 200, JSON.stringify(out.results[0].payload.body));
      const [post] = posts(server);
      assert.equal(post.path, '/openai/deployments/gpt-3.5-turbo-instruct/completions?api-version=2024-10-21');
      assert.equal(post.headers['api-key'], KEY);
      assert.equal(post.headers.authorization, undefined);
      assert.equal(out.results[0].payload.body.model, 'gpt-3.5-turbo-instruct');
    });

    it('reports an unknown deployment with Azure’s error code', async () => {
      const { f } = await load('azure', { model: 'no-such-deployment', resultFormat: 'text' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors[0].error.cause.status, 404);
      assert.equal(out.errors[0].error.cause.code, 'DeploymentNotFound');
    });

    it('refuses a deployment named ".." before sending, instead of posting to another path of the host', async () => {
      const { f, server } = await load('azure', { model: '..' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: { field: string }) => p.field), ['model']);
      assert.equal(server.requests.length, 0);
    });

    it('streams from a deployment', async () => {
      const { f } = await load('azure', { model: 'davinci-002', stream: 'true', resultFormat: 'text' });
      const out = await f.run({ payload: 'stream it' });
      assert.equal(out.errors.length, 0, out.errors[0]?.error.message);
      assert.equal(out.results.at(-1)!.complete, true);
    });
  });

  it('Azure v1: posts to /openai/v1/completions with the api-key header', async () => {
    const { f, server } = await load('azure-v1', { model: 'gpt-3.5-turbo-instruct' });
    const out = await f.run({ payload: 'Hello v1' });
    assert.equal(out.results[0].payload.status, 200);
    const [post] = posts(server);
    assert.equal(post.pathname ?? post.path, '/openai/v1/completions');
    assert.equal(post.headers['api-key'], KEY);
  });

  describe('vLLM', () => {
    it('forwards extra sampling parameters and reads its flat error objects with integer codes', async () => {
      const { f, server } = await load('vllm', { extra: '{"top_k": 40, "min_p": 0.05}', resultFormat: 'text' });
      const ok = await f.run({ payload: 'Hello vLLM' });
      assert.equal(ok.errors.length, 0);
      assert.equal((posts(server)[0].body as any).top_k, 40);
      assert.equal(posts(server)[0].headers.authorization, `Bearer ${KEY}`);
      const missing = await f.run({ payload: { prompt: 'x', model: 'no-such-model' } });
      const error = missing.errors[0].error;
      assert.equal(error.code, 'MODEL_NOT_FOUND');
      assert.equal(error.cause.status, 404);
      assert.equal(error.cause.type, 'NotFoundError');
      assert.equal(error.cause.code, 404);
      assert.match(error.message, /does not exist/);
    });

    it('refuses best_of > 1 and suffix before sending', async () => {
      const { f, server } = await load('vllm');
      const out = await f.run({ payload: { prompt: 'x', best_of: 3, n: 1, suffix: 'end' } });
      assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: any) => p.field).sort(), ['best_of', 'suffix']);
      assert.equal(posts(server).length, 0);
    });
  });

  describe('llama.cpp server', () => {
    it('converts its chat-style logprobs into the classic shape, streamed or not', async () => {
      const { f } = await load('llamacpp', { logprobs: '2', max_tokens: '4' });
      const plain = await f.run({ payload: { prompt: 'Hello llama', seed: 5 } });
      const lp = plain.results[0].payload.body.choices[0].logprobs;
      assert.equal(lp.tokens.length, 4);
      assert.equal(lp.token_logprobs.length, 4);
      assert.equal(Object.keys(lp.top_logprobs[0]).length, 2);
      assert.deepEqual(lp.text_offset.slice(0, 2), [0, lp.tokens[0].length]);
      const streamed = await f.run({ payload: { prompt: 'Hello llama', seed: 5, stream: true } });
      assert.equal(streamed.errors.length, 0, streamed.errors[0]?.error.message);
      assert.deepEqual(streamed.results.at(-1)!.payload.body.choices[0].logprobs.tokens, lp.tokens);
    });

    it('streams as llama.cpp does: an event per token, a last event with finish_reason and usage, then [DONE]', async () => {
      const { f, server } = await load('llamacpp', { stream: 'true', resultFormat: 'text', max_tokens: '5' });
      const out = await f.run({ payload: 'stream' });
      assert.equal(out.errors.length, 0, out.errors[0]?.error.message);
      const final = out.results.at(-1)!;
      assert.equal(final.complete, true);
      // Five tokens, the empty last event, then the assembled response.
      assert.equal(out.results.length, 7);
      assert.equal(final.completion.usage.completion_tokens, 5, 'usage without include_usage, as llama.cpp sends it');
      assert.equal(posts(server).length, 1);
    });

    it('refuses echo, best_of above 1 and suffix, which it would silently ignore', async () => {
      const { f, server } = await load('llamacpp');
      const out = await f.run({ payload: { prompt: 'x', echo: true, best_of: 2, suffix: 's' } });
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: any) => p.field).sort(), ['best_of', 'echo', 'suffix']);
      assert.equal(posts(server).length, 0);
      const fine = await f.run({ payload: { prompt: 'x', echo: false } });
      assert.equal(fine.results[0].payload.status, 200);
    });

    it('refuses its own names for max_tokens and n (n_predict, n_cmpl), which would pass the guard and the budget unseen', async () => {
      const { f, server } = await load('llamacpp');
      const out = await f.run({ payload: { prompt: 'x', n_cmpl: 2, n_predict: 5 } });
      assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: any) => p.field).sort(), ['n_cmpl', 'n_predict']);
      assert.match(out.errors[0].error.message, /n_cmpl is not for llama\.cpp server, which takes it in place of n/);
      assert.equal(posts(server).length, 0);
    });
  });

  describe('Ollama', () => {
    it('completes a string prompt', async () => {
      const { f } = await load('ollama', { model: 'demo-instruct', resultFormat: 'text' });
      const out = await f.run({ payload: 'Why is the sky blue?' });
      assert.equal(typeof out.results[0].payload, 'string');
    });

    it('refuses what it would reject or silently ignore: array prompts, n > 1, echo, logit_bias', async () => {
      const { f, server } = await load('ollama');
      const out = await f.run({ payload: { prompt: ['a', 'b'], n: 2, echo: true, logit_bias: { '13': 5 } } });
      assert.deepEqual(out.errors[0].error.cause.fields.map((p: any) => p.field).sort(), ['echo', 'logit_bias', 'n', 'prompt']);
      assert.equal(posts(server).length, 0);
    });
  });

  it('a stream that ends without [DONE] still fails for servers that always send it', async () => {
    const server = servers.get('vllm')!;
    server.reset();
    server.script({ kind: 'stream-no-done' });
    flow = await FlowHarness.load({ api: { serverKind: 'vllm', baseUrl: server.url, maxRetries: '0' }, credentials: { apiKey: KEY }, node: { stream: 'true', max_tokens: '3' } });
    const out = await flow.run({ payload: 'x' });
    assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
  });
  describe('the server\'s own parameters, from the dialog\'s Extra or the message', () => {
    it('a value of the wrong type is refused before sending, naming the parameter and what it must be', async () => {
      const { f, server } = await load('llamacpp', { extra: JSON.stringify({ top_k: '40' }) });
      const fromDialog = await f.run({ payload: 'x' });
      assert.equal(fromDialog.errors[0]?.error.code, 'INVALID_REQUEST');
      assert.deepEqual(fromDialog.errors[0].error.cause.fields, [{ field: 'top_k', reason: 'must be an integer (a parameter of llama.cpp server)' }]);
      const fromMessage = await f.run({ payload: { prompt: 'x', top_k: 40, samplers: 7 } });
      assert.deepEqual(fromMessage.errors[0]?.error.cause.fields.map((p: any) => p.field), ['samplers']);
      assert.equal(posts(server).length, 0, 'nothing was sent');
    });

    // A real llama-server (commit de3ff81, as checked in the README's table) takes top_k -1 (off) and samplers as one letter each; it answers 400 to repeat_last_n -1.
    it('values as the server documents them are sent as given, including its other accepted forms', async () => {
      const { f, server } = await load('llamacpp');
      const out = await f.run({ payload: { prompt: 'x', top_k: -1, samplers: 'kt', n_probs: 2, post_sampling_probs: false } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      const body = posts(server)[0].body as Record<string, unknown>;
      assert.equal(body.top_k, -1);
      assert.equal(body.samplers, 'kt');
    });
  });

  it('the admin tokenize endpoint turns text into ids for exactly the kinds the dialog says can (the editor\'s tokenCounting fact)', async () => {
    for (const dialect of DIALECTS) {
      const server = await startCompletionServer({ dialect, requireApiKey: KEY });
      try {
        flow = await FlowHarness.load({ api: { serverKind: dialect, baseUrl: server.url, maxRetries: '0', apiVersion: '2024-10-21' }, credentials: { apiKey: KEY } });
        const answer = await helper.request().post('/completion-api/api/tokenize').send({ text: 'Say this is a test', model: 'demo-instruct' });
        const counting = CONNECTION_FACTS.tokenCounting[dialect];
        if (counting === null) {
          assert.equal(answer.status, 501, `${dialect}: ${JSON.stringify(answer.body)}`);
        } else {
          assert.equal(answer.status, 200, `${dialect} (${counting}): ${JSON.stringify(answer.body)}`);
          assert.ok(Array.isArray(answer.body.tokens) && answer.body.tokens.length > 0, dialect);
          assert.equal(server.requests.some((r) => /tokenize/.test(r.pathname)), counting === 'server', `${dialect}: asked the server iff it counts`);
        }
        await flow.unload();
        flow = undefined;
      } finally {
        await server.close();
      }
    }
  });
});
