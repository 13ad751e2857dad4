import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../../nodes/lib/http/json-depth';

describe('http/json-depth: how deep a server\'s JSON nests', () => {
  const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}1${close.repeat(depth)}`;

  it('takes JSON up to the limit and refuses it one level past', () => {
    assert.equal(nestsDeeperThan(nested(MAX_JSON_DEPTH)), false);
    assert.equal(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1)), true);
  });

  it('counts objects and arrays alike, and levels closed again do not add up', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`;
    assert.equal(nestsDeeperThan(wide), false);
    assert.equal(nestsDeeperThan(`${'{"a":'.repeat(300)}1${'}'.repeat(300)}`), true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ text: `${'['.repeat(5000)} \\" ${'{'.repeat(5000)}` });
    assert.equal(nestsDeeperThan(text), false);
  });
});
