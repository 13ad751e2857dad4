import assert from 'node:assert/strict';
import { connectionSettings, extraHeaders, MAX_TIMEOUT_SECONDS, normalizeBaseUrl, resolveApiKey } from '../../nodes/lib/connection/settings';
import { serverKind } from '../../nodes/lib/servers/server-kinds';
import { retryDelayMs, serverRequestedDelayMs, shouldRetryStatus } from '../../nodes/lib/http/retry-policy';
import { apiErrorOf } from '../../nodes/lib/errors/errors';
import { normalizeChoicesLogprobs } from '../../nodes/lib/stream/logprobs';
import { proxyFor } from '../../nodes/lib/http/proxy';

describe('connection settings', () => {
  it('fixes the base URL mistakes users make', () => {
    assert.equal(normalizeBaseUrl(''), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('https://api.openai.com/v1/'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('https://api.openai.com/v1/completions'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('http://localhost:11434'), 'http://localhost:11434/v1');
    assert.equal(normalizeBaseUrl('http://gpu-box:8000/custom/prefix//'), 'http://gpu-box:8000/custom/prefix');
    assert.throws(() => normalizeBaseUrl('localhost:8000'), /http/);
    assert.throws(() => normalizeBaseUrl('not a url'), /not a URL/);
  });

  it('refuses a timeout longer than Node.js timers can wait, which would fire at once', () => {
    assert.equal(connectionSettings({ timeout: String(MAX_TIMEOUT_SECONDS) }).timeoutMs, MAX_TIMEOUT_SECONDS * 1000);
    assert.throws(() => connectionSettings({ timeout: String(MAX_TIMEOUT_SECONDS + 1) }), /longer than the longest Node\.js can wait/);
    assert.throws(() => connectionSettings({ timeout: '1e12' }), /24\.8 days/);
  });

  it('refuses "." and ".." as an Azure deployment, which would move the request elsewhere on the host', () => {
    const azure = serverKind('azure');
    for (const model of ['.', '..']) assert.equal(azure.gaps({ model, prompt: 'x' })[0]?.field, 'model');
    assert.deepEqual(azure.gaps({ model: 'my-deployment.v2', prompt: 'x' }), []);
  });

  it('takes an Azure resource endpoint as it is, without /v1, dropping a pasted /openai path', () => {
    const azure = serverKind('azure');
    assert.equal(normalizeBaseUrl('https://res.openai.azure.com/', azure), 'https://res.openai.azure.com');
    assert.equal(normalizeBaseUrl('https://res.openai.azure.com/openai/deployments/x/completions?api-version=1', azure), 'https://res.openai.azure.com');
    assert.throws(() => normalizeBaseUrl('', azure), /resource endpoint/);
  });

  it('reads the API key from an environment variable the user names', () => {
    assert.equal(resolveApiKey('sk-plain'), 'sk-plain');
    assert.equal(resolveApiKey('${MY_KEY}', { MY_KEY: 'sk-from-env' }), 'sk-from-env');
    assert.equal(resolveApiKey('${MISSING}', {}), undefined);
    assert.equal(resolveApiKey('  '), undefined);
  });

  it('keeps extra headers but never lets them replace authentication or framing', () => {
    assert.deepEqual(
      extraHeaders([{ name: 'X-Team', value: 'blue' }, { name: 'Authorization', value: 'Bearer evil' }, { name: 'api-key', value: 'k' }, { name: 'bad name', value: 'x' }, { name: 'X-Crlf', value: 'a\r\nInjected: 1' }]),
      { 'X-Team': 'blue', 'X-Crlf': 'aInjected: 1' },
    );
  });

  it('turns the dialog strings into numbers with safe fallbacks', () => {
    const s = connectionSettings({ timeout: '0.5', maxRetries: '0', maxInFlight: 'x', maxQueue: '3', maxResponseMB: '1' }, {});
    assert.equal(s.timeoutMs, 500);
    assert.equal(s.maxRetries, 0);
    assert.equal(s.maxInFlight, 4);
    assert.equal(s.maxQueue, 3);
    assert.equal(s.maxResponseBytes, 2 ** 20);
    assert.equal(s.kind.id, 'openai');
  });
});

describe('server kinds', () => {
  it('build each server’s path and auth header', () => {
    const creds = { apiKey: 'k', organization: 'org', project: 'proj' };
    assert.equal(serverKind('openai').completionsPath('m', ''), '/completions');
    assert.deepEqual(serverKind('openai').authHeaders(creds), { Authorization: 'Bearer k', 'OpenAI-Organization': 'org', 'OpenAI-Project': 'proj' });
    assert.equal(serverKind('azure').completionsPath('my deploy', '2024-10-21'), '/openai/deployments/my%20deploy/completions?api-version=2024-10-21');
    assert.deepEqual(serverKind('azure').authHeaders(creds), { 'api-key': 'k' });
    assert.equal(serverKind('azure-v1').completionsPath('m', ''), '/openai/v1/completions');
    assert.deepEqual(serverKind('vllm').authHeaders({}), {});
    assert.equal(serverKind('nonsense').id, 'openai');
  });

  it('name the parameters a server would reject or ignore', () => {
    const fields = (kind: string, request: Record<string, unknown>) => serverKind(kind).gaps(request).map((p) => p.field);
    assert.deepEqual(fields('llamacpp', { echo: true, best_of: 1, suffix: 'x', n: 2 }), ['echo', 'best_of', 'suffix']);
    assert.deepEqual(fields('llamacpp', { echo: false }), []);
    assert.deepEqual(fields('vllm', { best_of: 1, suffix: 'x' }), ['suffix']);
    assert.deepEqual(fields('vllm', { best_of: 3 }), ['best_of']);
    assert.deepEqual(fields('ollama', { prompt: ['a'], n: 2, echo: true, logit_bias: { '1': 1 } }), ['prompt', 'n', 'echo', 'logit_bias']);
    assert.deepEqual(fields('ollama', { prompt: 'a', n: 1, echo: false, logit_bias: {} }), []);
    assert.deepEqual(fields('openai', { echo: true, best_of: 3, suffix: 'x' }), []);
  });
});

describe('retry policy', () => {
  it('retries 408, 409, 429 and 5xx unless x-should-retry says otherwise', () => {
    for (const status of [408, 409, 429, 500, 503]) assert.equal(shouldRetryStatus(status, {}), true);
    for (const status of [400, 401, 404, 422]) assert.equal(shouldRetryStatus(status, {}), false);
    assert.equal(shouldRetryStatus(503, { 'x-should-retry': 'false' }), false);
    assert.equal(shouldRetryStatus(400, { 'x-should-retry': 'true' }), true);
  });

  it('honours retry-after-ms, retry-after in seconds and as a date, within the cap', () => {
    assert.equal(serverRequestedDelayMs({ 'retry-after-ms': '250' }), 250);
    assert.equal(serverRequestedDelayMs({ 'retry-after': '2' }), 2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(serverRequestedDelayMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now), 3000);
    assert.equal(retryDelayMs(1, { 'retry-after-ms': '250' }, 60_000), 250);
    assert.ok(retryDelayMs(1, { 'retry-after': '3600' }, 5000) <= 5000);
  });

  it('backs off exponentially with jitter up to 8 s', () => {
    assert.equal(retryDelayMs(1, {}, 60_000, () => 0), 500);
    assert.equal(retryDelayMs(3, {}, 60_000, () => 0), 2000);
    assert.equal(retryDelayMs(10, {}, 60_000, () => 0), 8000);
    assert.equal(retryDelayMs(1, {}, 60_000, () => 1), 375);
  });
});

describe('answers in other servers’ shapes', () => {
  it('reads OpenAI, bare-string and flat vLLM errors, with string or integer codes', () => {
    assert.deepEqual(apiErrorOf({ error: { message: 'm', type: 't', code: 'c', param: 'p' } }), { message: 'm', type: 't', code: 'c', param: 'p' });
    assert.deepEqual(apiErrorOf({ error: 'plain text' }), { message: 'plain text' });
    assert.deepEqual(apiErrorOf({ object: 'error', message: 'bad', type: 'BadRequestError', param: null, code: 400 }), { message: 'bad', type: 'BadRequestError', code: 400, param: null });
    assert.equal(apiErrorOf({ choices: [] }), undefined);
  });

  it('turns chat-style logprobs into the classic shape', () => {
    const body = {
      choices: [{
        text: ' a b', index: 0, finish_reason: 'length',
        logprobs: { content: [
          { id: 1, token: ' a', logprob: -0.5, top_logprobs: [{ id: 1, token: ' a', logprob: -0.5 }, { id: 2, token: ' c', logprob: -1 }] },
          { id: 3, token: ' b', logprob: -0.25, top_logprobs: [] },
        ] },
      }],
    };
    const content = body.choices[0].logprobs.content;
    normalizeChoicesLogprobs(body);
    assert.deepEqual(body.choices[0].logprobs, {
      tokens: [' a', ' b'], token_logprobs: [-0.5, -0.25], top_logprobs: [{ ' a': -0.5, ' c': -1 }, {}], text_offset: [0, 2],
      // The server's own entries stay: their token ids are not in the classic shape.
      content,
    });
  });
});

describe('proxies from the environment', () => {
  const at = (url: string, env: NodeJS.ProcessEnv) => proxyFor(new URL(url), env)?.href;
  it('takes <scheme>_proxy, lower case first, then all_proxy', () => {
    assert.equal(at('http://api.example/v1', { HTTP_PROXY: 'http://p:3128' }), 'http://p:3128/');
    assert.equal(at('http://api.example/v1', { http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:2' }), 'http://lower:1/');
    assert.equal(at('https://api.example/v1', { HTTP_PROXY: 'http://p:3128' }), undefined);
    assert.equal(at('https://api.example/v1', { HTTPS_PROXY: 'p:8080' }), 'http://p:8080/');
    assert.equal(at('https://api.example/v1', { ALL_PROXY: 'http://all:1' }), 'http://all:1/');
    assert.equal(at('https://api.example/v1', {}), undefined);
  });

  it('goes direct for NO_PROXY hosts: exact names, domains, ports and *', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'localhost, .internal.example,*.corp:8443,[::1]' };
    assert.equal(at('https://localhost/v1', env), undefined);
    assert.equal(at('https://a.internal.example/v1', env), undefined);
    assert.equal(at('https://internal.example/v1', env), undefined);
    assert.equal(at('https://x.corp:8443/v1', env), undefined);
    assert.equal(at('https://x.corp/v1', env), 'http://p:1/');
    assert.equal(at('https://notlocalhost/v1', env), 'http://p:1/');
    assert.equal(at('https://[::1]/v1', env), undefined);
    assert.equal(at('https://anything/v1', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), undefined);
  });
});
