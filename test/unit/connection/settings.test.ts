import assert from 'node:assert/strict';
import { connectionSecrets, connectionSettings, CONNECTION_FIELDS, extraHeaders, MAX_TIMEOUT_SECONDS, normalizeBaseUrl, resolveApiKey } from '../../../nodes/lib/connection/settings';
import { serverKind } from '../../../nodes/lib/servers/server-kinds';

describe('unit: connection settings', () => {
  it('fixes the base URL mistakes users make', () => {
    assert.equal(normalizeBaseUrl(''), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('https://api.openai.com/v1/'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('https://api.openai.com/v1/completions'), 'https://api.openai.com/v1');
    assert.equal(normalizeBaseUrl('http://localhost:11434'), 'http://localhost:11434/v1');
    assert.equal(normalizeBaseUrl('http://gpu-box:8000/custom/prefix//'), 'http://gpu-box:8000/custom/prefix');
    assert.throws(() => normalizeBaseUrl('localhost:8000'), /http/);
    assert.throws(() => normalizeBaseUrl('not a url'), /not a URL/);
  });

  it('gives a blank base URL the usual local address of its server kind', () => {
    assert.equal(normalizeBaseUrl('', serverKind('llamacpp')), 'http://localhost:8080/v1');
    assert.equal(normalizeBaseUrl('', serverKind('ollama')), 'http://localhost:11434/v1');
    assert.throws(() => normalizeBaseUrl('', serverKind('other')), /needs a base URL/);
  });

  it('takes an Azure resource endpoint as it is, without /v1, dropping a pasted /openai path', () => {
    const azure = serverKind('azure');
    assert.equal(normalizeBaseUrl('https://res.openai.azure.com/', azure), 'https://res.openai.azure.com');
    assert.equal(normalizeBaseUrl('https://res.openai.azure.com/openai/deployments/x/completions?api-version=1', azure), 'https://res.openai.azure.com');
    assert.throws(() => normalizeBaseUrl('', azure), /needs a base URL/);
  });

  it('reads the API key from an environment variable the user names', () => {
    assert.equal(resolveApiKey('sk-plain'), 'sk-plain');
    assert.equal(resolveApiKey('${MY_KEY}', { MY_KEY: 'sk-from-env' }), 'sk-from-env');
    assert.equal(resolveApiKey('${MISSING}', {}), undefined);
    assert.equal(resolveApiKey('  '), undefined);
  });

  it('keeps extra headers but never lets them replace authentication or framing, nor carry a line break', () => {
    assert.deepEqual(
      extraHeaders([{ name: 'X-Team', value: 'blue' }, { name: 'Authorization', value: 'Bearer evil' }, { name: 'api-key', value: 'k' }, { name: 'bad name', value: 'x' }, { name: 'X-Crlf', value: 'a\r\nInjected: 1' }]),
      { 'X-Team': 'blue' },
    );
  });

  it('turns the dialog strings into numbers; blank is the default, and a value out of bounds is refused, naming the field', () => {
    const s = connectionSettings({ connectTimeout: '2', responseTimeout: '0.5', idleTimeout: '', maxRetries: '0', maxQueue: '3', maxResponseMB: '1', maxQueueMB: '0.5' });
    assert.equal(s.connectTimeoutMs, 2000);
    assert.equal(s.responseTimeoutMs, 500);
    assert.equal(s.idleTimeoutMs, CONNECTION_FIELDS.idleTimeout.default * 1000);
    assert.equal(s.maxRetries, 0);
    assert.equal(s.maxInFlight, CONNECTION_FIELDS.maxInFlight.default);
    assert.equal(s.maxQueue, 3);
    assert.equal(s.maxQueueBytes, 2 ** 19);
    assert.equal(s.maxResponseBytes, 2 ** 20);
    assert.equal(s.retryTimeouts, false);
    assert.equal(s.kind.id, 'openai');
    assert.throws(() => connectionSettings({ maxInFlight: 'x' }), /maxInFlight must be a whole number/);
    assert.throws(() => connectionSettings({ maxInFlight: '0' }), /maxInFlight/);
    assert.throws(() => connectionSettings({ maxRetries: '1.5' }), /maxRetries/);
    assert.throws(() => connectionSettings({ responseTimeout: '0' }), /responseTimeout must be a number above 0/);
  });

  it('takes the one timeout of older flows as the response and idle timeouts', () => {
    const s = connectionSettings({ timeout: '5' });
    assert.equal(s.responseTimeoutMs, 5000);
    assert.equal(s.idleTimeoutMs, 5000);
    assert.equal(s.connectTimeoutMs, CONNECTION_FIELDS.connectTimeout.default * 1000);
  });

  it('refuses a timeout longer than Node.js timers can wait, which would fire at once', () => {
    assert.equal(connectionSettings({ responseTimeout: String(MAX_TIMEOUT_SECONDS) }).responseTimeoutMs, MAX_TIMEOUT_SECONDS * 1000);
    assert.throws(() => connectionSettings({ responseTimeout: String(MAX_TIMEOUT_SECONDS + 1) }), /the longest Node\.js can wait/);
    assert.throws(() => connectionSettings({ timeout: '1e12' }), /24\.8 days/);
  });

  it('refuses an Azure api-version that is not a version', () => {
    assert.throws(() => connectionSettings({ serverKind: 'azure', baseUrl: 'https://r.openai.azure.com', apiVersion: '2024-10-21&x=1' }), /api-version/);
  });

  describe('Basic auth', () => {
    const basic64 = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

    it('comes from the user and password credentials', () => {
      const s = connectionSettings({ baseUrl: 'http://gpu-box:8080/v1' }, { username: 'alice', password: 's@cret:1' });
      assert.deepEqual(s.basicAuth, { username: 'alice', password: 's@cret:1' });
      assert.deepEqual(s.secrets, ['s@cret:1', basic64('alice', 's@cret:1')]);
      assert.equal(connectionSettings({ baseUrl: 'http://gpu-box:8080/v1' }, { username: '', password: '' }).basicAuth, undefined);
    });

    it('falls back to a user and password an older flow still holds in its base URL, which never goes into the request URL', () => {
      const s = connectionSettings({ baseUrl: 'http://bob:p%40ss%3Aw@gpu-box:8080/v1' });
      assert.deepEqual(s.basicAuth, { username: 'bob', password: 'p@ss:w' });
      assert.equal(s.baseUrl, 'http://gpu-box:8080/v1');
      assert.equal(normalizeBaseUrl('https://bob:pw@res.openai.azure.com/openai', serverKind('azure')), 'https://res.openai.azure.com');
      // Both kept secret, decoded and as written, though only the credentials are sent.
      const both = connectionSettings({ baseUrl: 'http://bob:p%40ss@gpu-box:8080/v1' }, { username: 'alice', password: 'cred-pass' });
      assert.deepEqual(both.basicAuth, { username: 'alice', password: 'cred-pass' });
      assert.deepEqual(both.secrets, ['cred-pass', 'p@ss', 'p%40ss', basic64('alice', 'cred-pass')]);
    });

    it('takes a password with a stray % as written rather than dropping it and its masking', () => {
      const s = connectionSettings({ baseUrl: 'http://bob:100%25-or-100%@gpu-box/v1' });
      assert.deepEqual(s.basicAuth, { username: 'bob', password: '100%25-or-100%' });
      assert.ok(s.secrets.includes('100%25-or-100%'), s.secrets.join(' '));
    });

    it('keeps the password secret even when the settings are refused, and refuses a user name Basic auth cannot carry', () => {
      assert.deepEqual(connectionSecrets({ baseUrl: 'http://x', maxRetries: 'bad' }, { apiKey: 'sk-1234', password: 'pw-5678' }), ['sk-1234', 'pw-5678', basic64('', 'pw-5678')]);
      assert.throws(() => connectionSettings({ baseUrl: 'http://x/v1' }, { username: 'a:b', password: 'pw' }), /user name for Basic auth may not hold a colon/);
    });
  });
});
