/**
 * Tokens before sending, cost after, through a real Node-RED against the demo server
 * speaking each server's dialect (with its tokenize endpoint and its context length):
 * the context guard, usage, timing, rate limits, cost, budgets and the response cache.
 */
import assert from 'node:assert/strict';
import { FlowHarness, helper, type Msg } from '../support/flow-harness';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import type { Dialect } from '../../demo-server/dialects';

const completions = (server: CompletionServer) => server.requests.filter((r) => r.method === 'POST' && /completions$/.test(r.pathname));
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe('tokens, context guard, usage, cost, budgets and the cache in a real Node-RED', function () {
  this.timeout(20_000);
  const servers = new Map<string, CompletionServer>();
  let flow: FlowHarness | undefined;

  const server = async (dialect: Dialect, contextLength = 64): Promise<CompletionServer> => {
    const key = `${dialect}/${contextLength}`;
    let found = servers.get(key);
    if (!found) servers.set(key, (found = await startCompletionServer({ dialect, contextLength })));
    found.reset();
    return found;
  };
  after(async () => {
    for (const s of servers.values()) await s.close();
  });
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
  });

  const load = async (s: CompletionServer, kind: string, api: Record<string, unknown> = {}, node: Record<string, unknown> = {}) => {
    flow = await FlowHarness.load({ api: { baseUrl: s.url, serverKind: kind, maxRetries: '0', ...api }, node: { model: '', ...node } });
    return flow;
  };

  describe('the context guard', () => {
    for (const [dialect, kind] of [['llamacpp', 'llamacpp'], ['vllm', 'vllm']] as const) {
      it(`${kind}: a prompt and max_tokens over the server's context fail before the completion is sent, naming both numbers`, async () => {
        const s = await server(dialect);
        const f = await load(s, kind, {}, { model: dialect === 'vllm' ? 'demo-instruct' : '' });
        const fits = await f.run({ payload: { prompt: 'a short prompt', max_tokens: 4 } });
        assert.equal(fits.errors.length, 0, JSON.stringify(fits.errors[0]?.error));
        const tooMuch = await f.run({ payload: { prompt: words(20), max_tokens: 60 } });
        const error = tooMuch.errors[0]?.error;
        assert.equal(error?.code, 'INVALID_REQUEST');
        assert.deepEqual(error.cause.fields.map((p: { field: string }) => p.field), ['max_tokens']);
        assert.match(error.message, /max_tokens asks for 60 tokens, and with the prompt's \d+ that makes \d+, more than the model's context of 64 tokens/);
        const tooLong = await f.run({ payload: { prompt: words(200), max_tokens: 1 } });
        assert.deepEqual(tooLong.errors[0]?.error.cause.fields.map((p: { field: string }) => p.field), ['prompt']);
        assert.equal(completions(s).length, 1, 'only the request that fits was sent');
        assert.ok(s.requests.some((r) => /tokenize$/.test(r.pathname)), 'counted with the server\'s own tokenizer');
      });
    }

    it('switched off, the request goes out and the server\'s own answer says CONTEXT_TOO_LONG', async () => {
      const s = await server('llamacpp');
      const f = await load(s, 'llamacpp', { contextGuard: false }, { resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: words(200), max_tokens: 1 } });
      assert.equal(out.errors[0]?.error.code, 'CONTEXT_TOO_LONG');
      assert.equal(completions(s).length, 1);
      assert.ok(!s.requests.some((r) => /tokenize$/.test(r.pathname)));
    });

    it('OpenAI: counted with OpenAI\'s encoding against a context length set on the connection', async () => {
      const s = await server('openai');
      const f = await load(s, 'openai', { contextLength: '50' }, { model: 'demo-instruct' });
      const out = await f.run({ payload: { prompt: words(30), max_tokens: 10 } });
      assert.equal(out.errors[0]?.error.code, 'INVALID_REQUEST');
      assert.match(out.errors[0].error.message, /context of 50 tokens/);
      assert.equal(completions(s).length, 0);
    });

    it('Ollama, which cannot count tokens: no guard, the request goes out', async () => {
      const s = await server('ollama');
      const f = await load(s, 'ollama', {}, { model: 'demo-instruct' });
      const out = await f.run({ payload: { prompt: words(20), max_tokens: 4 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      assert.equal(completions(s).length, 1);
    });
  });

  describe('llama.cpp\'s own prompt forms and its max_tokens of no limit', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => 3000 + i);
    const tokenized = (s: CompletionServer) => s.requests.filter((r) => /tokenize$/.test(r.pathname)).map((r) => r.body as { content: unknown; add_special?: boolean });

    it('token ids with texts among them: the texts are counted by the server, the ids as themselves, and the guard holds them to the context', async () => {
      const s = await server('llamacpp');
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'raw' });
      // 60 ids and two words: 62 tokens, no BOS (the prompt opens with an id).
      const tooMuch = await f.run({ payload: { prompt: [...ids(60), 'word0 word1'], max_tokens: 4 } });
      assert.equal(tooMuch.errors[0]?.error.code, 'INVALID_REQUEST', JSON.stringify(tooMuch.results[0]?.payload));
      assert.match(tooMuch.errors[0].error.message, /max_tokens asks for 4 tokens, and with the prompt's 62 that makes 66, more than the model's context of 64 tokens/);
      assert.deepEqual(tokenized(s), [{ content: 'word0 word1', add_special: false }], 'only the text is tokenized, without the prompt\'s BOS');
      // Opened by a text, the prompt starts with BOS: 1 + 2 + 58 = 61, and 3 more fit.
      const fits = await f.run({ payload: { prompt: ['word0 word1', ...ids(58)], max_tokens: 3 } });
      assert.equal(fits.errors.length, 0, JSON.stringify(fits.errors[0]?.error));
      assert.equal(fits.results[0].payload.status, 200);
      assert.equal(fits.results[0].payload.body.usage.prompt_tokens, 61, 'the server counts it as the node did');
      assert.equal(completions(s).length, 1, 'the prompt over the context was not sent');
    });

    it('a text and token ids are two prompts, each counted; prompt objects are counted as their text', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'choices' });
      const out = await f.run({ payload: { prompt: ['word0 word1 word2', ids(5), { prompt_string: 'word3' }], max_tokens: 2 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      assert.equal(out.results.length, 3, 'a choice for each prompt');
      // The server's usage covers the first prompt only: the node counts all three.
      assert.deepEqual(out.results[0].usage.prompts, [4, 5, 2]);
      assert.equal(completions(s).length, 1);
    });

    it('a prompt with multimodal_data: the guard cannot count its media and lets it go; the server answers for itself', async () => {
      const s = await server('llamacpp');
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'raw' });
      const out = await f.run({ payload: { prompt: { prompt_string: 'word0 <__media__>', multimodal_data: ['aGVsbG8='] }, max_tokens: 2 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      // The demo model, like the recorded one, has no media support (v0.5.0 recording 62).
      assert.equal(out.results[0].payload.status, 400);
      assert.match(out.results[0].payload.body.error.message, /^Multimodal data provided/);
      assert.equal(completions(s).length, 1, 'sent, not refused');
    });

    it('max_tokens -1 is no limit, as a blank one: the guard needs only the prompt to fit, a budget reserves up to the context', async () => {
      const s = await server('llamacpp');
      const f = await load(s, 'llamacpp', { budgetTokens: '100' }, { resultFormat: 'raw' });
      const out = await f.run({ payload: { prompt: words(10), max_tokens: -1 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      const usage = out.results[0].payload.body.usage;
      assert.equal(usage.total_tokens, 64, 'the server generated until the context was full');
      // 36 of 100 are left; the next may take up to the whole context (64), as may a blank max_tokens.
      for (const maxTokens of [-1, null]) {
        const over = await f.run({ payload: { prompt: words(10), max_tokens: maxTokens } });
        assert.equal(over.errors[0]?.error.code, 'BUDGET_EXCEEDED', JSON.stringify(over.results[0]?.payload?.body?.usage));
        assert.match(over.errors[0].error.message, /this request may take 64/);
      }
      assert.equal((await f.run({ payload: { prompt: words(10), max_tokens: 5 } })).errors.length, 0, 'a request that fits what is left goes');
      const tooLong = await f.run({ payload: { prompt: words(70), max_tokens: -1 } });
      assert.deepEqual(tooLong.errors[0]?.error.cause.fields.map((p: { field: string }) => p.field), ['prompt']);
      assert.equal(completions(s).length, 2);
    });

    it('another kind refuses them before sending, with the forms it takes', async () => {
      const s = await server('vllm');
      const f = await load(s, 'vllm', {}, { model: 'demo-instruct' });
      for (const prompt of [[15043, 'world'], ['hello', [15043]], { prompt_string: 'hello' }]) {
        const out = await f.run({ payload: { prompt, max_tokens: 2 } });
        assert.equal(out.errors[0]?.error.code, 'INVALID_REQUEST', JSON.stringify(prompt));
        assert.match(out.errors[0].error.message, /prompt must be a string, an array of strings, an array of token ids, or an array of token-id arrays/);
      }
      const minus = await f.run({ payload: { prompt: 'x', max_tokens: -1 } });
      assert.deepEqual(minus.errors[0]?.error.cause.fields.map((p: { field: string }) => p.field), ['max_tokens']);
      assert.equal(completions(s).length, 0);
    });
  });

  describe('what every result carries', () => {
    for (const format of ['raw', 'text', 'choices'] as const) {
      for (const stream of [false, true]) {
        it(`${format}${stream ? ', streamed' : ''}: msg.usage, msg.timing, msg.rateLimit, msg.cost and msg.truncated`, async () => {
          const s = await server('openai', 4096);
          const f = await load(s, 'openai', { pricePrompt: '2', priceCompletion: '4' }, { model: 'demo-instruct', resultFormat: format });
          const out = await f.run({ payload: { prompt: 'Tell me a story', max_tokens: 5, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) } });
          assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
          const finals = stream ? out.results.filter((m) => m.complete || (format === 'choices' && m.parts.index >= m.parts.count - 1)) : out.results;
          assert.ok(finals.length > 0);
          for (const msg of finals as Msg[]) {
            assert.equal(msg.usage.source, 'server');
            assert.equal(msg.usage.completion_tokens, 5);
            assert.equal(msg.usage.total_tokens, msg.usage.prompt_tokens + 5);
            for (const key of ['queuedMs', 'firstByteMs', 'firstTokenMs', 'totalMs']) assert.equal(typeof msg.timing[key], 'number', key);
            assert.equal(typeof msg.rateLimit.remainingRequests, 'number');
            assert.ok(Math.abs(msg.cost.total - (msg.usage.prompt_tokens * 2 + 5 * 4) / 1e6) < 1e-12, JSON.stringify(msg.cost));
            assert.equal(msg.truncated, true, 'cut at max_tokens');
          }
        });
      }
    }

    it('choices format, n = 2: each result has its own usage, timing, rate limits and cost, and the status reads the answer\'s', async () => {
      const s = await server('openai', 4096);
      const f = await load(s, 'openai', { pricePrompt: '2', priceCompletion: '4' }, { model: 'demo-instruct', resultFormat: 'choices' });
      const out = await f.run({ payload: { prompt: 'Tell me a story', max_tokens: 5, n: 2 } });
      assert.equal(out.results.length, 2);
      const [first, second] = out.results;
      for (const key of ['usage', 'timing', 'rateLimit', 'cost']) {
        assert.ok(first[key] && typeof first[key] === 'object', key);
        assert.notEqual(first[key], second[key], `${key} is one object in two messages`);
        assert.deepEqual(first[key], second[key], key);
      }
      // What a receiver does to one result leaves the other as it was.
      first.usage.total_tokens = -1;
      assert.equal(second.usage.total_tokens, second.usage.prompt_tokens + second.usage.completion_tokens);
      assert.match(String(f.statuses().at(-1)?.text), /^create-completion\.status\.truncated/);
    });

    it('a stream without usage: the node counts it and says so', async () => {
      const s = await server('openai', 4096);
      const f = await load(s, 'openai', {}, { model: 'demo-instruct', resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: 'Tell me a story', max_tokens: 5, stream: true } });
      const final = out.results.at(-1)!;
      assert.equal(final.usage.source, 'counted');
      assert.ok(final.usage.prompt_tokens > 0);
    });
  });

  describe('the budget', () => {
    it('a message that would pass the token budget fails with BUDGET_EXCEEDED before sending; a reset message starts afresh', async () => {
      const s = await server('openai', 4096);
      const f = await load(s, 'openai', { budgetTokens: '30', budgetPeriod: 'day' }, { model: 'demo-instruct', max_tokens: '10' });
      const first = await f.run({ payload: 'one two three' });
      assert.equal(first.errors.length, 0);
      const second = await f.run({ payload: 'one two three' });
      const third = await f.run({ payload: 'one two three' });
      const failed = [second, third].find((o) => o.errors.length > 0);
      assert.equal(failed?.errors[0].error.code, 'BUDGET_EXCEEDED');
      assert.match(failed!.errors[0].error.message, /tokens used this day/);
      const sent = completions(s).length;
      const reset = await f.run({ resetBudget: true });
      assert.equal(reset.pass.length, 1, 'the reset message goes on');
      assert.equal(reset.results.length, 0);
      assert.equal(completions(s).length, sent, 'a reset sends nothing');
      const again = await f.run({ payload: 'one two three' });
      assert.equal(again.errors.length, 0);
    });
  });

  describe('usage that covers every choice, and a budget charged by it', () => {
    const budgetLeft = () => (helper.getNode('api') as any).connection.budget.left().tokens as number;
    /** The tokens of a text as the demo llama.cpp counts a generated text (no BOS). */
    const tokensOf = async (s: CompletionServer, text: string) => {
      const answer = await fetch(new URL('/tokenize', s.url), { method: 'POST', body: JSON.stringify({ content: text, add_special: false }) });
      return ((await answer.json()) as { tokens: number[] }).tokens.length;
    };

    it('llama.cpp, n = 3, not streamed: the server reports the first choice only; the node counts all three, and the budget is charged for them', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', { budgetTokens: '1000' }, { resultFormat: 'choices' });
      const out = await f.run({ payload: { prompt: 'Tell me about the sea', n: 3, max_tokens: 6, temperature: 1 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      const usage = out.results[0].usage;
      let answered = 0;
      // A choice cut at max_tokens generated max_tokens tokens; another, what its text is.
      for (const m of out.results) answered += m.payload.finish_reason === 'length' ? 6 : await tokensOf(s, m.payload.text);
      assert.equal(usage.source, 'counted');
      assert.equal(usage.completion_tokens, answered, 'every choice counted');
      assert.ok(usage.completion_tokens > 6, 'more than the first choice\'s');
      assert.match(usage.note, /first prompt's first choice/);
      assert.equal(1000 - budgetLeft(), usage.total_tokens, 'the budget is charged what was generated');
    });

    it('llama.cpp, n = 3, not streamed: choices cut at max_tokens count max_tokens each, one with logprobs its listed tokens, whatever their text tokenizes back to', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'raw' });
      // What a real llama-server with a random-weight model answered (v0.5.0): texts
      // that tokenize back to more tokens than were generated.
      const choice = (index: number, text: string, finish: string, logprobs: unknown = null) => ({ text, index, logprobs, finish_reason: finish });
      s.script({
        kind: 'status', status: 200,
        body: {
          object: 'text_completion', model: 'tiny.gguf',
          choices: [
            choice(0, ' BroadcastassetsSQL češkapter', 'length'),
            choice(1, ' Broadcast killed étant模Launch', 'length'),
            choice(2, '标 substitute', 'stop', { tokens: ['标', ' substitute'], token_logprobs: [-1, -2], top_logprobs: null, text_offset: [0, 1] }),
          ],
          usage: { completion_tokens: 5, prompt_tokens: 2, total_tokens: 7 },
        },
      });
      const out = await f.run({ payload: { prompt: 'Hello', n: 3, max_tokens: 5 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      const usage = out.results[0].usage;
      assert.equal(usage.source, 'counted');
      assert.equal(usage.completion_tokens, 5 + 5 + 2);
    });

    it('llama.cpp, max_tokens -1, n = 2, not streamed: choices that filled the context count exactly what the server generated', async () => {
      const s = await server('llamacpp', 64);
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'text' });
      const request = { prompt: 'Tell me about the sea', n: 2, max_tokens: -1, temperature: 1 };
      const streamed = await f.run({ payload: { ...request, stream: true } });
      const plain = await f.run({ payload: request });
      assert.equal(plain.errors.length, 0, JSON.stringify(plain.errors[0]?.error));
      const fromServer = streamed.results.at(-1)!.usage;
      assert.equal(fromServer.source, 'server');
      assert.equal(plain.results[0].usage.source, 'counted');
      assert.equal(plain.results[0].usage.completion_tokens, fromServer.completion_tokens, 'the same as the server\'s own count of a stream');
    });

    it('llama.cpp, n = 2, streamed: each choice\'s last event has its own usage, and the result\'s usage is their sum', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', {}, { resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: 'Tell me about the sea', n: 2, max_tokens: 4, stream: true } });
      const final = out.results.at(-1)!;
      assert.equal(final.usage.source, 'server');
      assert.equal(final.usage.completion_tokens, 8, 'four tokens for each of two choices');
    });

    it('a server whose usage cannot be right (negative, a string, 1e308) neither empties the budget nor prices the answer at nothing', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', { budgetTokens: '1000', pricePrompt: '1000', priceCompletion: '2000' }, { resultFormat: 'text' });
      s.script({
        kind: 'status', status: 200,
        body: { object: 'text_completion', model: 'm', choices: [{ index: 0, text: ' the sea is wide', finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: -5, completion_tokens: '7', total_tokens: 1e308 } },
      });
      const out = await f.run({ payload: { prompt: 'Tell me about the sea', max_tokens: 50 } });
      assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
      const { usage, cost } = out.results[0];
      assert.equal(usage.source, 'counted');
      assert.match(usage.note, /cannot be right/);
      assert.ok(usage.total_tokens > 0 && usage.total_tokens < 100, JSON.stringify(usage));
      assert.equal(1000 - budgetLeft(), usage.total_tokens, 'the budget is charged what the node counted');
      assert.ok(cost.total > 0, 'priced by the counted tokens');
    });

    it('a request the server refuses costs nothing: its reservation goes back, and the raw result carries no usage or cost', async () => {
      const s = await server('llamacpp', 256);
      const f = await load(s, 'llamacpp', { budgetTokens: '1000', pricePrompt: '1', priceCompletion: '2' }, { resultFormat: 'raw' });
      s.script({ kind: 'status', status: 400 });
      const out = await f.run({ payload: { prompt: 'Tell me about the sea', max_tokens: 50 } });
      assert.equal(out.results[0].payload.status, 400);
      assert.equal(out.results[0].usage, undefined);
      assert.equal(out.results[0].cost, undefined);
      assert.equal(budgetLeft(), 1000);
    });
  });

  describe('the response cache', () => {
    it('answers a repeated deterministic request without sending it, marked msg.cached; others always go out', async () => {
      const s = await server('openai', 4096);
      const f = await load(s, 'openai', { cache: true, cacheTtl: '60' }, { model: 'demo-instruct', max_tokens: '3', resultFormat: 'text' });
      const first = await f.run({ payload: { prompt: 'cache me', temperature: 0 } });
      const second = await f.run({ payload: { prompt: 'cache me', temperature: 0 } });
      assert.equal(completions(s).length, 1);
      assert.equal(second.results[0].payload, first.results[0].payload);
      assert.equal(second.results[0].cached, true);
      assert.equal(first.results[0].cached, undefined);
      await f.run({ payload: { prompt: 'cache me', temperature: 0.7 } });
      await f.run({ payload: { prompt: 'cache me', temperature: 0, stream: true } });
      assert.equal(completions(s).length, 3, 'not deterministic, or streamed: sent');
    });

    it('finds the same request built another way: its parameters in another order', async () => {
      const s = await server('openai', 4096);
      const f = await load(s, 'openai', { cache: true, cacheTtl: '60' }, { model: 'demo-instruct', max_tokens: '3', resultFormat: 'text' });
      await f.run({ payload: { prompt: 'cache me', temperature: 0, logit_bias: { 50: 1, 60: 2 }, stop: ['.'] } });
      const again = await f.run({ payload: { stop: ['.'], logit_bias: { 60: 2, 50: 1 }, temperature: 0, prompt: 'cache me' } });
      assert.equal(again.results[0].cached, true);
      assert.equal(completions(s).length, 1);
      const other = await f.run({ payload: { stop: [','], logit_bias: { 60: 2, 50: 1 }, temperature: 0, prompt: 'cache me' } });
      assert.equal(other.results[0].cached, undefined, 'another value is another request');
    });
  });
});
