import assert from 'node:assert/strict';
import { readsAsRequestJson } from '../../../nodes/lib/request/json-text-payload';

describe('request/json-text-payload: a string that reads as the JSON of a request', () => {
  it('is the JSON of an object with a prompt, spaces around it allowed', () => {
    assert.equal(readsAsRequestJson('{ "prompt": "x", "max_tokens": 3 }'), true);
    assert.equal(readsAsRequestJson('\n  {"prompt": ["a", "b"]}\n'), true);
  });

  it('is not a prompt that merely holds JSON, nor JSON without a prompt, nor anything but a string', () => {
    assert.equal(readsAsRequestJson('Complete this: {"prompt": "x"}'), false);
    assert.equal(readsAsRequestJson('{"name": "a document"}'), false);
    assert.equal(readsAsRequestJson('{ not json }'), false);
    assert.equal(readsAsRequestJson('["prompt"]'), false);
    assert.equal(readsAsRequestJson({ prompt: 'x' }), false);
  });
});
