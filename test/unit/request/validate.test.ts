import assert from 'node:assert/strict';
import { MAX_REASONS_PER_FIELD, validateRequest } from '../../../nodes/lib/request/validate';
import { promptsOf } from '../../../nodes/lib/request/prompts';
import { serverKind } from '../../../nodes/lib/servers/server-kinds';

describe('unit: request validation', () => {
  it('names each offending field once, with its reasons', () => {
    const problems = validateRequest({ model: 'm', prompt: 'x', temperature: 9, logprobs: -1, n: 2, best_of: 1 });
    assert.deepEqual(problems.map((p) => p.field).sort(), ['best_of', 'logprobs', 'temperature']);
  });

  it('lists the first ten problems of a field and counts the rest, for forty thousand bad logit_bias entries', () => {
    const bias: Record<string, unknown> = {};
    for (let i = 0; i < 40_000; i++) bias[i % 2 ? `word${i}` : String(i)] = 500;
    const [problem, ...others] = validateRequest({ model: 'm', prompt: 'x', logit_bias: bias });
    assert.equal(others.length, 0);
    assert.equal(problem.field, 'logit_bias');
    const reasons = problem.reason.split('; ');
    assert.equal(reasons.length, MAX_REASONS_PER_FIELD + 1);
    assert.match(reasons[0], /keys must be token ids \(got "word1"\)/);
    assert.match(reasons.at(-1)!, /^and \d+ more$/);
    // 20,000 keys that are not token ids and 40,000 values above 100.
    assert.equal(Number(/\d+/.exec(reasons.at(-1)!)![0]), 60_000 - MAX_REASONS_PER_FIELD);
  });

  describe('prompt forms and max_tokens, per server kind', () => {
    const llama = serverKind('llamacpp').profile;
    const fields = (request: Record<string, unknown>, kind = llama) => validateRequest({ model: 'm', ...request }, kind).map((p) => p.field);
    // Answered by a real llama-server v0.5.0 (test/demo-server/fixtures/llama.cpp-v0.5.0, 58-63).
    const llamaOnly: Array<[string, unknown]> = [
      ['a text and token ids: two prompts', ['hello', [15043, 29871]]],
      ['token ids with a text among them: one prompt', [15043, 'world']],
      ['a text then token ids: one prompt', ['hello', 15043]],
      ['a prompt object', { prompt_string: 'hello' }],
      ['a prompt object with media', { prompt_string: 'hello <__media__>', multimodal_data: ['aGVsbG8='] }],
      ['prompts of every form', [{ prompt_string: 'hello' }, ['world', 15043], 'text', [1, 2]]],
    ];
    for (const [what, prompt] of llamaOnly) {
      it(`llama.cpp takes ${what}; OpenAI's schema does not`, () => {
        assert.deepEqual(fields({ prompt }), []);
        const [problem] = validateRequest({ model: 'm', prompt }, serverKind('openai').profile);
        assert.equal(problem?.field, 'prompt');
        assert.match(problem.reason, /^must be a string, an array of strings, an array of token ids, or an array of token-id arrays/);
        assert.deepEqual(fields({ prompt }, serverKind('vllm').profile), ['prompt'], 'nor another server kind');
      });
    }

    it('llama.cpp refuses an empty list or prompt, and what its server refuses or would ignore: texts listed inside a list, ids beside a prompt object, a misspelt key', () => {
      for (const prompt of [[], [[]], [['a', 'b']], ['a', [1, [2]]], [1, { prompt_string: 'x' }], { prompt_string: 'x', multimodal: [] }, { text: 'x' }, { prompt_string: 5 }, [-5, 3], [1.5]]) {
        const [problem, ...more] = validateRequest({ model: 'm', prompt }, llama);
        assert.equal(problem?.field, 'prompt', JSON.stringify(prompt));
        assert.equal(more.length, 0);
        assert.match(problem.reason, /prompt_string/, 'the description names the forms llama.cpp takes');
      }
    });

    it('max_tokens -1 is llama.cpp\'s no limit; below it, and elsewhere, it is refused', () => {
      assert.deepEqual(fields({ prompt: 'x', max_tokens: -1 }), []);
      assert.deepEqual(fields({ prompt: 'x', max_tokens: -2 }), ['max_tokens']);
      assert.deepEqual(fields({ prompt: 'x', max_tokens: -1 }, serverKind('openai').profile), ['max_tokens']);
      assert.deepEqual(fields({ prompt: 'x', max_tokens: -1 }, serverKind('vllm').profile), ['max_tokens']);
    });

    it('the seed\'s forms stay as they were for every kind', () => {
      for (const kind of ['openai', 'vllm', 'llamacpp'] as const) {
        for (const prompt of ['x', ['a', 'b'], [1, 2], [[1], [2, 3]]]) assert.deepEqual(fields({ prompt }, serverKind(kind).profile), [], `${kind} ${JSON.stringify(prompt)}`);
      }
      assert.deepEqual(fields({ prompt: [] }, serverKind('openai').profile), [], 'the seed allows an empty array of strings');
    });

    it('an array with a token id at its top is one prompt; otherwise each element is one', () => {
      assert.equal(promptsOf([15043, 'world']).length, 1);
      assert.equal(promptsOf(['hello', 15043]).length, 1);
      assert.equal(promptsOf(['hello', [15043, 29871]]).length, 2);
      assert.equal(promptsOf([{ prompt_string: 'a' }, 'b', [1]]).length, 3);
      assert.equal(promptsOf({ prompt_string: 'a' }).length, 1);
      assert.equal(promptsOf([1, 2, 3]).length, 1);
    });
  });
});
