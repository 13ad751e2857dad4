// Tests of the project's local OpenAI-compatible completion server (demo-server/), over real
// HTTP: conformance with the official response schema, generation rules, streaming, errors
// and every scripted fault.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { referenceValidator } from '../support/reference-schema';
import { completionFor, streamChunksFor, VOCABULARY, type CompletionBody, type CompletionChunk } from '../../demo-server/generate';

// ---------------------------------------------------------------------------------------
// helpers

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Number of 'data' events the client saw. */
  chunks: number;
  /** false when the connection broke before the end of the body. */
  complete: boolean;
  ms: number;
}

interface SendOptions {
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

function send(server: CompletionServer, options: SendOptions = {}): Promise<Reply> {
  // a path starting with "//" is taken from the server's root instead of its /v1 base URL
  const p = options.path ?? '/completions';
  const url = new URL(p.startsWith('//') ? new URL(server.url).origin + p.slice(1) : server.url + p);
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
      },
      (res) => {
        const parts: Buffer[] = [];
        let chunks = 0;
        res.on('data', (b: Buffer) => {
          parts.push(b);
          chunks++;
        });
        res.on('error', () => undefined);
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(parts).toString('utf8'),
            chunks,
            complete: res.complete,
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function post(server: CompletionServer, body: unknown, options: SendOptions = {}): Promise<Reply> {
  return send(server, { ...options, body });
}

/** A small spec-following SSE parser: [{event, data}] for each dispatched event. */
function parseSse(text: string): Array<{ event: string; data: string }> {
  const events: Array<{ event: string; data: string }> = [];
  let data: string[] = [];
  let event = '';
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  return events;
}

function chunksOf(text: string): { chunks: CompletionChunk[]; done: boolean } {
  const events = parseSse(text);
  const done = events.length > 0 && events[events.length - 1].data === '[DONE]';
  const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as CompletionChunk);
  return { chunks, done };
}

/** Assemble streamed chunks the way a client would: per choice index. */
function assemble(chunks: CompletionChunk[]): Pick<CompletionBody, 'choices'> & { usage?: CompletionBody['usage'] } {
  const byIndex = new Map<number, CompletionBody['choices'][number]>();
  let usage: CompletionBody['usage'] | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      let acc = byIndex.get(c.index);
      if (!acc) {
        acc = { text: '', index: c.index, logprobs: c.logprobs ? { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] } : null, finish_reason: 'length' };
        byIndex.set(c.index, acc);
      }
      acc.text += c.text;
      if (c.logprobs && acc.logprobs) {
        acc.logprobs.tokens.push(...c.logprobs.tokens);
        acc.logprobs.token_logprobs.push(...c.logprobs.token_logprobs);
        acc.logprobs.top_logprobs.push(...c.logprobs.top_logprobs);
        acc.logprobs.text_offset.push(...c.logprobs.text_offset);
      }
      if (c.finish_reason) acc.finish_reason = c.finish_reason;
    }
  }
  const choices = [...byIndex.values()].sort((a, b) => a.index - b.index);
  return usage ? { choices, usage } : { choices };
}

// ---------------------------------------------------------------------------------------

describe('local completion server (demo-server)', function () {
  this.timeout(5000);
  let server: CompletionServer;

  before(async () => {
    server = await startCompletionServer();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  describe('normal answers', () => {
    it('answers with a body that validates against the reference CreateCompletionResponse', async function () {
      const validate = referenceValidator('CreateCompletionResponse');
      // OpenAI shut gpt-3.5-turbo-instruct, davinci-002 and babbage-002 down on 2026-09-28:
      // a server whose clock is before that day still serves them.
      const before = await startCompletionServer({ now: () => new Date('2026-09-27T12:00:00Z') });
      const requests = [
        { model: 'demo-instruct', prompt: 'Say this is a test' },
        { model: 'gpt-3.5-turbo-instruct', prompt: ['one two', 'three'], n: 2, logprobs: 3, echo: true, stop: ['.', '\n'] },
        { model: 'davinci-002', prompt: [[1212, 318], [257]], max_tokens: 0, logprobs: 0 },
        { model: 'babbage-002' },
      ];
      for (const request of requests) {
        const reply = await post(before, request);
        assert.equal(reply.status, 200);
        const body = JSON.parse(reply.text);
        assert.ok(validate(body), JSON.stringify(validate.errors));
        assert.equal(body.object, 'text_completion');
        assert.match(body.id, /^cmpl-/);
        assert.equal(body.system_fingerprint, 'fp_demo');
        assert.equal(body.model, request.model);
      }
      await before.close();
      // the converter really is strict: a broken body fails
      assert.equal(validate({ id: 'x', object: 'text_completion', created: 1, model: 'm', choices: [{ text: 1 }] }), false);
      assert.equal(validate({ id: 'x', object: 'text_completion', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1 } }), false);
    });

    it('sends the OpenAI response headers', async () => {
      const a = await post(server, { model: 'demo-instruct', prompt: 'x' });
      const b = await post(server, { model: 'demo-instruct', prompt: 'x' });
      assert.equal(a.headers['content-type'], 'application/json');
      assert.match(String(a.headers['x-request-id']), /^req_\d+$/);
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
      for (const h of [
        'openai-processing-ms',
        'x-ratelimit-limit-requests',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-limit-tokens',
        'x-ratelimit-remaining-tokens',
        'x-ratelimit-reset-requests',
      ]) {
        assert.ok(a.headers[h] !== undefined, h);
      }
      assert.ok(Number(b.headers['x-ratelimit-remaining-requests']) < Number(a.headers['x-ratelimit-remaining-requests']));
    });

    it('is deterministic and equals completionFor()', async () => {
      const request = { model: 'demo-instruct', prompt: 'Hello there', seed: 7, n: 2, logprobs: 2, echo: true };
      const reply = await post(server, request);
      const body = JSON.parse(reply.text) as CompletionBody;
      assert.deepEqual(body, completionFor(request, { id: body.id, created: body.created }).body);
      const again = JSON.parse((await post(server, request)).text) as CompletionBody;
      assert.deepEqual(again.choices, body.choices);
      const otherSeed = JSON.parse((await post(server, { ...request, seed: 8 })).text) as CompletionBody;
      assert.notDeepEqual(otherSeed.choices.map((c) => c.text), body.choices.map((c) => c.text));
      assert.equal(body.choices[0].text === body.choices[1].text, false, 'choices of one prompt differ');
    });

    it('takes the four prompt forms', async () => {
      const forms: Array<{ prompt: unknown; prompts: number; promptTokens: number; echoed: string[] }> = [
        { prompt: 'Once upon a time', prompts: 1, promptTokens: 4, echoed: ['Once upon a time'] },
        { prompt: ['first prompt', 'second one here'], prompts: 2, promptTokens: 5, echoed: ['first prompt', 'second one here'] },
        { prompt: [1212, 318, 257], prompts: 1, promptTokens: 3, echoed: ['<1212><318><257>'] },
        { prompt: [[1212, 318], [257, 1332, 13]], prompts: 2, promptTokens: 5, echoed: ['<1212><318>', '<257><1332><13>'] },
      ];
      for (const form of forms) {
        const body = JSON.parse((await post(server, { model: 'demo-instruct', prompt: form.prompt, echo: true, max_tokens: 3 })).text) as CompletionBody;
        assert.equal(body.choices.length, form.prompts);
        assert.equal(body.usage.prompt_tokens, form.promptTokens);
        assert.equal(body.usage.completion_tokens, 3 * form.prompts);
        assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
        body.choices.forEach((c, i) => assert.ok(c.text.startsWith(form.echoed[i]), `${c.text} starts with ${form.echoed[i]}`));
      }
      // no prompt: "<|endoftext|>"
      const none = JSON.parse((await post(server, { model: 'demo-instruct', echo: true, max_tokens: 1 })).text) as CompletionBody;
      assert.ok(none.choices[0].text.startsWith('<|endoftext|>'));
      // a wrong prompt type
      const bad = await post(server, { model: 'demo-instruct', prompt: [1, 'x'] });
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.text).error.param, 'prompt');
    });

    it('gives n choices per prompt with index = promptIndex * n + i', async () => {
      const body = JSON.parse((await post(server, { model: 'demo-instruct', prompt: ['a', 'b', 'c'], n: 2, max_tokens: 4 })).text) as CompletionBody;
      assert.deepEqual(body.choices.map((c) => c.index), [0, 1, 2, 3, 4, 5]);
      assert.equal(body.usage.completion_tokens, 24);
      // a prompt's choices do not depend on its position in the batch
      const alone = JSON.parse((await post(server, { model: 'demo-instruct', prompt: 'b', n: 2, max_tokens: 4 })).text) as CompletionBody;
      assert.deepEqual(alone.choices.map((c) => c.text), [body.choices[2].text, body.choices[3].text]);
    });

    it('cuts at a stop sequence with finish_reason "stop", else "length"', async () => {
      const request = { model: 'demo-instruct', prompt: 'stop test', max_tokens: 12, logprobs: 1 };
      const free = (JSON.parse((await post(server, request)).text) as CompletionBody).choices[0];
      assert.equal(free.finish_reason, 'length');
      assert.equal(free.logprobs?.tokens.length, 12);
      // a stop made of the end of token 4 and the start of token 5: cut inside a token
      const tokens = free.logprobs!.tokens;
      const before = tokens.slice(0, 4).join('');
      const stop = tokens[3].slice(-1) + tokens[4].slice(0, 2);
      const expected = free.text.slice(0, free.text.indexOf(stop));
      assert.ok(expected.length <= before.length);
      for (const s of [stop, [stop], ['never-there', stop]]) {
        const cut = (JSON.parse((await post(server, { ...request, stop: s })).text) as CompletionBody).choices[0];
        assert.equal(cut.text, expected);
        assert.equal(cut.finish_reason, 'stop');
        assert.equal(cut.logprobs!.tokens.join(''), expected);
      }
      const missing = (JSON.parse((await post(server, { ...request, stop: 'never-there' })).text) as CompletionBody).choices[0];
      assert.equal(missing.finish_reason, 'length');
      assert.equal(missing.text, free.text);
      const zero = JSON.parse((await post(server, { ...request, max_tokens: 0 })).text) as CompletionBody;
      assert.equal(zero.choices[0].text, '');
      assert.equal(zero.choices[0].finish_reason, 'length');
      assert.equal(zero.usage.completion_tokens, 0);
    });

    it('echoes the prompt before the completion', async () => {
      const plain = (JSON.parse((await post(server, { model: 'demo-instruct', prompt: 'Echo me', max_tokens: 5 })).text) as CompletionBody).choices[0];
      const echoed = (JSON.parse((await post(server, { model: 'demo-instruct', prompt: 'Echo me', max_tokens: 5, echo: true })).text) as CompletionBody).choices[0];
      assert.equal(echoed.text, 'Echo me' + plain.text);
    });

    it('gives logprobs of the right shape', async () => {
      const prompt = 'The logprobs';
      const body = JSON.parse((await post(server, { model: 'demo-instruct', prompt, max_tokens: 6, logprobs: 3 })).text) as CompletionBody;
      const lp = body.choices[0].logprobs!;
      assert.equal(lp.tokens.length, 6);
      assert.equal(lp.tokens.join(''), body.choices[0].text);
      assert.equal(lp.token_logprobs.length, 6);
      assert.equal(lp.top_logprobs.length, 6);
      let offset = prompt.length;
      lp.tokens.forEach((token, i) => {
        assert.ok(VOCABULARY.includes(token), token);
        assert.ok(lp.token_logprobs[i] < 0);
        assert.equal(Object.keys(lp.top_logprobs[i]).length, 3);
        assert.equal(lp.top_logprobs[i][token], lp.token_logprobs[i]);
        for (const v of Object.values(lp.top_logprobs[i])) assert.ok(v < 0);
        assert.equal(lp.text_offset[i], offset);
        offset += token.length;
      });
      const zero = (JSON.parse((await post(server, { model: 'demo-instruct', prompt, max_tokens: 2, logprobs: 0 })).text) as CompletionBody).choices[0];
      assert.deepEqual(zero.logprobs!.top_logprobs, [{}, {}]);
      assert.equal(zero.logprobs!.token_logprobs.length, 2);
      const none = (JSON.parse((await post(server, { model: 'demo-instruct', prompt })).text) as CompletionBody).choices[0];
      assert.equal(none.logprobs, null);
      // with echo the prompt's tokens come first, offsets from 0
      const echoed = (JSON.parse((await post(server, { model: 'demo-instruct', prompt, max_tokens: 2, logprobs: 1, echo: true })).text) as CompletionBody).choices[0];
      assert.equal(echoed.logprobs!.text_offset[0], 0);
      assert.equal(echoed.logprobs!.tokens.join(''), echoed.text);
    });

    it('serves the models list, other completion paths, and 404 elsewhere', async () => {
      const models = JSON.parse((await send(server, { path: '/models' })).text);
      assert.equal(models.object, 'list');
      assert.deepEqual(
        models.data.map((m: { id: string }) => m.id),
        ['demo-instruct'],
        'OpenAI lists a model no more once it is shut down (the three completion models on 2026-09-28)',
      );
      for (const m of models.data) assert.deepEqual(Object.keys(m).sort(), ['created', 'id', 'object', 'owned_by']);
      assert.equal((await send(server, { path: '//models' })).status, 200);

      const azure = await post(server, { model: 'demo-instruct', prompt: 'x' }, { path: '//openai/deployments/x/completions?api-version=2024-02-01' });
      assert.equal(azure.status, 200);
      const bare = await post(server, { model: 'demo-instruct', prompt: 'x' }, { path: '//completions' });
      assert.equal(bare.status, 200);
      assert.deepEqual(
        server.requests.slice(-2).map((r) => r.path),
        ['/openai/deployments/x/completions?api-version=2024-02-01', '/completions'],
      );
      const missing = await send(server, { path: '/nothing' });
      assert.equal(missing.status, 404);
      assert.equal(JSON.parse(missing.text).error.type, 'invalid_request_error');
    });

    it('records requests (parsed JSON or raw text) and reset() clears them', async () => {
      await post(server, { model: 'demo-instruct', prompt: 'rec' }, { headers: { 'x-test': 'yes' } });
      await send(server, { raw: 'not json' });
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0].method, 'POST');
      assert.equal(server.requests[0].path, '/v1/completions');
      assert.deepEqual(server.requests[0].body, { model: 'demo-instruct', prompt: 'rec' });
      assert.equal(server.requests[0].headers['x-test'], 'yes');
      assert.equal(typeof server.requests[0].at, 'number');
      assert.equal(server.requests[1].body, 'not json');
      server.script({ kind: 'hang' });
      server.reset();
      assert.equal(server.requests.length, 0);
      assert.equal((await post(server, { model: 'demo-instruct' })).status, 200, 'the script was cleared too');
    });

    it('keeps nothing with record: false', async () => {
      const quiet = await startCompletionServer({ record: false });
      try {
        await post(quiet, { model: 'demo-instruct' });
        assert.equal(quiet.requests.length, 0);
      } finally {
        await quiet.close();
      }
    });
  });

  describe('streaming', () => {
    const cases: Array<Record<string, unknown>> = [
      { model: 'demo-instruct', prompt: 'stream me', max_tokens: 5 },
      { model: 'demo-instruct', prompt: ['p one', 'p two'], n: 2, max_tokens: 4, logprobs: 2 },
      { model: 'demo-instruct', prompt: [[1, 2, 3]], echo: true, logprobs: 1, max_tokens: 3 },
      { model: 'demo-instruct', prompt: 'stop early', max_tokens: 20, stop: ['.', '\n'] },
      { model: 'demo-instruct', prompt: 'nothing', max_tokens: 0 },
      { model: 'demo-instruct', prompt: 'usage', n: 3, max_tokens: 2, stream_options: { include_usage: true } },
    ];

    it('streamed chunks concatenate to the non-streamed body', async () => {
      for (const request of cases) {
        const { stream_options: _streamOptions, ...nonStreamed } = request;
        const whole = JSON.parse((await post(server, nonStreamed)).text) as CompletionBody;
        const reply = await post(server, { ...request, stream: true });
        assert.equal(reply.status, 200);
        assert.equal(reply.headers['content-type'], 'text/event-stream');
        const { chunks, done } = chunksOf(reply.text);
        assert.ok(done, 'ends with [DONE]');
        const assembled = assemble(chunks);
        assert.deepEqual(assembled.choices, whole.choices, JSON.stringify(request));
        if (_streamOptions) assert.deepEqual(assembled.usage, whole.usage);
        else assert.equal(assembled.usage, undefined);
        // and the same as streamChunksFor()
        assert.deepEqual(chunks, streamChunksFor({ ...request, stream: true }, { id: chunks[0].id, created: chunks[0].created }));
        for (const chunk of chunks) {
          assert.equal(chunk.object, 'text_completion');
          assert.equal(chunk.system_fingerprint, 'fp_demo');
          assert.equal(chunk.model, request.model);
          assert.ok(chunk.choices.length <= 1);
        }
      }
    });

    it('interleaves choices round-robin and puts finish_reason on each choice’s last chunk only', async () => {
      const reply = await post(server, { model: 'demo-instruct', prompt: ['a', 'b'], n: 2, max_tokens: 3, stream: true });
      const { chunks } = chunksOf(reply.text);
      assert.deepEqual(
        chunks.map((c) => c.choices[0].index),
        [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
      );
      chunks.forEach((c, i) => assert.equal(c.choices[0].finish_reason === null, i < 8));
    });

    it('with include_usage: usage null on every chunk, then one choices-less usage chunk', async () => {
      const { chunks } = chunksOf((await post(server, { model: 'demo-instruct', prompt: 'u', max_tokens: 3, stream: true, stream_options: { include_usage: true } })).text);
      const last = chunks[chunks.length - 1];
      assert.deepEqual(last.choices, []);
      assert.deepEqual(last.usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
      for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null);
      const plain = chunksOf((await post(server, { model: 'demo-instruct', prompt: 'u', max_tokens: 3, stream: true })).text).chunks;
      for (const c of plain) assert.equal('usage' in c, false);
    });
  });

  describe('errors like the official API', () => {
    function errorOf(reply: Reply): { message: string; type: string; param: string | null; code: string | null } {
      const body = JSON.parse(reply.text);
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      return body.error;
    }

    it('401 with requireApiKey, masking the key; Bearer or api-key accepted', async () => {
      const key = 'sk-abcdefghijklmnopqrstuvwxyz';
      const guarded = await startCompletionServer({ requireApiKey: key });
      try {
        const wrongKey = 'sk-abWRONGKEYWRONGKEYyz';
        const wrong = await post(guarded, { model: 'demo-instruct' }, { headers: { authorization: `Bearer ${wrongKey}` } });
        assert.equal(wrong.status, 401);
        const e = errorOf(wrong);
        assert.equal(e.type, 'invalid_request_error');
        assert.equal(e.code, 'invalid_api_key');
        assert.match(e.message, /Incorrect API key provided: sk-ab\*\*\*yz\./);
        assert.ok(!wrong.text.includes(wrongKey) && !wrong.text.includes(key));
        assert.equal((await post(guarded, { model: 'demo-instruct' })).status, 401);
        assert.equal((await post(guarded, { model: 'demo-instruct' }, { headers: { authorization: `Bearer ${key}` } })).status, 200);
        assert.equal((await post(guarded, { model: 'demo-instruct' }, { headers: { 'api-key': key } })).status, 200);
        assert.equal((await send(guarded, { path: '/models' })).status, 401);
      } finally {
        await guarded.close();
      }
    });

    it('400 and 404 for invalid requests', async () => {
      const expectations: Array<[unknown, number, string | null, string | null]> = [
        [{ prompt: 'x' }, 400, 'model', null],
        [{ model: 'gpt-99' }, 404, null, 'model_not_found'],
        [{ model: 'demo-instruct', n: 3, best_of: 2 }, 400, 'best_of', null],
        [{ model: 'demo-instruct', best_of: 2, stream: true }, 400, 'best_of', null],
        [{ model: 'demo-instruct', logprobs: 6 }, 400, 'logprobs', 'invalid_value'],
        [{ model: 'demo-instruct', stream_options: { include_usage: true } }, 400, 'stream_options', null],
      ];
      for (const [body, status, param, code] of expectations) {
        const reply = await post(server, body);
        assert.equal(reply.status, status, JSON.stringify(body));
        const e = errorOf(reply);
        assert.equal(e.type, 'invalid_request_error');
        assert.equal(e.param, param, JSON.stringify(body));
        assert.equal(e.code, code, JSON.stringify(body));
      }
      const notJson = await send(server, { raw: '{"model":' });
      assert.equal(notJson.status, 400);
      assert.match(errorOf(notJson).message, /parse the JSON body/);
      // unknown parameters are ignored
      assert.equal((await post(server, { model: 'demo-instruct', top_k: 5, whatever: [1] })).status, 200);
      assert.equal((await post(server, { model: 'demo-instruct', n: 2, best_of: 3 })).status, 200);
    });

    it('404 for chat models and for the completion models OpenAI shut down on 2026-09-28', async () => {
      for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-3.5-turbo', 'o3-mini']) {
        const reply = await post(server, { model, prompt: 'x' });
        assert.equal(reply.status, 404, model);
        assert.deepEqual(JSON.parse(reply.text), {
          error: { message: 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', type: 'invalid_request_error', param: 'model', code: null },
        });
      }
      const after = await startCompletionServer({ now: () => new Date('2026-09-28T00:00:00Z') });
      const before = await startCompletionServer({ now: () => new Date('2026-09-27T23:59:59Z') });
      try {
        for (const model of ['gpt-3.5-turbo-instruct', 'davinci-002', 'babbage-002']) {
          const gone = await post(after, { model, prompt: 'x' });
          assert.equal(gone.status, 404, model);
          assert.deepEqual(JSON.parse(gone.text), {
            error: { message: `The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`, type: 'invalid_request_error', param: null, code: 'model_not_found' },
          });
          assert.equal((await post(before, { model, prompt: 'x' })).status, 200, `${model} the day before`);
        }
        assert.deepEqual(JSON.parse((await send(before, { path: '/models' })).text).data.length, 4);
        assert.equal((await send(after, { path: '/models/davinci-002' })).status, 404);
        assert.equal((await post(after, { model: 'demo-instruct', prompt: 'x' })).status, 200, 'the demo model is not retired');
      } finally {
        await Promise.all([after.close(), before.close()]);
      }
    });

    it('400 when prompt and max_tokens do not fit the context window (option contextLength)', async () => {
      const small = await startCompletionServer({ contextLength: 20 });
      try {
        const ok = await post(small, { model: 'demo-instruct', prompt: 'one two three four', max_tokens: 16 });
        assert.equal(ok.status, 200);
        const tooLong = await post(small, { model: 'demo-instruct', prompt: ['fine', 'one two three four five'], max_tokens: 16 });
        assert.equal(tooLong.status, 400);
        assert.deepEqual(errorOf(tooLong), {
          message: "This model's maximum context length is 20 tokens, however you requested 21 tokens (5 in your prompt; 16 for the completion). Please reduce your prompt; or completion length.",
          type: 'invalid_request_error',
          param: null,
          code: null,
        });
      } finally {
        await small.close();
      }
      // the default window is 4096 tokens
      assert.equal((await post(server, { model: 'demo-instruct', prompt: 'w '.repeat(4080), max_tokens: 16 })).status, 400);
    });
  });

  describe('scripted answers', () => {
    const request = { model: 'demo-instruct', prompt: 'scripted', max_tokens: 4 };

    it('consumes one answer per completion request, then behaves normally', async () => {
      server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 502 });
      await send(server, { path: '/models' }); // not a completion request: not consumed
      assert.equal((await post(server, request)).status, 500);
      assert.equal((await post(server, request)).status, 502);
      assert.equal((await post(server, request)).status, 200);
    });

    it('status: with headers, default OpenAI error, object or text body', async () => {
      server.script(
        { kind: 'status', status: 429, headers: { 'Retry-After-Ms': '25', 'x-should-retry': 'true' } },
        { kind: 'status', status: 503, body: { error: { message: 'custom', type: 'server_error', param: null, code: null } } },
        { kind: 'status', status: 502, body: '<html>Bad gateway</html>' },
        { kind: 'status', status: 200, headers: { 'x-extra': '1' } },
      );
      const limited = await post(server, request);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after-ms'], '25');
      assert.equal(limited.headers['x-should-retry'], 'true');
      assert.equal(limited.headers['content-type'], 'application/json');
      assert.equal(JSON.parse(limited.text).error.code, 'rate_limit_exceeded');
      const custom = await post(server, request);
      assert.equal(JSON.parse(custom.text).error.message, 'custom');
      const html = await post(server, request);
      assert.equal(html.text, '<html>Bad gateway</html>');
      assert.match(String(html.headers['content-type']), /^text\/plain/);
      const ok = await post(server, request);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-extra'], '1');
      assert.equal(JSON.parse(ok.text).object, 'text_completion');
    });

    it('insufficient-quota: OpenAI\'s 429 insufficient_quota; loading: a plain 503 (OpenAI has no loading answer)', async () => {
      server.script({ kind: 'insufficient-quota' }, { kind: 'loading' });
      const quota = await post(server, request);
      assert.equal(quota.status, 429);
      assert.deepEqual(JSON.parse(quota.text), {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          type: 'insufficient_quota',
          param: null,
          code: 'insufficient_quota',
        },
      });
      const loading = await post(server, request);
      assert.equal(loading.status, 503);
      assert.equal(JSON.parse(loading.text).error.type, 'server_error');
    });

    it('stream-fail and stream-error-event with a message of the test\'s own', async () => {
      server.script({ kind: 'stream-error-event', afterEvents: 1, style: 'data', message: 'boom' }, { kind: 'stream-fail', afterEvents: 2, message: 'bang' });
      const first = parseSse((await post(server, { ...request, stream: true })).text);
      assert.equal(first.length, 2);
      assert.equal(JSON.parse(first[1].data).error.message, 'boom');
      const second = await post(server, { ...request, stream: true });
      const events = parseSse(second.text);
      assert.equal(events.length, 3);
      assert.deepEqual(JSON.parse(events[2].data), { error: { message: 'bang', type: 'server_error', param: null, code: null } });
      assert.ok(!second.text.includes('[DONE]'));
    });

    it('reset-before-headers: a socket error, no response', async () => {
      server.script({ kind: 'reset-before-headers' });
      await assert.rejects(post(server, request), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || /hang up/.test(err.message));
      assert.equal(server.requests.length, 1);
    });

    it('reset-after-headers: 200 and headers, then the connection breaks', async () => {
      server.script({ kind: 'reset-after-headers', partialBody: '{"id":"cmpl-' }, { kind: 'reset-after-headers' });
      const partial = await post(server, request);
      assert.equal(partial.status, 200);
      assert.equal(partial.complete, false);
      assert.equal(partial.text, '{"id":"cmpl-');
      const empty = await post(server, request);
      assert.equal(empty.status, 200);
      assert.equal(empty.complete, false);
    });

    it('malformed: 200 application/json that is not JSON', async () => {
      server.script({ kind: 'malformed' });
      const reply = await post(server, request);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-type'], 'application/json');
      assert.throws(() => JSON.parse(reply.text));
    });

    it('large: a valid completion of at least the given size', async () => {
      server.script({ kind: 'large', bytes: 300_000 });
      const reply = await post(server, request);
      assert.equal(reply.status, 200);
      assert.ok(Buffer.byteLength(reply.text) >= 300_000);
      assert.equal(Number(reply.headers['content-length']), Buffer.byteLength(reply.text));
      const body = JSON.parse(reply.text) as CompletionBody;
      assert.equal(body.object, 'text_completion');
      assert.ok(referenceValidator('CreateCompletionResponse')(body));
    });

    it('delay and drip: the normal answer, late or a few bytes at a time', async () => {
      const normal = JSON.parse((await post(server, request)).text) as CompletionBody;
      server.script({ kind: 'delay', ms: 120 });
      const late = await post(server, request);
      assert.ok(late.ms >= 110, `${late.ms} ms`);
      assert.deepEqual((JSON.parse(late.text) as CompletionBody).choices, normal.choices);

      server.script({ kind: 'drip', intervalMs: 1, chunkBytes: 40 });
      const dripped = await post(server, request);
      assert.ok(dripped.chunks >= 5, `${dripped.chunks} chunks`);
      assert.deepEqual((JSON.parse(dripped.text) as CompletionBody).choices, normal.choices);

      server.script({ kind: 'drip', intervalMs: 1, chunkBytes: 200 });
      const streamed = await post(server, { ...request, stream: true });
      assert.ok(streamed.chunks >= 3);
      const { chunks, done } = chunksOf(streamed.text);
      assert.ok(done);
      assert.deepEqual(assemble(chunks).choices, normal.choices);
    });

    it('stream-error-event: N events, then an error event in either style, no [DONE]', async () => {
      for (const style of ['data', 'event'] as const) {
        server.script({ kind: 'stream-error-event', afterEvents: 2, style });
        const reply = await post(server, { ...request, stream: true });
        assert.equal(reply.complete, true);
        const events = parseSse(reply.text);
        assert.equal(events.length, 3);
        assert.equal(events[2].event, style === 'event' ? 'error' : 'message');
        const error = JSON.parse(events[2].data).error;
        assert.equal(error.type, 'server_error');
        assert.ok(!reply.text.includes('[DONE]'));
        assert.ok(JSON.parse(events[1].data).choices);
      }
    });

    it('stream-truncate: N events, then the connection breaks', async () => {
      server.script({ kind: 'stream-truncate', afterEvents: 2 });
      const reply = await post(server, { ...request, stream: true });
      assert.equal(reply.status, 200);
      assert.equal(reply.complete, false);
      const { chunks, done } = chunksOf(reply.text);
      assert.equal(chunks.length, 2);
      assert.equal(done, false);
    });

    it('stream-no-done: every event, a clean end, no [DONE]; stream-* also streams without stream:true', async () => {
      server.script({ kind: 'stream-no-done' });
      const reply = await post(server, request);
      assert.equal(reply.complete, true);
      assert.equal(reply.headers['content-type'], 'text/event-stream');
      const { chunks, done } = chunksOf(reply.text);
      assert.equal(done, false);
      assert.equal(chunks.length, 4);
    });

    it('stream-bytewise: many one-byte chunks (UTF-8 split), every line end, comments, same events', async () => {
      // a request whose text contains multi-byte characters
      let utf8Request: Record<string, unknown> | undefined;
      for (let seed = 0; seed < 200 && !utf8Request; seed++) {
        const candidate = { model: 'demo-instruct', prompt: 'bytes', max_tokens: 6, seed, n: 1, logprobs: 1 };
        if (/[^\x00-\x7f]/.test(completionFor(candidate, { id: 'x', created: 0 }).body.choices[0].text)) utf8Request = candidate;
      }
      assert.ok(utf8Request, 'found a prompt with multi-byte text');
      const expected = JSON.parse((await post(server, utf8Request)).text) as CompletionBody;
      for (const lineEnd of ['\n', '\r\n', '\r'] as const) {
        for (const comments of [false, true]) {
          server.script({ kind: 'stream-bytewise', lineEnd, comments });
          const reply = await post(server, { ...utf8Request, stream: true });
          const bytes = Buffer.byteLength(reply.text);
          assert.ok(reply.chunks > 200 && reply.chunks > bytes / 4, `${reply.chunks} chunks for ${bytes} bytes`);
          if (process.env.SHOW_CHUNKS) console.log(reply.chunks, bytes);
          assert.ok(reply.text.includes(`${lineEnd}${lineEnd}`));
          if (lineEnd === '\r') assert.ok(!reply.text.includes('\n\n'));
          assert.equal(reply.text.includes(': keep-alive'), comments);
          assert.ok(/data: \{(\r\n|\r|\n)(: keep-alive(\r\n|\r|\n))?data: +"id"/.test(reply.text), 'a multi-line data field');
          const { chunks, done } = chunksOf(reply.text);
          assert.ok(done);
          assert.deepEqual(assemble(chunks).choices, expected.choices);
        }
      }
    });

    it('hang: no answer; close() returns promptly and breaks the open request', async () => {
      const own = await startCompletionServer();
      own.script({ kind: 'hang' }, { kind: 'drip', intervalMs: 1000 });
      const hanging = post(own, request).then(
        (r) => ({ reply: r as Reply | undefined, error: undefined as unknown }),
        (error: unknown) => ({ reply: undefined, error }),
      );
      const dripping = post(own, request).then(
        (r) => r.complete,
        () => false,
      );
      const streaming = startCompletionServer({ tokenDelayMs: 1000 });
      const slow = await streaming;
      const slowReply = post(slow, { ...request, stream: true }).then(
        (r) => r.complete,
        () => false,
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(own.requests.length, 2);
      const started = Date.now();
      await Promise.all([own.close(), slow.close()]);
      assert.ok(Date.now() - started < 500, `close took ${Date.now() - started} ms`);
      const outcome = await hanging;
      assert.ok(outcome.error !== undefined || outcome.reply?.complete === false);
      assert.equal(await dripping, false);
      assert.equal(await slowReply, false);
      await own.close(); // idempotent
    });
  });
});
