import assert from 'node:assert/strict';
import { MAX_REASONS_PER_FIELD, validateRequest } from '../../../nodes/lib/request/validate';

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
});
