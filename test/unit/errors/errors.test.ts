import assert from 'node:assert/strict';
import { apiErrorOf } from '../../../nodes/lib/errors/errors';

describe('unit: error bodies in every server\'s shape', () => {
  it('reads OpenAI, bare-string and flat vLLM errors, with string or integer codes', () => {
    assert.deepEqual(apiErrorOf({ error: { message: 'm', type: 't', code: 'c', param: 'p' } }), { message: 'm', type: 't', code: 'c', param: 'p' });
    assert.deepEqual(apiErrorOf({ error: 'plain text' }), { message: 'plain text' });
    assert.deepEqual(apiErrorOf({ object: 'error', message: 'bad', type: 'BadRequestError', param: null, code: 400 }), { message: 'bad', type: 'BadRequestError', code: 400, param: null });
    assert.equal(apiErrorOf({ choices: [] }), undefined);
  });
});
