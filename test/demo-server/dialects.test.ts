// The local completion server in each dialect (demo-server/dialects.ts), over real HTTP:
// paths, auth headers, error shapes, logprobs style, stream endings and ignored parameters
// of Azure OpenAI (deployments and v1), vLLM, llama.cpp server and Ollama.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { AZURE_BAD_TOKEN, AZURE_DENIED, AZURE_NO_DEPLOYMENT, LLAMA_DEFAULT_MODEL, LLAMA_FINGERPRINT } from '../../demo-server/dialects';
import { completionFor, tokenId, utf8Bytes, type CompletionBody } from '../../demo-server/generate';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  complete: boolean;
}

/** A request to the server's origin + path (not to its base URL): paths are what is tested. */
function send(server: CompletionServer, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string>; method?: string } = {}): Promise<Reply> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const url = new URL(path, new URL(server.url).origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? (payload === undefined ? 'GET' : 'POST'), agent: false, headers: { 'content-type': 'application/json', ...(options.headers ?? {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8'), complete: res.complete }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const json = (r: Reply): any => JSON.parse(r.text);

/** The data fields of an SSE text, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim() !== '')
    .map((e) =>
      e
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n'),
    );
}

const KEY = 'sk-dialect-test-key-0001';

describe('local completion server dialects (demo-server/dialects.ts)', function () {
  this.timeout(5000);

  it('defaults to openai; exposes a read-only dialect and records pathname and path with query', async () => {
    const server = await startCompletionServer();
    try {
      assert.equal(server.dialect, 'openai');
      assert.match(server.url, /\/v1$/);
      assert.throws(() => {
        (server as { dialect: string }).dialect = 'vllm';
      });
      assert.equal(server.dialect, 'openai');
      await send(server, '/v1/completions?x=1', { body: { model: 'demo-instruct', prompt: 'p' } });
      assert.equal(server.requests[0].path, '/v1/completions?x=1');
      assert.equal(server.requests[0].pathname, '/v1/completions');
    } finally {
      await server.close();
    }
    await assert.rejects(startCompletionServer({ dialect: 'nope' as never }), /Unknown dialect/);
  });

  describe('azure (deployments API)', () => {
    let server: CompletionServer;
    const VERSION = '2024-10-21';
    const path = (deployment: string, version: string | null = VERSION): string =>
      `/openai/deployments/${deployment}/completions${version === null ? '' : `?api-version=${version}`}`;
    before(async () => {
      server = await startCompletionServer({ dialect: 'azure', requireApiKey: KEY });
    });
    after(() => server.close());
    beforeEach(() => server.reset());

    it('serves completions at /openai/deployments/{deployment}/completions?api-version=, model = deployment', async () => {
      assert.equal(server.dialect, 'azure');
      assert.equal(server.url, new URL(server.url).origin, 'base URL is the resource endpoint');
      const reply = await send(server, path('davinci-002'), { body: { model: 'ignored-model', prompt: 'Hello', max_tokens: 3 }, headers: { 'api-key': KEY } });
      assert.equal(reply.status, 200, reply.text);
      const body = json(reply);
      assert.equal(body.model, 'davinci-002');
      assert.equal(body.choices.length, 1);
      assert.equal(body.choices[0].text, completionFor({ model: 'davinci-002', prompt: 'Hello', max_tokens: 3 }, { id: 'x', created: 0 }).body.choices[0].text);
      assert.deepEqual(body.prompt_filter_results[0].prompt_index, 0);
      assert.equal(body.choices[0].content_filter_results.hate.filtered, false);
      assert.ok(reply.headers['apim-request-id']);
      // recorded: path with the query string, pathname without
      assert.equal(server.requests[0].path, `/openai/deployments/davinci-002/completions?api-version=${VERSION}`);
      assert.equal(server.requests[0].pathname, '/openai/deployments/davinci-002/completions');
      assert.equal(server.requests[0].headers['api-key'], KEY);
      // a preview version is well-formed too
      assert.equal((await send(server, path('demo-instruct', '2025-04-01-preview'), { body: { prompt: 'x' }, headers: { 'api-key': KEY } })).status, 200);
    });

    it('404 "Resource not found" without api-version or on other paths; 400 on a malformed api-version', async () => {
      for (const p of [path('demo-instruct', null), '/v1/completions', '/openai/deployments/demo-instruct/chat/completions?api-version=2024-10-21']) {
        const r = await send(server, p, { body: { prompt: 'x' }, headers: { 'api-key': KEY } });
        assert.equal(r.status, 404, p);
        assert.deepEqual(json(r), { error: { code: '404', message: 'Resource not found' } });
      }
      for (const v of ['2024-10', 'v1', 'latest', '2024-10-21-beta']) {
        const r = await send(server, path('demo-instruct', v), { body: { prompt: 'x' }, headers: { 'api-key': KEY } });
        assert.equal(r.status, 400, v);
        assert.deepEqual(json(r), { error: { code: 'BadRequest', message: 'API version not supported' } });
      }
    });

    it('404 DeploymentNotFound for a deployment that is not a model id', async () => {
      const r = await send(server, path('gpt-4o'), { body: { model: 'demo-instruct', prompt: 'x' }, headers: { 'api-key': KEY } });
      assert.equal(r.status, 404);
      assert.deepEqual(json(r), { error: { code: 'DeploymentNotFound', message: AZURE_NO_DEPLOYMENT } });
      assert.match(AZURE_NO_DEPLOYMENT, /^The API deployment for this resource does not exist\./);
    });

    it('auth only via the api-key header: Bearer alone, a wrong key or none -> 401 with code "401"', async () => {
      const body = { prompt: 'x' };
      const bearer = await send(server, path('demo-instruct'), { body, headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(bearer.status, 401);
      assert.deepEqual(json(bearer), { error: { code: '401', message: AZURE_BAD_TOKEN } });
      for (const headers of [{ 'api-key': 'wrong' }, {}] as Array<Record<string, string>>) {
        const r = await send(server, path('demo-instruct'), { body, headers });
        assert.equal(r.status, 401);
        assert.deepEqual(json(r), { error: { code: '401', message: AZURE_DENIED } });
        assert.match(json(r).error.message, /^Access denied due to invalid subscription key or wrong API endpoint\./);
      }
    });

    it('validation errors in OpenAI shape; streams end with [DONE]; GET /openai/models?api-version= lists', async () => {
      const bad = await send(server, path('demo-instruct'), { body: { prompt: 'x', n: 0 }, headers: { 'api-key': KEY } });
      assert.equal(bad.status, 400);
      assert.equal(json(bad).error.param, 'n');
      const stream = await send(server, path('demo-instruct'), { body: { prompt: 'x', max_tokens: 2, stream: true }, headers: { 'api-key': KEY } });
      const data = sseData(stream.text);
      assert.equal(data[data.length - 1], '[DONE]');
      assert.equal(JSON.parse(data[0]).model, 'demo-instruct');
      const models = await send(server, `/openai/models?api-version=${VERSION}`, { headers: { 'api-key': KEY } });
      assert.equal(models.status, 200);
      assert.deepEqual(
        json(models).data.map((m: { id: string }) => m.id),
        ['demo-instruct', 'gpt-3.5-turbo-instruct', 'davinci-002', 'babbage-002'],
      );
      assert.equal(json(models).data[0].capabilities.completion, true);
      assert.equal((await send(server, '/openai/models', { headers: { 'api-key': KEY } })).status, 404);
      assert.equal((await send(server, `/openai/models?api-version=${VERSION}`)).status, 401);
    });
  });

  describe('azure-v1', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'azure-v1', requireApiKey: KEY });
    });
    after(() => server.close());

    it('POST /openai/v1/completions with api-key or Bearer; OpenAI-shaped errors', async () => {
      assert.match(server.url, /\/openai\/v1$/);
      const body = { model: 'demo-instruct', prompt: 'Hi', max_tokens: 2 };
      for (const headers of [{ 'api-key': KEY }, { authorization: `Bearer ${KEY}` }] as Array<Record<string, string>>) {
        const r = await send(server, '/openai/v1/completions', { body, headers });
        assert.equal(r.status, 200, r.text);
        assert.equal(json(r).model, 'demo-instruct');
      }
      assert.equal((await send(server, '/openai/v1/completions?api-version=preview', { body, headers: { 'api-key': KEY } })).status, 200);
      const denied = await send(server, '/openai/v1/completions', { body, headers: { 'api-key': 'wrong' } });
      assert.equal(denied.status, 401);
      assert.deepEqual(json(denied), { error: { message: AZURE_DENIED, type: 'invalid_request_error', param: null, code: '401' } });
      const unknown = await send(server, '/openai/v1/completions', { body: { ...body, model: 'gpt-4o' }, headers: { 'api-key': KEY } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { error: { message: AZURE_NO_DEPLOYMENT, type: 'invalid_request_error', param: null, code: 'DeploymentNotFound' } });
      const invalid = await send(server, '/openai/v1/completions', { body: { ...body, logprobs: 9 }, headers: { 'api-key': KEY } });
      assert.equal(invalid.status, 400);
      assert.deepEqual(Object.keys(json(invalid).error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal((await send(server, '/openai/deployments/demo-instruct/completions?api-version=2024-10-21', { body, headers: { 'api-key': KEY } })).status, 404);
      const models = await send(server, '/openai/v1/models', { headers: { 'api-key': KEY } });
      assert.equal(models.status, 200);
      assert.equal(json(models).data.length, 4);
    });
  });

  describe('vllm', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'vllm' });
    });
    after(() => server.close());
    beforeEach(() => server.reset());

    it('refuses best_of > 1 and suffix with flat errors (integer code)', async () => {
      const best = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', n: 1, best_of: 2 } });
      assert.equal(best.status, 400);
      assert.deepEqual(json(best), { object: 'error', message: 'vLLM V1 does not yet support best_of.', type: 'BadRequestError', param: null, code: 400 });
      for (const suffix of ['tail', '']) {
        const r = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', suffix } });
        assert.equal(r.status, 400);
        assert.deepEqual(json(r), { object: 'error', message: 'suffix is not currently supported', type: 'BadRequestError', param: null, code: 400 });
      }
      assert.equal((await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', best_of: 1 } })).status, 200);
      const unknown = await send(server, '/v1/completions', { body: { model: 'llama', prompt: 'x' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { object: 'error', message: 'The model `llama` does not exist.', type: 'NotFoundError', param: null, code: 404 });
      const invalid = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', n: 0 } });
      assert.equal(invalid.status, 400);
      assert.equal(json(invalid).object, 'error');
      assert.equal(json(invalid).code, 400);
      assert.equal(json(invalid).error, undefined, 'flat, not nested');
    });

    it('accepts extra sampling parameters and records them; logprobs up to 20; model optional', async () => {
      const body = { model: 'demo-instruct', prompt: 'x', max_tokens: 2, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, logprobs: 20 };
      const r = await send(server, '/v1/completions', { body });
      assert.equal(r.status, 200, r.text);
      assert.equal(Object.keys(json(r).choices[0].logprobs.top_logprobs[0]).length, 20);
      assert.deepEqual(server.requests[0].body, body);
      assert.equal((await send(server, '/v1/completions', { body: { ...body, logprobs: 21 } })).status, 400);
      assert.equal(json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 1 } })).model, 'demo-instruct');
    });

    it('streams end with [DONE]; Bearer auth with {"error":"Unauthorized"}; FastAPI 404; scripted errors flat', async () => {
      const stream = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', max_tokens: 2, stream: true } });
      assert.equal(sseData(stream.text).pop(), '[DONE]');
      assert.deepEqual(json(await send(server, '/v1/chat/completions', { body: {} })), { detail: 'Not Found' });
      server.script({ kind: 'status', status: 500 });
      const scripted = await send(server, '/v1/completions', { body: { model: 'demo-instruct' } });
      assert.equal(scripted.status, 500);
      assert.equal(json(scripted).type, 'InternalServerError');
      assert.equal(json(scripted).code, 500);
      const guarded = await startCompletionServer({ dialect: 'vllm', requireApiKey: KEY });
      try {
        const body = { model: 'demo-instruct', prompt: 'x' };
        assert.equal((await send(guarded, '/v1/completions', { body, headers: { authorization: `Bearer ${KEY}` } })).status, 200);
        for (const headers of [{ 'api-key': KEY }, { authorization: 'Bearer wrong' }, {}] as Array<Record<string, string>>) {
          const r = await send(guarded, '/v1/completions', { body, headers });
          assert.equal(r.status, 401);
          assert.deepEqual(json(r), { error: 'Unauthorized' });
        }
        assert.equal((await send(guarded, '/v1/models')).status, 401);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('llamacpp', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'llamacpp', requireApiKey: KEY });
    });
    after(() => server.close());
    const auth = { authorization: `Bearer ${KEY}` };

    it('refuses echo:true, and best_of / suffix when present at all, with {error:{code:<int>,message,type}}', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ echo: true }, 'Only no echo is supported'],
        [{ best_of: 1 }, 'Unsupported param: best_of'],
        [{ best_of: null }, 'Unsupported param: best_of'],
        [{ suffix: '' }, 'Unsupported param: suffix'],
      ];
      for (const [extra, message] of cases) {
        const r = await send(server, '/v1/completions', { body: { model: 'any', prompt: 'x', ...extra }, headers: auth });
        assert.equal(r.status, 500, JSON.stringify(extra));
        assert.deepEqual(json(r), { error: { code: 500, message, type: 'server_error' } });
      }
      assert.equal((await send(server, '/v1/completions', { body: { prompt: 'x', echo: false }, headers: auth })).status, 200);
      const noPrompt = await send(server, '/v1/completions', { body: { model: 'm' }, headers: auth });
      assert.deepEqual(json(noPrompt), { error: { code: 500, message: '"prompt" is required', type: 'server_error' } });
      const invalid = await send(server, '/v1/completions', { body: { prompt: 'x', n: 0 }, headers: auth });
      assert.equal(invalid.status, 400);
      assert.deepEqual(Object.keys(json(invalid).error).sort(), ['code', 'message', 'type']);
      assert.equal(json(invalid).error.code, 400);
      assert.equal(json(invalid).error.type, 'invalid_request_error');
      const notJson = await send(server, '/v1/completions', { raw: '{"prompt":', headers: auth });
      assert.equal(notJson.status, 500);
      assert.match(json(notJson).error.message, /parse_error/);
    });

    it('serves any model name; gives logprobs in the chat style with the classic numbers', async () => {
      const request = { model: 'my-gguf', prompt: 'The logprobs', max_tokens: 5, logprobs: 3, seed: 4 };
      const r = await send(server, '/v1/completions', { body: request, headers: auth });
      assert.equal(r.status, 200, r.text);
      const body = json(r);
      assert.equal(body.model, 'my-gguf');
      assert.equal(body.system_fingerprint, LLAMA_FINGERPRINT);
      assert.match(body.id, /^chatcmpl-/);
      const classic = completionFor(request, { id: 'x', created: 0 }).body.choices[0].logprobs!;
      const content = body.choices[0].logprobs.content as Array<Record<string, any>>;
      assert.equal(content.length, 5);
      assert.equal(body.choices[0].logprobs.tokens, undefined, 'not the classic shape');
      content.forEach((t, i) => {
        assert.deepEqual(Object.keys(t), ['id', 'token', 'bytes', 'logprob', 'top_logprobs']);
        assert.ok(Number.isInteger(t.id));
        assert.equal(t.id, tokenId(classic.tokens[i]));
        assert.equal(t.token, classic.tokens[i]);
        assert.deepEqual(t.bytes, utf8Bytes(classic.tokens[i]));
        assert.equal(t.logprob, classic.token_logprobs[i]);
        assert.deepEqual(
          t.top_logprobs.map((x: { token: string; logprob: number }) => [x.token, x.logprob]),
          Object.entries(classic.top_logprobs[i]),
        );
        for (const x of t.top_logprobs) assert.deepEqual(Object.keys(x), ['id', 'token', 'bytes', 'logprob']);
      });
      const none = json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 2 }, headers: auth }));
      assert.equal(none.choices[0].logprobs, null);
      assert.equal(none.model, LLAMA_DEFAULT_MODEL);
    });

    it('streams end cleanly without [DONE]; the last chunk carries finish_reason', async () => {
      const r = await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 3, stream: true, logprobs: 1 }, headers: auth });
      assert.equal(r.status, 200);
      assert.equal(r.complete, true);
      assert.ok(!r.text.includes('[DONE]'));
      const chunks = sseData(r.text).map((d) => JSON.parse(d));
      assert.equal(chunks.length, 3);
      chunks.forEach((c, i) => assert.equal(c.choices[0].finish_reason === null, i < 2));
      assert.equal(chunks[2].choices[0].finish_reason, 'length');
      assert.ok(Array.isArray(chunks[0].choices[0].logprobs.content));
    });

    it('Bearer auth with 401 "Invalid API Key"; /v1/models public; native /completions; 404 File Not Found', async () => {
      const denied = await send(server, '/v1/completions', { body: { prompt: 'x' }, headers: { 'api-key': KEY } });
      assert.equal(denied.status, 401);
      assert.deepEqual(json(denied), { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } });
      const models = await send(server, '/v1/models');
      assert.equal(models.status, 200);
      assert.equal(json(models).data[0].owned_by, 'llamacpp');
      const native = json(await send(server, '/completions', { body: { prompt: 'x', n_predict: 2, echo: true }, headers: auth }));
      assert.equal(native.choices, undefined);
      assert.equal(typeof native.content, 'string');
      assert.equal(native.stop, true);
      assert.equal(native.tokens_predicted, 2);
      assert.equal(native.stop_type, 'limit');
      const missing = await send(server, '/v1/nothing', { headers: auth });
      assert.equal(missing.status, 404);
      assert.deepEqual(json(missing), { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
    });
  });

  describe('ollama', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'ollama', requireApiKey: KEY });
    });
    after(() => server.close());

    it('takes a string prompt only: an array is a 400 bind error', async () => {
      for (const prompt of [['a', 'b'], [1, 2], 5]) {
        const r = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt } });
        assert.equal(r.status, 400);
        const kind = Array.isArray(prompt) ? 'array' : 'number';
        assert.deepEqual(json(r), {
          error: { message: `json: cannot unmarshal ${kind} into Go struct field CompletionRequest.prompt of type string`, type: 'invalid_request_error', param: null, code: null },
        });
      }
    });

    it('ignores n, echo, logit_bias, best_of and logprobs: one choice, no echo, no logprobs; any key or none', async () => {
      const plain = { model: 'demo-instruct', prompt: 'Hello there', max_tokens: 4, seed: 1 };
      const base = json(await send(server, '/v1/completions', { body: plain }));
      for (const headers of [{}, { authorization: 'Bearer anything' }, { 'api-key': 'x' }] as Array<Record<string, string>>) {
        const r = await send(server, '/v1/completions', { body: { ...plain, n: 3, echo: true, logit_bias: { '50256': -100 }, best_of: 3, logprobs: 2 }, headers });
        assert.equal(r.status, 200, r.text);
        const body = json(r);
        assert.equal(body.choices.length, 1);
        assert.deepEqual(Object.keys(body.choices[0]), ['text', 'index', 'finish_reason']);
        assert.equal(body.choices[0].text, base.choices[0].text);
        assert.ok(!body.choices[0].text.startsWith('Hello there'));
        assert.equal(body.system_fingerprint, 'fp_ollama');
        assert.match(body.id, /^cmpl-\d{1,3}$/);
      }
      const r = await send(server, '/v1/completions', { body: plain });
      assert.match(String(r.headers['content-type']), /^application\/json/);
    });

    it('unknown model 404, empty prompt loads (finish_reason "load"), streams with zero usage then [DONE], gin 404', async () => {
      const unknown = await send(server, '/v1/completions', { body: { model: 'llama3', prompt: 'x' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { error: { message: "model 'llama3' not found", type: 'not_found_error', param: null, code: null } });
      const load = json(await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: '' } }));
      assert.equal(load.choices[0].finish_reason, 'load');
      assert.equal(load.choices[0].text, '');
      const stream = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', max_tokens: 2, stream: true, stream_options: { include_usage: true }, n: 2 } });
      const data = sseData(stream.text);
      assert.equal(data.pop(), '[DONE]');
      const chunks = data.map((d) => JSON.parse(d));
      assert.equal(chunks.length, 3);
      assert.deepEqual(chunks[0].usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      assert.deepEqual(chunks[2].choices, []);
      assert.deepEqual(chunks[2].usage, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
      const missing = await send(server, '/api/nothing');
      assert.equal(missing.status, 404);
      assert.equal(missing.text, '404 page not found');
      const models = json(await send(server, '/v1/models'));
      assert.equal(models.data[0].owned_by, 'library');
      assert.equal(json(await send(server, '/v1/models/demo-instruct')).id, 'demo-instruct');
    });
  });

  it('every dialect answers the same text for the same request (one generator)', async () => {
    const request = { model: 'demo-instruct', prompt: 'same text', max_tokens: 4, seed: 9 };
    const expected = (completionFor(request, { id: 'x', created: 0 }).body as CompletionBody).choices[0].text;
    const paths: Record<string, string> = {
      azure: '/openai/deployments/demo-instruct/completions?api-version=2024-10-21',
      'azure-v1': '/openai/v1/completions',
      vllm: '/v1/completions',
      llamacpp: '/v1/completions',
      ollama: '/v1/completions',
    };
    for (const [dialect, p] of Object.entries(paths)) {
      const server = await startCompletionServer({ dialect: dialect as never });
      try {
        const r = await send(server, p, { body: request });
        assert.equal(r.status, 200, `${dialect}: ${r.text}`);
        assert.equal(json(r).choices[0].text, expected, dialect);
      } finally {
        await server.close();
      }
    }
  });
});
