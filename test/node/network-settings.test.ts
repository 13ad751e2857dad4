import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tlsNode from '@node-red/nodes/core/network/05-tls.js';
import proxyNode from '@node-red/nodes/core/network/06-httpproxy.js';
import { FlowHarness } from '../support/flow-harness';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { FIXTURES } from '../support/paths';

const fixtures = path.join(FIXTURES, 'tls');

/** A TLS front (self-signed certificate) for the local completion server. */
async function tlsFront(target: CompletionServer): Promise<{ url: string; close(): Promise<void> }> {
  const front = https.createServer({ cert: fs.readFileSync(path.join(fixtures, 'cert.pem')), key: fs.readFileSync(path.join(fixtures, 'key.pem')) }, (req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const { port } = front.address() as { port: number };
  return { url: `https://127.0.0.1:${port}/v1`, close: () => new Promise((r) => { front.closeAllConnections(); front.close(() => r()); }) };
}

/** A forward proxy (absolute-form HTTP and CONNECT tunnels) that records what went through it. */
async function forwardProxy(): Promise<{ url: string; seen: string[]; auth: (string | undefined)[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const auth: (string | undefined)[] = [];
  const tunnels = new Set<net.Socket>();
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    const target = new URL(req.url ?? '');
    const upstream = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on('connect', (req, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    const [host, port] = String(req.url).split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      tunnels.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => tunnels.delete(socket));
    }
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const { port } = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    auth,
    close: () => new Promise((r) => {
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      proxy.close(() => r());
    }),
  };
}

/** A Node-RED tls-config node that trusts the test certificate. */
function trustSelfSigned(): Record<string, unknown> {
  return { id: 'tls', type: 'tls-config', name: 'self-signed', cert: '', key: '', ca: path.join(fixtures, 'cert.pem'), certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, alpnprotocol: '' };
}

/** Runs `body` with proxy variables set as given (others of the kind unset), then restores them. */
async function withProxyEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].flatMap((n) => [n, n.toLowerCase()]);
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  try {
    for (const name of names) delete process.env[name];
    Object.assign(process.env, vars);
    await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('TLS, extra headers and proxies', function () {
  let server: CompletionServer;
  let flow: FlowHarness | undefined;
  before(async () => {
    server = await startCompletionServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());
  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
  });

  it('trusts a self-signed server through a tls-config node, and refuses it without one', async () => {
    const front = await tlsFront(server);
    try {
      flow = await FlowHarness.load({ api: { baseUrl: front.url, tls: 'tls', maxRetries: '0' }, node: { max_tokens: '2' }, configNodes: [trustSelfSigned()], modules: [tlsNode] });
      const trusted = await flow.run({ payload: 'over TLS' });
      assert.equal(trusted.results[0]?.payload.status, 200, JSON.stringify(trusted.errors[0]?.error));
      await flow.unload();
      flow = await FlowHarness.load({ api: { baseUrl: front.url, maxRetries: '0' }, node: { max_tokens: '2' } });
      const refused = await flow.run({ payload: 'over TLS' });
      assert.equal(refused.errors[0]?.error.code, 'NETWORK_ERROR');
      assert.match(refused.errors[0].error.message, /certificate/);
    } finally {
      await front.close();
    }
  });

  it('sends the extra headers of the connection, but never lets them replace the key', async () => {
    flow = await FlowHarness.load({
      api: { baseUrl: server.url, headers: [{ name: 'X-Team', value: 'blue' }, { name: 'Authorization', value: 'Bearer stolen' }] },
      credentials: { apiKey: 'sk-real-key-000' },
      node: { max_tokens: '1' },
    });
    await flow.run({ payload: 'x' });
    assert.equal(server.requests[0].headers['x-team'], 'blue');
    assert.equal(server.requests[0].headers.authorization, 'Bearer sk-real-key-000');
  });

  it('goes through the proxy named by HTTP_PROXY, and around it for NO_PROXY hosts', async () => {
    const proxy = await forwardProxy();
    try {
      await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
        flow = await FlowHarness.load({ api: { baseUrl: server.url }, node: { max_tokens: '1' } });
        const proxied = await flow.run({ payload: 'x' });
        assert.equal(proxied.results[0]?.payload.status, 200);
        assert.equal(proxy.seen.length, 1);
        assert.match(proxy.seen[0], /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions$/);
        // The proxy is worked out once per connection: a change of environment applies from the next deploy.
        process.env.NO_PROXY = '127.0.0.1';
        await flow.unload();
        flow = await FlowHarness.load({ api: { baseUrl: server.url }, node: { max_tokens: '1' } });
        await flow.run({ payload: 'y' });
        assert.equal(proxy.seen.length, 1, 'NO_PROXY host went direct');
        assert.equal(server.requests.length, 2);
      });
    } finally {
      await proxy.close();
    }
  });

  it('goes through a Node-RED http proxy configuration, with its credentials and its no-proxy list, over the environment', async () => {
    const proxy = await forwardProxy();
    try {
      await withProxyEnv({ HTTP_PROXY: 'http://127.0.0.1:1' }, async () => {
        const config = { id: 'px', type: 'http proxy', name: 'corporate', url: proxy.url, noproxy: ['no-such-host.example'] };
        flow = await FlowHarness.load({
          api: { baseUrl: server.url, proxy: 'px', maxRetries: '0' }, node: { max_tokens: '1' },
          configNodes: [config], configCredentials: { px: { username: 'proxy user', password: 'p@ss:word' } }, modules: [proxyNode],
        });
        const out = await flow.run({ payload: 'x' });
        assert.equal(out.results[0]?.payload.status, 200, JSON.stringify(out.errors[0]?.error));
        assert.equal(proxy.seen.length, 1, 'the node went through the configured proxy, not the environment’s');
        assert.equal(proxy.auth[0], `Basic ${Buffer.from('proxy user:p@ss:word').toString('base64')}`);
        await flow.unload();
        const bypass = { id: 'px', type: 'http proxy', name: 'corporate', url: proxy.url, noproxy: ['127.0.0.1'] };
        flow = await FlowHarness.load({ api: { baseUrl: server.url, proxy: 'px', maxRetries: '0' }, node: { max_tokens: '1' }, configNodes: [bypass], modules: [proxyNode] });
        const direct = await flow.run({ payload: 'y' });
        assert.equal(direct.results[0]?.payload.status, 200);
        assert.equal(proxy.seen.length, 1, 'a host on the no-proxy list is reached directly');
      });
    } finally {
      await proxy.close();
    }
  });

  it('tunnels HTTPS through the proxy named by HTTPS_PROXY with CONNECT, keeping TLS verification', async () => {
    const proxy = await forwardProxy();
    const front = await tlsFront(server);
    try {
      await withProxyEnv({ HTTPS_PROXY: proxy.url }, async () => {
        flow = await FlowHarness.load({ api: { baseUrl: front.url, tls: 'tls', maxRetries: '0' }, node: { max_tokens: '2' }, configNodes: [trustSelfSigned()], modules: [tlsNode] });
        const first = await flow.run({ payload: 'through the tunnel' });
        assert.equal(first.results[0]?.payload.status, 200, JSON.stringify(first.errors[0]?.error));
        const second = await flow.run({ payload: { prompt: 'again', stream: true } });
        assert.equal(second.results.at(-1)?.complete, true, JSON.stringify(second.errors[0]?.error));
        assert.deepEqual(proxy.seen, [`CONNECT 127.0.0.1:${new URL(front.url).port}`], 'one tunnel, kept alive for the second request');
        await flow.unload();
        flow = await FlowHarness.load({ api: { baseUrl: front.url, maxRetries: '0' }, node: { max_tokens: '2' } });
        const unverified = await flow.run({ payload: 'x' });
        assert.match(unverified.errors[0]?.error.message ?? '', /certificate/, 'the tunnel does not skip certificate checks');
      });
    } finally {
      await front.close();
      await proxy.close();
    }
  });

  it('a proxy that never answers the CONNECT fails the request as a connect TIMEOUT (retried), not a message that hangs', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      await withProxyEnv({ HTTPS_PROXY: `http://127.0.0.1:${port}` }, async () => {
        flow = await FlowHarness.load({ api: { baseUrl: 'https://api.example.invalid/v1', connectTimeout: '0.3', maxRetries: '1' }, node: { max_tokens: '1' } });
        const out = await flow.run({ payload: 'x' });
        assert.equal(out.errors[0]?.error.code, 'TIMEOUT');
        assert.equal(out.errors[0]?.error.cause.phase, 'connect');
        assert.equal(out.errors[0]?.error.cause.attempts, 2, 'a connection that never opened is tried again');
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
