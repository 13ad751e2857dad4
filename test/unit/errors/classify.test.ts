import assert from 'node:assert/strict';
import { apiErrorOf, httpError } from '../../../nodes/lib/errors/errors';
import { loadRecordings, recording } from '../../support/recordings';

const code = (status: number, body: unknown) => httpError(status, body).code;

describe('unit: what a server\'s error answer means', () => {
  it('a prompt over the context, in llama.cpp\'s recorded answer and in the words of vLLM, SGLang, TGI and LM Studio', () => {
    const recorded = recording(loadRecordings('llama.cpp'), '26');
    assert.equal(code(recorded.status, JSON.parse(recorded.body)), 'CONTEXT_TOO_LONG');
    for (const message of [
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
      "You passed 5000 input tokens and requested 16 output tokens. However, the model's context length is only 4096 tokens, resulting in a maximum input length of 4080 tokens.",
      "The input (5000 tokens) is longer than the model's context length (4096 tokens).",
      'The number of tokens to keep from the initial prompt is greater than the context length (n_keep: 10247 >= n_ctx: 4096).',
    ]) assert.equal(code(400, { error: { message, type: 'BadRequestError', code: 400 } }), 'CONTEXT_TOO_LONG', message);
    assert.equal(code(422, { error: '`inputs` tokens + `max_new_tokens` must be <= 4096. Given: 5000 `inputs` tokens and 16 `max_new_tokens`', error_type: 'validation' }), 'CONTEXT_TOO_LONG');
  });

  it('a chat model on the completions endpoint, a model not found or retired, a model still loading, a quota used up', () => {
    assert.equal(code(404, { error: { message: 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', type: 'invalid_request_error', param: 'model', code: null } }), 'CHAT_MODEL');
    assert.equal(code(404, { error: { message: 'The model `gpt-3.5-turbo-instruct` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations', type: 'invalid_request_error', code: 'model_not_found' } }), 'MODEL_NOT_FOUND');
    assert.equal(code(404, { error: { message: 'The model `x` does not exist.', type: 'NotFoundError', code: 404 } }), 'MODEL_NOT_FOUND');
    assert.equal(code(404, { error: { message: "model 'llama9' not found", type: 'not_found_error' } }), 'MODEL_NOT_FOUND');
    assert.equal(code(404, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }), 'MODEL_NOT_FOUND');
    assert.equal(code(503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }), 'MODEL_LOADING');
    assert.equal(code(503, { error: { message: 'model X is loading (40%)', code: 'model_loading', type: 'model_loading' } }), 'MODEL_LOADING');
    assert.equal(code(429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }), 'QUOTA_EXCEEDED');
    assert.equal(code(500, { error: { message: 'boom', type: 'server_error' } }), 'HTTP_ERROR');
  });

  it('says what happened first and what to do in the details, which read as text too', () => {
    const error = httpError(404, { error: { message: 'The model `x` does not exist.', type: 'NotFoundError', code: 404 } });
    assert.equal(error.message, 'model not found: The model `x` does not exist. (HTTP 404)');
    assert.match(String(error.cause), /^HTTP 404 · NotFoundError · 404 · check the model name/);
    assert.equal(Object.keys(error.cause).includes('toString'), false, 'the text form is not a property a flow sees');
    assert.deepEqual(apiErrorOf({ error: 'Suffix is not supported', error_type: 'suffix not supported' }), { message: 'Suffix is not supported', type: 'suffix not supported' });
  });
});
