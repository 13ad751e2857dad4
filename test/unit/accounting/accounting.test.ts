import assert from 'node:assert/strict';
import { Budget } from '../../../nodes/lib/accounting/budget';
import { costOf } from '../../../nodes/lib/accounting/cost';
import { durationMs, rateLimitOf } from '../../../nodes/lib/accounting/rate-limit';
import { truncatedChoices, usageOf } from '../../../nodes/lib/accounting/usage';
import { ResponseCache } from '../../../nodes/lib/connection/response-cache';
import { contextProblems, generationLimit } from '../../../nodes/lib/tokens/context-guard';
import { serverKind } from '../../../nodes/lib/servers/server-kinds';
import { openaiTokenIds } from '../../../nodes/lib/tokens/openai-encoding';

describe('unit: tokens, usage, cost and budgets', () => {
  it('counts OpenAI tokens as gpt-3.5-turbo-instruct, davinci-002 and babbage-002 do (cl100k_base)', async () => {
    // The API reference's own example: "Say this is a test" is 5 prompt tokens.
    assert.deepEqual(await openaiTokenIds('Say this is a test'), [46864, 420, 374, 264, 1296]);
    for (const model of ['gpt-3.5-turbo-instruct', 'davinci-002', 'babbage-002']) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const own = require(`gpt-tokenizer/cjs/model/${model}`) as { encode(text: string): number[] };
      const text = 'The quick brown fox jumps over the lazy dog. 1234 ünïcödé <code>';
      assert.deepEqual(await openaiTokenIds(text), own.encode(text), model);
    }
    assert.equal((await openaiTokenIds('<|endoftext|>')).length > 1, true, 'a special token spelt in a prompt is plain text');
  });

  it('counts a long prompt in slices, to exactly the tokens of the whole, and a megabyte without a space in reasonable time', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const whole = require('gpt-tokenizer/cjs/encoding/cl100k_base') as { encode(text: string): number[] };
    const words = ['the', ' quick', '\n\n', 'brown  ', 'fox\t', ' 12345', 'ünï', '  \n ', 'jumps.', '日本語', ' ', 'x'];
    let text = '';
    for (let i = 0; text.length < 200_000; i++) text += words[(i * 7 + (i >> 3)) % words.length];
    assert.deepEqual(await openaiTokenIds(text), whole.encode(text));
    // Quadratic in a word's length were it encoded whole: this would take minutes.
    assert.ok((await openaiTokenIds('w'.repeat(1_000_000))).length > 0);
  });

  it('refuses a prompt that cannot fit the context, naming both numbers', () => {
    const asked = (tokens: number) => ({ tokens, asked: true });
    assert.deepEqual(contextProblems([100], asked(50), 4096), []);
    assert.deepEqual(contextProblems([5000], asked(16), 4096).map((p) => p.field), ['prompt']);
    const [overMax] = contextProblems([4000], asked(200), 4096);
    assert.equal(overMax.field, 'max_tokens');
    assert.match(overMax.reason, /^asks for 200 tokens, and with the prompt's 4000 that makes 4200, more than the model's context of 4096 tokens/);
    assert.match(contextProblems([4090], { tokens: 16, asked: false }, 4096)[0].reason, /^is blank, so the server generates up to 16 tokens/);
    assert.deepEqual(contextProblems([4090], undefined, 4096), [], 'no guess where the default is unknown');
    assert.deepEqual(contextProblems([4090], 'context', 4096), [], 'generation that stops when the context is full needs only the prompt to fit');
    assert.deepEqual(contextProblems([4097], 'context', 4096).map((p) => p.field), ['prompt']);
    // As long as the context: no room for one token of answer (llama.cpp refuses it).
    assert.match(contextProblems([4096], 'context', 4096)[0].reason, /with room for a token of answer/);
    assert.deepEqual(contextProblems([4095], 'context', 4096), []);
  });

  it('what a request may generate: max_tokens, else the server\'s own; llama.cpp\'s -1 is no limit, as its blank', () => {
    const llama = serverKind('llamacpp').profile;
    const openai = serverKind('openai').profile;
    assert.deepEqual(generationLimit({ max_tokens: 5 }, llama), { tokens: 5, asked: true });
    assert.equal(generationLimit({ max_tokens: -1 }, llama), 'context');
    assert.equal(generationLimit({}, llama), 'context');
    assert.deepEqual(generationLimit({}, openai), { tokens: 16, asked: false });
    assert.deepEqual(generationLimit({ max_tokens: 0 }, openai), { tokens: 0, asked: true });
    assert.equal(generationLimit({}, serverKind('ollama').profile), undefined);
  });

  it('a server\'s usage that cannot be right is set aside: the node\'s counts where it has them, and a note; no usage otherwise', () => {
    const streamed = false;
    for (const bad of [
      { prompt_tokens: -5, completion_tokens: '7', total_tokens: 1e308 },
      { prompt_tokens: 2, completion_tokens: 3, total_tokens: Infinity },
      { prompt_tokens: 2, completion_tokens: 3, total_tokens: 500 },
      { prompt_tokens: 2.5, completion_tokens: 3, total_tokens: 5.5 },
      { total_tokens: 2 ** 40 },
    ]) {
      const counted = usageOf({ usage: bad }, { streamed, promptTokens: [4], completionTokens: 6 });
      assert.equal(counted?.source, 'counted', JSON.stringify(bad));
      assert.equal(counted?.total_tokens, 10);
      assert.match(counted!.note!, /cannot be right/);
      assert.equal(usageOf({ usage: bad }, { streamed }), undefined, JSON.stringify(bad));
    }
    assert.equal(usageOf({ usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }, { streamed })?.source, 'server');
    assert.equal(usageOf({ usage: { total_tokens: 5 } }, { streamed })?.total_tokens, 5, 'a total alone is fine');
    const noTotal = usageOf({ usage: { prompt_tokens: 5, completion_tokens: 3 } }, { streamed });
    assert.deepEqual([noTotal?.source, noTotal?.total_tokens, noTotal?.note], ['server', 8, undefined], 'a total left out is the sum of its parts');
    assert.equal(usageOf({ usage: {} }, { streamed, promptTokens: [4] })?.note, undefined, 'an empty usage is no usage, not a wrong one');
  });

  it('usage from the server, or counted and said so; partial server counts say so; LocalAI\'s zeros are no usage', () => {
    assert.deepEqual(usageOf({ usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, prompt_tokens_details: { cached_tokens: 2 } } }, { streamed: false }),
      { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, cached_tokens: 2, source: 'server' });
    assert.deepEqual(usageOf({}, { streamed: true, promptTokens: [4], completionTokens: 6 }), { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10, source: 'counted' });
    assert.equal(usageOf({}, { streamed: true }), undefined);
    const partial = usageOf({ usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }, { streamed: false, promptTokens: [2, 7], firstTaskOnly: true });
    assert.equal(partial?.note, 'the server counted the first prompt\'s first choice only');
    assert.equal(partial?.source, 'server');
    assert.deepEqual(partial?.prompts, [2, 7]);
    // Where the node could count every prompt and choice, its counts replace the partial ones.
    assert.deepEqual(usageOf({ usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }, { streamed: false, promptTokens: [2, 7], completionTokens: 12, firstTaskOnly: true }),
      { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21, prompts: [2, 7], source: 'counted', note: 'the server counted the first prompt\'s first choice only: these are the node\'s counts of all of them' });
    const zeros = usageOf({ usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }, { streamed: false, zeroUnlessStreamed: true, promptTokens: [3] });
    assert.equal(zeros?.source, 'counted');
    assert.deepEqual(truncatedChoices({ choices: [{ index: 0, finish_reason: 'stop' }, { index: 1, finish_reason: 'length' }] }), [1]);
  });

  it('reads rate limits as OpenAI and OpenRouter send them', () => {
    assert.equal(durationMs('6m0s'), 360_000);
    assert.equal(durationMs('1.5s'), 1500);
    assert.equal(durationMs('20ms'), 20);
    assert.equal(durationMs('1h2m3s'), 3_723_000);
    assert.equal(durationMs('soon'), undefined);
    assert.deepEqual(rateLimitOf({ 'x-ratelimit-limit-requests': '3500', 'x-ratelimit-remaining-requests': '3499', 'x-ratelimit-reset-requests': '17ms', 'x-ratelimit-limit-tokens': '90000', 'x-ratelimit-remaining-tokens': '89000', 'x-ratelimit-reset-tokens': '6m0s' }),
      { limitRequests: 3500, remainingRequests: 3499, resetRequestsMs: 17, limitTokens: 90000, remainingTokens: 89000, resetTokensMs: 360_000 });
    const now = 1_800_000_000_000;
    assert.deepEqual(rateLimitOf({ 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': String(now + 5000) }, now), { limitRequests: 20, remainingRequests: 19, resetRequestsMs: 5000 });
    assert.equal(rateLimitOf({}), undefined);
  });

  it('costs the tokens at the connection\'s prices per million', () => {
    assert.deepEqual(costOf({ prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500, source: 'server' }, { prompt: 1.5, completion: 2 }), { prompt: 0.0015, completion: 0.001, total: 0.0025 });
    assert.equal(costOf({ total_tokens: 1, source: 'server' }, undefined), undefined);
  });

  it('a budget per period: a request that would pass it fails before sending; what was spent counts; a new period starts afresh', () => {
    let now = new Date(2026, 10, 30, 10, 15).getTime();
    const budget = new Budget({ tokens: 100, period: 'hour' }, () => now);
    const settle = budget.reserve({ tokens: 60, cost: 0 });
    assert.throws(() => budget.reserve({ tokens: 50, cost: 0 }), (e: Error & { code?: string }) => e.code === 'BUDGET_EXCEEDED' && /60 of 100 tokens used this hour/.test(e.message));
    settle({ tokens: 30, cost: 0 });
    assert.deepEqual(budget.left(), { tokens: 70 });
    budget.reserve({ tokens: 70, cost: 0 })(undefined);
    assert.deepEqual(budget.left(), { tokens: 70 }, 'a request that failed spent nothing');
    now = new Date(2026, 10, 30, 11, 0).getTime();
    assert.deepEqual(budget.left(), { tokens: 100 });
    budget.reserve({ tokens: 100, cost: 0 })({ tokens: 100, cost: 0 });
    budget.reset();
    assert.deepEqual(budget.left(), { tokens: 100 });
    const money = new Budget({ cost: 1, period: 'day' });
    assert.throws(() => money.reserve({ tokens: 1, cost: 2 }), /budget exceeded/);
  });

  it('caches only deterministic answers, bounded by entries, bytes and age, and hands out copies', () => {
    assert.equal(ResponseCache.cacheable({ temperature: 0 }), true);
    assert.equal(ResponseCache.cacheable({ seed: 7 }), true);
    assert.equal(ResponseCache.cacheable({ temperature: 0.7 }), false);
    assert.equal(ResponseCache.cacheable({ temperature: 0, stream: true }), false);
    assert.equal(ResponseCache.cacheable({ temperature: 0, n: 2 }), false);
    let now = 0;
    const cache = new ResponseCache({ ttlMs: 1000, maxEntries: 2, maxBytes: 10_000 }, () => now);
    const answer = (text: string) => ({ status: 200, headers: {}, body: { choices: [{ text }] }, events: 0, attempts: 1, times: { sentAt: 0, headersAt: 0, endAt: 0 } });
    cache.put('a', answer('A'));
    const hit = cache.get('a')!;
    (hit.body as { choices: { text: string }[] }).choices[0].text = 'changed by a flow';
    assert.equal((cache.get('a')!.body as { choices: { text: string }[] }).choices[0].text, 'A');
    cache.put('b', answer('B'));
    cache.put('c', answer('C'));
    assert.equal(cache.get('a'), undefined, 'the oldest entry went');
    now = 2000;
    assert.equal(cache.get('c'), undefined, 'expired');
    cache.put('x', { ...answer('X'), status: 500 });
    assert.equal(cache.get('x'), undefined, 'only successes are kept');
  });
});
