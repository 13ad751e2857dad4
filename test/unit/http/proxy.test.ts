import assert from 'node:assert/strict';
import { proxyFor } from '../../../nodes/lib/http/proxy';

describe('unit: proxies from the environment', () => {
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
