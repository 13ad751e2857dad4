// The local completion server in each dialect (demo-server/dialects.ts), over real HTTP:
// paths, auth headers, error shapes, logprobs style, stream endings, ignored parameters,
// context limits and side endpoints of Azure OpenAI (deployments and v1), vLLM, llama.cpp
// server, Ollama, LM Studio and LocalAI. The llama.cpp dialect is also held against a real
// server's recorded answers in llama-cpp-recordings.test.ts.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { AZURE_BAD_TOKEN, AZURE_DENIED, AZURE_NO_DEPLOYMENT, DIALECTS, LLAMA_DEFAULT_MODEL, LLAMA_FINGERPRINT, LLAMA_MODEL_PATH } from '../../demo-server/dialects';
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
      server = await startCompletionServer({ dialect: 'vllm', contextLength: 64 });
    });
    after(() => server.close());
    beforeEach(() => server.reset());

    it('ignores best_of; refuses suffix with a nested error whose code is the status', async () => {
      const best = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', n: 1, best_of: 2 } });
      assert.equal(best.status, 200, 'vLLM >= 0.19 has no best_of field and ignores unknown fields (it refused best_of > 1 only in V1 of 0.8-0.18)');
      for (const suffix of ['tail', '']) {
        const r = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', suffix } });
        assert.equal(r.status, 400);
        assert.deepEqual(json(r), { error: { message: 'suffix is not currently supported', type: 'BadRequestError', param: null, code: 400 } }, 'nested since v0.10.1 (PR #22099)');
      }
      const unknown = await send(server, '/v1/completions', { body: { model: 'llama', prompt: 'x' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { error: { message: 'The model `llama` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } });
      const empty = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: '' } });
      assert.deepEqual(json(empty).error.message, 'Either prompt or prompt_embeds must be provided and non-empty.');
      const options = await send(server, '/v1/completions', { body: { prompt: 'x', stream_options: { include_usage: true } } });
      assert.equal(json(options).error.message, 'Stream options can only be defined when `stream=True`.');
    });

    it('accepts its own sampling parameters; logprobs up to --max-logprobs (option maxLogprobs) with its exact error; model optional', async () => {
      const body = { model: 'demo-instruct', prompt: 'x', max_tokens: 2, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, stop_token_ids: [2], min_tokens: 1, logprobs: 20 };
      const r = await send(server, '/v1/completions', { body });
      assert.equal(r.status, 200, r.text);
      assert.equal(Object.keys(json(r).choices[0].logprobs.top_logprobs[0]).length, 20);
      assert.deepEqual(server.requests[0].body, body);
      const over = await send(server, '/v1/completions', { body: { ...body, logprobs: 21 } });
      assert.equal(over.status, 400);
      assert.deepEqual(json(over), { error: { message: 'Requested sample logprobs of 21, which is greater than max allowed: 20 (parameter=logprobs, value=21)', type: 'BadRequestError', param: 'logprobs', code: 400 } });
      assert.equal(json(await send(server, '/v1/completions', { body: { ...body, logprobs: -2 } })).error.message, '`logprobs` must be a positive value or -1.');
      assert.equal(json(await send(server, '/v1/completions', { body: { ...body, min_p: -0.1 } })).error.message, 'min_p must be in [0, 1], got -0.1.');
      const plain = json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 1 } }));
      assert.equal(plain.model, 'demo-instruct');
      assert.deepEqual(Object.keys(plain.choices[0]), ['index', 'text', 'logprobs', 'finish_reason', 'stop_reason']);
      assert.deepEqual(plain.usage, { prompt_tokens: 2, total_tokens: 3, completion_tokens: 1, prompt_tokens_details: null });
      const five = await startCompletionServer({ dialect: 'vllm', maxLogprobs: 5 });
      try {
        assert.match(json(await send(five, '/v1/completions', { body: { prompt: 'x', logprobs: 6 } })).error.message, /greater than max allowed: 5 /);
      } finally {
        await five.close();
      }
    });

    it('context: its own two errors; POST /tokenize counts what usage.prompt_tokens reports; /v1/models has max_model_len', async () => {
      const prompt = 'one two three four five six seven eight nine ten';
      const tokenized = json(await send(server, '/tokenize', { body: { model: 'demo-instruct', prompt } }));
      assert.deepEqual(Object.keys(tokenized), ['count', 'max_model_len', 'tokens', 'token_strs']);
      assert.equal(tokenized.max_model_len, 64);
      assert.equal(tokenized.count, tokenized.tokens.length);
      const answer = json(await send(server, '/v1/completions', { body: { prompt, max_tokens: 2 } }));
      assert.equal(answer.usage.prompt_tokens, tokenized.count, 'tokenize and usage agree');
      assert.equal(json(await send(server, '/tokenize', { body: { prompt, add_special_tokens: false } })).count, tokenized.count - 1);
      assert.deepEqual(json(await send(server, '/detokenize', { body: { tokens: tokenized.tokens.slice(1) } })), { prompt });
      const tooLong = await send(server, '/v1/completions', { body: { prompt, max_tokens: 60 } });
      assert.equal(tooLong.status, 400);
      assert.deepEqual(json(tooLong), {
        error: {
          message: `You passed ${tokenized.count} input tokens and requested 60 output tokens. However, the model's context length is only 64 tokens, resulting in a maximum input length of 4 tokens. Please reduce the length of the input prompt. (parameter=input_tokens, value=${tokenized.count})`,
          type: 'BadRequestError',
          param: 'input_tokens',
          code: 400,
        },
      });
      assert.equal(json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 65 } })).error.message, 'max_tokens=65cannot be greater than max_model_len=max_total_tokens=64. Please request fewer output tokens.');
      const models = json(await send(server, '/v1/models'));
      assert.equal(models.data[0].owned_by, 'vllm');
      assert.equal(models.data[0].max_model_len, 64);
      assert.equal((await send(server, '/health')).status, 200);
    });

    it('streams end with [DONE], even after a failure; Bearer auth with {"error":"Unauthorized"}; FastAPI 404; scripted errors nested', async () => {
      const stream = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', max_tokens: 2, stream: true } });
      assert.equal(sseData(stream.text).pop(), '[DONE]');
      server.script({ kind: 'stream-fail', afterEvents: 1, message: 'engine died' });
      const failed = sseData((await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 3, stream: true } })).text);
      assert.deepEqual(failed.slice(1), [JSON.stringify({ error: { message: 'engine died', type: 'InternalServerError', param: null, code: 500 } }), '[DONE]']);
      assert.deepEqual(json(await send(server, '/v1/chat/completions', { body: {} })), { detail: 'Not Found' });
      server.script({ kind: 'status', status: 500 });
      const scripted = await send(server, '/v1/completions', { body: { model: 'demo-instruct' } });
      assert.equal(scripted.status, 500);
      assert.equal(json(scripted).error.type, 'InternalServerError');
      assert.equal(json(scripted).error.code, 500);
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
        assert.equal((await send(guarded, '/tokenize', { body: { prompt: 'x' } })).status, 200, 'only /v1 paths need the key');
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

    it('accepts echo, best_of (any value) and suffix with 200 and ignores them (recordings 13, 15-17)', async () => {
      const plain = json(await send(server, '/v1/completions', { body: { prompt: 'x y', max_tokens: 3, seed: 1 }, headers: auth }));
      for (const extra of [{ echo: true }, { best_of: 2 }, { best_of: null }, { suffix: ' tail' }]) {
        const r = await send(server, '/v1/completions', { body: { prompt: 'x y', max_tokens: 3, seed: 1, ...extra }, headers: auth });
        assert.equal(r.status, 200, `${JSON.stringify(extra)}: current llama-server accepts it; builds before PR #17216 answered 500`);
        assert.equal(json(r).choices[0].text, plain.choices[0].text, JSON.stringify(extra));
      }
      const noPrompt = await send(server, '/v1/completions', { body: { model: 'm' }, headers: auth });
      assert.equal(noPrompt.status, 400);
      assert.deepEqual(json(noPrompt), { error: { code: 400, message: "[json.exception.out_of_range.403] key 'prompt' not found", type: 'invalid_request_error' } });
      const n0 = await send(server, '/v1/completions', { body: { prompt: 'x', n: 0 }, headers: auth });
      assert.deepEqual(json(n0), { error: { code: 400, message: "Field 'n': Value must be between 1 <= value <= 4, but got 0", type: 'invalid_request_error' } });
      assert.equal(n0.headers.connection, 'close');
      assert.equal(json(await send(server, '/v1/completions', { body: { prompt: [] }, headers: auth })).error.message, '"prompt" must not be empty');
      assert.equal(json(await send(server, '/v1/completions', { body: { prompt: 'x', logprobs: 'x' }, headers: auth })).error.message, "Field 'logprobs': [json.exception.type_error.302] type must be number, but is string");
      const notJson = await send(server, '/v1/completions', { raw: '{"prompt":', headers: auth });
      assert.equal(notJson.status, 500);
      assert.match(json(notJson).error.message, /^\[json\.exception\.parse_error\.101\]/);
    });

    it('answers with the loaded model path whatever the request names; logprobs in the chat style with the classic numbers', async () => {
      const request = { model: 'my-gguf', prompt: 'The logprobs', max_tokens: 5, logprobs: 3, seed: 4 };
      const r = await send(server, '/v1/completions', { body: request, headers: auth });
      assert.equal(r.status, 200, r.text);
      const body = json(r);
      assert.equal(body.model, LLAMA_MODEL_PATH, 'llama-server reports its -m path (recording 02 and 03)');
      assert.equal(body.system_fingerprint, LLAMA_FINGERPRINT);
      assert.match(body.id, /^chatcmpl-[A-Za-z0-9]{32}$/);
      assert.deepEqual(Object.keys(body), ['choices', 'created', 'model', 'system_fingerprint', 'object', 'usage', 'id', 'timings']);
      const classic = completionFor(request, { id: 'x', created: 0 }).body.choices[0].logprobs!;
      const content = body.choices[0].logprobs.content as Array<Record<string, any>>;
      assert.equal(content.length, 5);
      content.forEach((t, i) => {
        assert.deepEqual(Object.keys(t), ['id', 'token', 'bytes', 'logprob', 'top_logprobs']);
        assert.equal(t.id, tokenId(classic.tokens[i]));
        assert.equal(t.token, classic.tokens[i]);
        assert.deepEqual(t.bytes, utf8Bytes(classic.tokens[i]));
        assert.equal(t.logprob, classic.token_logprobs[i]);
        assert.deepEqual(
          t.top_logprobs.map((x: { token: string; logprob: number }) => [x.token, x.logprob]),
          Object.entries(classic.top_logprobs[i]),
        );
      });
      const post = json(await send(server, '/v1/completions', { body: { ...request, post_sampling_probs: true, temperature: 0 }, headers: auth }));
      assert.deepEqual(Object.keys(post.choices[0].logprobs.content[0]), ['id', 'token', 'bytes', 'prob', 'top_probs']);
      assert.equal(post.choices[0].logprobs.content[0].prob, 1);
      assert.equal(post.choices[0].logprobs.content[0].top_probs.length, 1, 'at temperature 0 one candidate is left (recording 09)');
      const none = json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 2, logprobs: 0 }, headers: auth }));
      assert.equal(none.choices[0].logprobs, null);
      assert.equal(json(await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 2 }, headers: auth })).model, LLAMA_DEFAULT_MODEL);
    });

    it('streams one token per event, a last event per choice with usage and timings, then [DONE]; n up to the slots', async () => {
      const r = await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 3, stream: true, logprobs: 1, n: 2 }, headers: auth });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-accel-buffering'], 'no');
      const data = sseData(r.text);
      assert.equal(data.pop(), '[DONE]', 'current llama-server ends OpenAI-compatible streams with [DONE] (recording 04)');
      const events = data.map((d) => JSON.parse(d));
      for (const index of [0, 1]) {
        const mine = events.filter((e) => e.choices[0].index === index);
        assert.equal(mine.length, 4);
        mine.slice(0, 3).forEach((e) => {
          assert.equal(e.choices[0].finish_reason, null);
          assert.equal(e.choices[0].logprobs.content.length, 1);
          assert.equal(e.usage, undefined);
        });
        const last = mine[3];
        assert.deepEqual(last.choices[0], { text: '', index, logprobs: null, finish_reason: 'length' });
        assert.equal(last.usage.completion_tokens, 3);
        assert.equal(typeof last.timings.predicted_per_second, 'number');
      }
      const six = await send(server, '/v1/completions', { body: { prompt: 'x', n: 6 }, headers: auth });
      assert.deepEqual(json(six), { error: { code: 400, message: "Field 'n': Value must be between 1 <= value <= 4, but got 6", type: 'invalid_request_error' } });
      const eight = await startCompletionServer({ dialect: 'llamacpp', slots: 8 });
      try {
        const r8 = json(await send(eight, '/v1/completions', { body: { prompt: 'x', n: 6, max_tokens: 2 } }));
        assert.equal(r8.choices.length, 6);
        assert.equal(r8.usage.completion_tokens, 2, 'usage counts the first task only');
      } finally {
        await eight.close();
      }
    });

    it('context overflow (option contextLength); /tokenize counts what usage.prompt_tokens reports; /detokenize; /props; /v1/models', async () => {
      const small = await startCompletionServer({ dialect: 'llamacpp', contextLength: 16 });
      try {
        const prompt = 'one two three four five six';
        const special = json(await send(small, '/tokenize', { body: { content: prompt, add_special: true } }));
        const usage = json(await send(small, '/v1/completions', { body: { prompt, max_tokens: 1 } })).usage;
        assert.equal(usage.prompt_tokens, special.tokens.length, 'completions tokenize with add_special; /tokenize by default without');
        const plain = json(await send(small, '/tokenize', { body: { content: prompt } }));
        assert.deepEqual(plain.tokens, special.tokens.slice(1));
        assert.equal(special.tokens[0], 1);
        const pieces = json(await send(small, '/tokenize', { body: { content: prompt, with_pieces: true } }));
        assert.deepEqual(pieces.tokens.map((t: { piece: string }) => t.piece).join(''), prompt);
        assert.deepEqual(json(await send(small, '/detokenize', { body: { tokens: plain.tokens } })), { content: prompt });
        const long = 'w '.repeat(20);
        const over = await send(small, '/v1/completions', { body: { prompt: long, stream: true } });
        assert.equal(over.status, 400);
        assert.match(String(over.headers['content-type']), /^application\/json/, 'a plain JSON answer even when streamed (recording 27)');
        assert.deepEqual(json(over), {
          error: { code: 400, message: 'request (22 tokens) exceeds the available context size (16 tokens), try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 22, n_ctx: 16 },
        });
        const props = json(await send(small, '/props'));
        assert.equal(props.default_generation_settings.n_ctx, 16);
        assert.equal(props.total_slots, 4);
        const models = json(await send(small, '/v1/models'));
        assert.deepEqual(Object.keys(models), ['models', 'object', 'data']);
        assert.equal(models.data[0].meta.n_ctx, 16);
        assert.equal(typeof models.data[0].meta.n_ctx_train, 'number');
        assert.deepEqual(json(await send(small, '/health')), { status: 'ok' });
      } finally {
        await small.close();
      }
    });

    it('API key as Bearer (or X-Api-Key), 401 "Invalid API Key"; only /health public; native /completions; 404 File Not Found; 503 Loading model', async () => {
      const denied = await send(server, '/v1/completions', { body: { prompt: 'x' }, headers: { 'api-key': KEY } });
      assert.equal(denied.status, 401);
      assert.deepEqual(json(denied), { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } });
      assert.equal((await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 1 }, headers: { 'x-api-key': KEY } })).status, 200);
      assert.equal((await send(server, '/v1/models')).status, 401, 'llama-server v0.5.0 (server-http.cpp) exempts only /health and /v1/health from the key');
      assert.equal((await send(server, '/health')).status, 200);
      const native = json(await send(server, '/completions', { body: { prompt: 'x', n_predict: 2, echo: true }, headers: auth }));
      assert.equal(native.choices, undefined);
      assert.equal(typeof native.content, 'string');
      assert.equal(native.stop, true);
      assert.equal(native.tokens_predicted, 2);
      assert.equal(native.stop_type, 'limit');
      const missing = await send(server, '/v1/nothing', { headers: auth });
      assert.equal(missing.status, 404);
      assert.deepEqual(json(missing), { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } });
      server.script({ kind: 'loading' });
      const loading = await send(server, '/v1/completions', { body: { prompt: 'x' }, headers: auth });
      assert.equal(loading.status, 503);
      assert.deepEqual(json(loading), { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } });
      const starting = await startCompletionServer({ dialect: 'llamacpp', loadingMs: 60_000 });
      try {
        for (const p of ['/health', '/v1/models']) {
          const r = await send(starting, p);
          assert.equal(r.status, 503, `${p} while the model loads`);
          assert.equal(json(r).error.message, 'Loading model');
        }
      } finally {
        await starting.close();
      }
    });
  });

  describe('ollama', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'ollama', requireApiKey: KEY });
    });
    after(() => server.close());

    it('takes a string prompt only: an array is a 400 bind error; so is any mistyped field', async () => {
      for (const prompt of [['a', 'b'], [1, 2], 5]) {
        const r = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt } });
        assert.equal(r.status, 400);
        const kind = Array.isArray(prompt) ? 'array' : 'number';
        assert.deepEqual(json(r), {
          error: { message: `json: cannot unmarshal ${kind} into Go struct field CompletionRequest.prompt of type string`, type: 'invalid_request_error', param: null, code: null },
        });
      }
      assert.equal(json(await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', max_tokens: 'many' } })).error.message, 'json: cannot unmarshal string into Go struct field CompletionRequest.max_tokens of type int');
      assert.equal(json(await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', stop: ['a', 1] } })).error.message, "invalid type for 'stop' field: float64");
    });

    it('ignores n, echo, logit_bias, best_of, user and logprobs: one choice, no echo, no logprobs; any key or none', async () => {
      const plain = { model: 'demo-instruct', prompt: 'Hello there', max_tokens: 4, seed: 1 };
      const base = json(await send(server, '/v1/completions', { body: plain }));
      for (const headers of [{}, { authorization: 'Bearer anything' }, { 'api-key': 'x' }] as Array<Record<string, string>>) {
        const r = await send(server, '/v1/completions', { body: { ...plain, n: 3, echo: true, logit_bias: { '50256': -100 }, best_of: 3, logprobs: 2, user: 'u' }, headers });
        assert.equal(r.status, 200, r.text);
        const body = json(r);
        assert.equal(body.choices.length, 1);
        assert.deepEqual(Object.keys(body.choices[0]), ['text', 'index', 'finish_reason']);
        assert.equal(body.choices[0].text, base.choices[0].text);
        assert.ok(!body.choices[0].text.startsWith('Hello there'));
        assert.equal(body.system_fingerprint, 'fp_ollama');
        assert.match(body.id, /^cmpl-\d{1,3}$/);
      }
      assert.equal((await send(server, '/v1/completions', { body: { ...plain, logprobs: 21 } })).status, 400);
      assert.equal((await send(server, '/v1/completions', { body: { ...plain, logprobs: -1 } })).status, 200, 'a negative logprobs is no top_logprobs at all');
      const r = await send(server, '/v1/completions', { body: plain });
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal((await send(server, '/tokenize', { body: { prompt: 'x' } })).status, 404, 'Ollama has no tokenize endpoint');
    });

    it('model not found (name or name:latest), suffix needs insert, empty prompt loads, streams with zero usage then [DONE], gin 404', async () => {
      const unknown = await send(server, '/v1/completions', { body: { model: 'llama3', prompt: 'x' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { error: { message: "model 'llama3' not found", type: 'not_found_error', param: null, code: null } });
      assert.equal((await send(server, '/v1/completions', { body: { model: 'demo-instruct:latest', prompt: 'x', max_tokens: 1 } })).status, 200);
      const insert = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', suffix: 'end' } });
      assert.equal(insert.status, 400);
      assert.equal(json(insert).error.message, 'registry.ollama.ai/library/demo-instruct:latest does not support insert');
      const load = json(await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: '' } }));
      assert.equal(load.choices[0].finish_reason, 'load');
      assert.equal(load.choices[0].text, '');
      const stream = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'x', max_tokens: 2, stream: true, stream_options: { include_usage: true }, n: 2 } });
      const data = sseData(stream.text);
      assert.equal(data.pop(), '[DONE]');
      const chunks = data.map((d) => JSON.parse(d));
      assert.equal(chunks.length, 4, 'two tokens, the runner\'s done response (empty text, finish_reason), then the usage chunk');
      assert.deepEqual(chunks[0].usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      assert.deepEqual(chunks[2].choices, [{ text: '', index: 0, finish_reason: 'length' }]);
      assert.deepEqual(chunks[3].choices, []);
      assert.deepEqual(chunks[3].usage, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
      const missing = await send(server, '/api/nothing');
      assert.equal(missing.status, 404);
      assert.equal(missing.text, '404 page not found');
      const models = json(await send(server, '/v1/models'));
      assert.equal(models.data[0].id, 'demo-instruct:latest');
      assert.equal(models.data[0].owned_by, 'library');
      assert.equal(json(await send(server, '/v1/models/demo-instruct')).id, 'demo-instruct');
    });
  });

  describe('lmstudio', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'lmstudio', contextLength: 8 });
    });
    after(() => server.close());

    it('unknown model 400 model_not_found; n_keep >= n_ctx 400; unknown endpoints 200; models list', async () => {
      const unknown = await send(server, '/v1/completions', { body: { model: 'o4-mini', prompt: 'x' } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(json(unknown), {
        error: {
          message: 'Invalid model identifier "o4-mini". Please specify a valid downloaded model (e.g., demo-instruct, gpt-3.5-turbo-instruct, davinci-002).',
          type: 'invalid_request_error',
          param: 'model',
          code: 'model_not_found',
        },
      });
      const ok = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'a b c', max_tokens: 2, ttl: 300 } });
      assert.equal(ok.status, 200, ok.text);
      const over = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: 'a b c d e f g h i' } });
      assert.equal(over.status, 400);
      assert.deepEqual(json(over), {
        error: 'The number of tokens to keep from the initial prompt is greater than the context length (n_keep: 9>= n_ctx: 8). Try to load the model with a larger context length, or provide a shorter input.',
      });
      const odd = await send(server, '/chat/completions', { body: {} });
      assert.equal(odd.status, 200);
      assert.deepEqual(json(odd), { error: 'Unexpected endpoint or method. (POST /chat/completions)' });
      const models = json(await send(server, '/v1/models'));
      assert.deepEqual(models.data[0], { id: 'demo-instruct', object: 'model', owned_by: 'organization_owner' });
      const guarded = await startCompletionServer({ dialect: 'lmstudio', requireApiKey: KEY });
      try {
        const r = await send(guarded, '/v1/completions', { body: { prompt: 'x' } });
        assert.equal(r.status, 401);
        assert.equal(json(r).error.code, 'invalid_api_key');
        assert.equal((await send(guarded, '/v1/completions', { body: { prompt: 'x' }, headers: { authorization: `Bearer ${KEY}` } })).status, 200);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('localai', () => {
    let server: CompletionServer;
    before(async () => {
      server = await startCompletionServer({ dialect: 'localai' });
    });
    after(() => server.close());

    it('drops token prompts (200 without choices), finish_reason always "stop", usage zero, logprobs in the chat shape from top_logprobs', async () => {
      const tokens = await send(server, '/v1/completions', { body: { model: 'demo-instruct', prompt: [1, 2, 3] } });
      assert.equal(tokens.status, 200);
      assert.equal(json(tokens).choices, undefined, 'completion.go never appends a choice and OpenAIResponse.choices is omitempty');
      const body = json(await send(server, '/v1/completions', { body: { prompt: ['a', 'b'], n: 2, max_tokens: 3, logprobs: 5 } }));
      assert.equal(body.model, 'demo-instruct', 'the first model when none is named');
      assert.deepEqual(body.choices.map((c: { index: number }) => c.index), [0, 0, 1, 1], 'each choice carries its prompt\'s index');
      for (const c of body.choices) {
        assert.equal(c.finish_reason, 'stop');
        assert.equal(c.logprobs.content[0].top_logprobs.length, 1, 'the count comes from top_logprobs (default 1), not logprobs');
      }
      assert.deepEqual(body.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      const top = json(await send(server, '/v1/completions', { body: { prompt: 'a', max_tokens: 1, logprobs: true, top_logprobs: 3 } }));
      assert.equal(top.choices[0].logprobs.content[0].top_logprobs.length, 3);
      const unknown = await send(server, '/v1/completions', { body: { model: 'x', prompt: 'a' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(json(unknown), { error: { code: 404, message: 'model "x" not found. To see available models, call GET /v1/models', type: 'invalid_request_error' } });
    });

    it('streams need exactly one prompt string; a usage trailer with include_usage; /v1/tokenize counts what it reports', async () => {
      for (const prompt of [['a', 'b'], [1, 2], undefined]) {
        const r = await send(server, '/v1/completions', { body: { prompt, stream: true } });
        assert.equal(r.status, 400);
        assert.deepEqual(json(r), { error: { code: 400, message: 'code=400, message=streaming completions require exactly one prompt string', type: '' } });
      }
      const prompt = 'count these five words';
      const r = await send(server, '/v1/completions', { body: { prompt, max_tokens: 3, stream: true, stream_options: { include_usage: true } } });
      const data = sseData(r.text);
      assert.equal(data.pop(), '[DONE]');
      const events = data.map((d) => JSON.parse(d));
      assert.equal(events.length, 5);
      assert.deepEqual(events[3].choices, [{ index: 0, finish_reason: 'stop' }]);
      assert.equal(events[4].object, 'chat.completion.chunk');
      const tokenized = json(await send(server, '/v1/tokenize', { body: { model: 'demo-instruct', content: prompt } }));
      assert.equal(events[4].usage.prompt_tokens, tokenized.tokens.length);
      assert.deepEqual(json(await send(server, '/v1/detokenize', { body: { tokens: tokenized.tokens } })), { content: prompt });
    });

    it('a failed stream sends "Internal error: ..." and no [DONE]; 503 with Retry-After while a model loads', async () => {
      server.script({ kind: 'stream-fail', afterEvents: 2, message: 'backend crashed' }, { kind: 'loading', retryAfter: 30 });
      const failed = await send(server, '/v1/completions', { body: { prompt: 'x', max_tokens: 5, stream: true } });
      const data = sseData(failed.text);
      assert.equal(data.length, 3);
      assert.deepEqual(JSON.parse(data[2]).choices, [{ index: 0, finish_reason: 'stop', text: 'Internal error: backend crashed' }]);
      assert.ok(!failed.text.includes('[DONE]'));
      const loading = await send(server, '/v1/completions', { body: { prompt: 'x' } });
      assert.equal(loading.status, 503);
      assert.equal(loading.headers['retry-after'], '30');
      assert.deepEqual(json(loading).error, { code: 'model_loading', message: 'model demo-instruct is loading (41%, ETA ~1m0s)', type: 'model_loading' });
      const missing = await send(server, '/nothing');
      assert.deepEqual(json(missing), { error: { code: 404, message: 'Resource not found', type: '' } });
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
      lmstudio: '/v1/completions',
      localai: '/v1/completions',
      openai: '/v1/completions',
    };
    assert.deepEqual(Object.keys(paths).sort(), [...DIALECTS].sort());
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
