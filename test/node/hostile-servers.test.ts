/**
 * Servers that misbehave on purpose, answered byte for byte, through a real Node-RED:
 * a key echoed split across events or spelt with JSON escapes, a switch of protocols,
 * a stream that stays open after [DONE], a compressed body that never ends. Each
 * message must end once, the key must appear nowhere, and no socket may be left open.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { FlowHarness, helper, type Msg } from '../support/flow-harness';
import { completionEvent, startHostileServer, type Handler, type HostileServer } from '../support/hostile-server';

const KEY = 'sk-hostile-Vb7Nq2Xe9Ks4Wd6Ry3Ju8';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The key with every character written as a JSON `\u` escape. */
const escapedKey = [...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

describe('hostile servers through a real Node-RED', function () {
  this.timeout(20_000);
  let server: HostileServer | undefined;
  let flow: FlowHarness | undefined;

  afterEach(async () => {
    await flow?.unload();
    flow = undefined;
    await server?.close();
    server = undefined;
  });

  const load = async (handler: Handler, node: Record<string, unknown> = {}, api: Record<string, unknown> = {}) => {
    server = await startHostileServer(handler);
    flow = await FlowHarness.load({
      api: { baseUrl: server.url, timeout: '5', maxRetries: '0', ...api },
      credentials: { apiKey: KEY },
      node: { max_tokens: '4', ...node },
      join: true,
    });
    return flow;
  };

  /** Everything a user could see: every message of the flow, every status and log line. */
  const everything = (f: FlowHarness) => JSON.stringify(f.events.map((e) => e.msg)) + f.logLines().join('\n');

  const sse: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' });

  describe('the API key, echoed back in pieces or in disguise, never reaches a message', () => {
    for (const format of ['raw', 'text', 'choices'] as const) {
      it(`split across two stream events (${format}): not in any chunk, the assembled response or a join's output`, async () => {
        const f = await load((req, res, body) => {
          sse(req, res, body);
          const half = KEY.length / 2;
          res.write(completionEvent(`here it is: ${KEY.slice(0, half)}`));
          res.write(completionEvent(`${KEY.slice(half)} and more`));
          res.end(completionEvent('', 0, 'stop') + 'data: [DONE]\n\n');
        }, { resultFormat: format });
        const out = await f.run({ payload: { prompt: 'echo the key', stream: true } });
        assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
        await f.waitFor(() => f.events.some((e) => e.kind === 'joined'));
        assert.ok(!everything(f).includes(KEY), 'the key appears whole');
        const final = out.results.at(-1)!;
        const text = format === 'raw' ? final.payload.body.choices[0].text : format === 'text' ? final.payload : final.payload.text;
        assert.equal(text, 'here it is: *** and more', 'the assembled text has the key masked, nothing else lost');
        if (format === 'text') assert.equal(f.events.find((e) => e.kind === 'joined')!.msg.payload, 'here it is: *** and more');
      });
    }

    for (const cut of [7, 40, 90]) {
      it(`spelt with \\u escapes and cut across events every ${cut} characters: masked in every chunk and in what a join puts together`, async () => {
        const text = `key: ${escapedKey} and more`;
        const f = await load((req, res, body) => {
          sse(req, res, body);
          for (let at = 0; at < text.length; at += cut) res.write(completionEvent(text.slice(at, at + cut)));
          res.end(completionEvent('', 0, 'stop') + 'data: [DONE]\n\n');
        }, { resultFormat: 'text' });
        const out = await f.run({ payload: { prompt: 'x', stream: true } });
        assert.equal(out.errors.length, 0, JSON.stringify(out.errors[0]?.error));
        await f.waitFor(() => f.events.some((e) => e.kind === 'joined'));
        const seen = everything(f);
        // Any six escapes in a row of the key would give a part of it away.
        for (let i = 0; i + 36 <= escapedKey.length; i += 6) assert.ok(!seen.includes(escapedKey.slice(i, i + 36)), `a part of the escaped key: ${escapedKey.slice(i, i + 36)}`);
        assert.equal(f.events.find((e) => e.kind === 'joined')!.msg.payload, 'key: *** and more');
        assert.equal(out.results.at(-1)!.payload, 'key: *** and more');
      });
    }

    it('held back at the end of a stream, it is still masked, and the join still gets the whole text', async () => {
      const f = await load((req, res, body) => {
        sse(req, res, body);
        res.write(completionEvent('ends with the start of the key: sk-'));
        res.end(completionEvent('', 0, 'stop') + 'data: [DONE]\n\n');
      }, { resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: 'x', stream: true } });
      assert.equal(out.results.at(-1)!.payload, 'ends with the start of the key: sk-');
      await f.waitFor(() => f.events.some((e) => e.kind === 'joined'));
      assert.equal(f.events.find((e) => e.kind === 'joined')!.msg.payload, 'ends with the start of the key: sk-');
    });

    for (const stream of [false, true]) {
      it(`written with JSON \\u escapes (${stream ? 'streamed' : 'not streamed'}): masked once decoded`, async () => {
        const f = await load((_req, res) => {
          const body = `{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"text":"key: ${escapedKey}","index":0,"logprobs":null,"finish_reason":"stop"}]}`;
          if (!stream) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(body);
          } else {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            res.end(`data: ${body}\n\ndata: [DONE]\n\n`);
          }
        });
        const out = await f.run({ payload: { prompt: 'x', stream } });
        assert.equal(out.errors.length, 0);
        assert.ok(!everything(f).includes(KEY), 'the key appears');
        assert.equal(out.results.at(-1)!.payload.body.choices[0].text, 'key: ***');
      });
    }

    it('in an error body with escapes, and in a body that is not JSON, the error text does not spell it', async () => {
      const f = await load((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`not json at all: "${escapedKey}"`);
      }, { resultFormat: 'text' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors[0].error.code, 'BAD_RESPONSE');
      assert.ok(!out.errors[0].error.message.includes(escapedKey), out.errors[0].error.message);
      assert.ok(!everything(f).includes(KEY));
    });

    for (const format of ['raw', 'text'] as const) {
      it(`quoted with escapes inside an error text, as a gateway wraps an upstream body it did not decode (${format}): masked in the error, its cause, the status and the result`, async () => {
        const f = await load((_req, res) => {
          res.writeHead(400, { 'content-type': 'application/json' });
          // The escapes are written escaped: once parsed, the message still reads \u0073\u006b…
          res.end(JSON.stringify({ error: { message: `upstream said: {"detail":"bad key ${escapedKey}"}`, type: 'invalid_request_error' } }));
        }, { resultFormat: format });
        const out = await f.run({ payload: 'x' });
        const seen = everything(f);
        assert.ok(!seen.includes(escapedKey), 'the key, escaped, is in what the flow sees');
        assert.ok(!seen.includes(escapedKey.replace(/\\/g, '\\\\')), 'the key, escaped, is in what the flow sees (as JSON)');
        assert.ok(!seen.includes(KEY));
        assert.match(seen, /bad key \*\*\*/);
        assert.equal(out.errors.length + out.results.length, 1);
      });
    }
  });

  describe('every way a request can end settles the message', () => {
    it('a 101 Switching Protocols fails the message, frees its slot for the next one, and the flow closes at once', async () => {
      let calls = 0;
      const f = await load((req, res) => {
        calls++;
        if (calls === 1) {
          req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: [{ text: 'ok', index: 0, logprobs: null, finish_reason: 'stop' }] }));
      }, {}, { maxInFlight: '1' });
      const first = f.run({ _msgid: 'upgraded', payload: 'x' });
      const second = f.run({ _msgid: 'next', payload: 'y' });
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.errors.length, 1);
      assert.equal(a.errors[0].error.code, 'BAD_RESPONSE');
      assert.equal(a.completes.length, 0);
      assert.equal(b.completes.length, 1, 'the queued message went through');
      assert.equal(b.results[0].payload.status, 200);
      const closing = Date.now();
      await f.unload();
      flow = undefined;
      assert.ok(Date.now() - closing < 5000, 'closing did not wait for a request that never settles');
    });

    it('a keep-alive socket the server closed (as llama.cpp does after a stream) is replaced at once: no failure, no retry counted', async () => {
      const served = new WeakMap<object, number>();
      const f = await load((req, res) => {
        const count = (served.get(req.socket) ?? 0) + 1;
        served.set(req.socket, count);
        // The second request on a socket finds it closed, as a server that dropped it would.
        if (count > 1) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
        res.end(JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: [{ text: 'ok', index: 0, logprobs: null, finish_reason: 'stop' }] }));
      }, { resultFormat: 'text' }, { maxRetries: '0' });
      const first = await f.run({ payload: 'one' });
      const second = await f.run({ payload: 'two' });
      assert.equal(first.results[0]?.payload, 'ok');
      assert.equal(second.errors.length, 0, JSON.stringify(second.errors[0]?.error));
      assert.equal(second.results[0]?.payload, 'ok');
      assert.equal(server!.requests, 3, 'the second request went once on the stale socket, once on a fresh one');
    });

    it('a stream that trickles bytes but never completes an event fails with TIMEOUT after the idle timeout', async () => {
      let trickle: NodeJS.Timeout | undefined;
      const f = await load((req, res, body) => {
        sse(req, res, body);
        res.write(completionEvent('first'));
        trickle = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(trickle));
      }, { resultFormat: 'text' }, { idleTimeout: '0.4', responseTimeout: '60' });
      const out = await f.run({ payload: { prompt: 'x', stream: true } });
      clearInterval(trickle);
      assert.equal(out.errors[0]?.error.code, 'TIMEOUT');
      assert.equal(out.errors[0].error.cause.phase, 'idle');
      assert.match(out.errors[0].error.message, /no whole event/);
    });

    for (const format of ['text', 'choices'] as const) {
      it(`a server that invents choices cannot turn one answer into thousands of messages (${format})`, async () => {
        const many = Array.from({ length: 5000 }, (_, index) => ({ text: 'x', index, logprobs: null, finish_reason: 'stop' }));
        const f = await load((req, res, body) => {
          const streamed = JSON.parse(body).stream === true;
          if (!streamed) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: many }));
            return;
          }
          sse(req, res, body);
          res.end(`data: ${JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: many })}\n\ndata: [DONE]\n\n`);
        }, { resultFormat: format });
        for (const stream of [false, true]) {
          const out = await f.run({ payload: { prompt: 'x', n: 2, stream } });
          assert.ok(out.results.filter((m) => !m.reset).length <= 2, `${out.results.length} messages`);
          assert.equal(out.errors.length, 1, `${format}, ${stream ? 'streamed' : 'not streamed'}`);
          assert.match(out.errors[0].error.code, /^(BAD_RESPONSE|STREAM_ERROR)$/);
        }
      });

      const odd: [string, unknown[]][] = [
        ['indexes -1 and 7 for one choice', [{ text: 'a', index: -1 }, { text: 'b', index: 7 }]],
        ['the same index twice', [{ text: 'a', index: 0 }, { text: 'b', index: 0 }]],
        ['an index that is a word ("__proto__")', [{ text: 'a', index: '__proto__' }]],
      ];
      for (const [label, choices] of odd) {
        it(`choices with ${label} are refused, not merged or placed by guess (${format})`, async () => {
          const f = await load((req, res, body) => {
            const full = choices.map((c) => ({ logprobs: null, finish_reason: 'stop', ...(c as object) }));
            if (JSON.parse(body).stream !== true) {
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: full }));
              return;
            }
            sse(req, res, body);
            res.end(full.map((c) => `data: ${JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: [c] })}\n\n`).join('') + 'data: [DONE]\n\n');
          }, { resultFormat: format });
          for (const stream of [false, true]) {
            // Two identical indexes in separate events are one choice's pieces: only the not-streamed answer is at fault.
            if (stream && label.startsWith('the same')) continue;
            const out = await f.run({ payload: { prompt: 'x', stream } });
            assert.equal(out.errors.length, 1, `${stream ? 'streamed' : 'not streamed'}: ${JSON.stringify(out.results.map((m) => m.payload))}`);
            assert.equal(out.errors[0].error.code, stream ? 'STREAM_ERROR' : 'BAD_RESPONSE');
            assert.match(out.errors[0].error.message, /choice/);
          }
        });
      }
    }

    it('a byte-order mark before the first event does not lose it', async () => {
      const f = await load((req, res, body) => {
        sse(req, res, body);
        res.end('\ufeff' + completionEvent('first ') + completionEvent('second', 0, 'stop') + 'data: [DONE]\n\n');
      }, { resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: 'x', stream: true } });
      assert.equal(out.results.at(-1)?.payload, 'first second');
    });

    it('after [DONE] the result goes out while the server still holds the response open', async () => {
      let release: (() => void) | undefined;
      const f = await load((req, res, body) => {
        sse(req, res, body);
        res.write(completionEvent('done', 0, 'stop') + 'data: [DONE]\n\n');
        release = () => res.end();
      }, { resultFormat: 'text' }, { timeout: '60' });
      const out = await f.run({ payload: { prompt: 'x', stream: true } });
      assert.equal(out.errors.length, 0);
      assert.equal(out.results.at(-1)!.payload, 'done');
      assert.equal(out.completes.length, 1);
      assert.ok(release, 'the server is still holding the response');
      release!();
    });
  });

  describe('a response over the size limit', () => {
    it('a gzip body that never ends: the message fails, and the socket is closed while the server still writes', async () => {
      let writing: NodeJS.Timeout | undefined;
      const f = await load((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        const gzip = zlib.createGzip();
        gzip.pipe(res);
        gzip.write('{"choices":[{"text":"');
        // Incompressible text, so the compressed stream keeps flowing.
        writing = setInterval(() => gzip.write(require('node:crypto').randomBytes(32 * 1024).toString('base64')), 5);
        res.on('close', () => clearInterval(writing));
      }, {}, { maxResponseMB: '0.5' });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors[0]?.error.code, 'RESPONSE_TOO_LARGE');
      for (let i = 0; i < 100 && server!.openSockets() > 0; i++) await sleep(20);
      clearInterval(writing);
      assert.equal(server!.openSockets(), 0, 'the connection is still open');
    });
  });

  describe('an answer nested too deep for Node-RED to copy, with output 1 wired to two nodes', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    for (const format of ['raw', 'text', 'choices'] as const) {
      it(`not streamed (${format}): one BAD_RESPONSE and no result, rather than a result on one wire and an error after it`, async () => {
        const f = await load((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"object":"text_completion","choices":[{"index":0,"text":"hi","finish_reason":"stop","deep":${nested(200_000)}}]}`);
        }, { resultFormat: format });
        const out = await f.run({ payload: 'x' });
        assert.equal(out.results.length, 0, 'a result went out');
        assert.equal(out.errors.length, 1);
        assert.equal(out.errors[0].error.code, 'BAD_RESPONSE');
        assert.match(out.errors[0].error.message, /nested deeper than 256 levels/);
      });
    }

    it('streamed: the stream fails at the deep event, once', async () => {
      const f = await load((req, res, body) => {
        sse(req, res, body);
        res.write(completionEvent('first '));
        res.end(`data: {"choices":[{"index":0,"text":"x","deep":${nested(200_000)}}]}\n\ndata: [DONE]\n\n`);
      }, { resultFormat: 'text' });
      const out = await f.run({ payload: { prompt: 'x', stream: true } });
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].error.code, 'STREAM_ERROR');
      assert.equal(out.completes.length, 0);
    });

    it('an error answer nested that deep still ends as one HTTP error', async () => {
      const f = await load((_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(`{"error":${nested(200_000)}}`);
      });
      const out = await f.run({ payload: 'x' });
      assert.equal(out.errors.length + out.results.length, 1);
    });
  });

  describe('a message Node-RED cannot copy', () => {
    const deep = () => {
      let value: Record<string, unknown> = {};
      for (let i = 0; i < 20_000; i++) value = { inner: value };
      return value;
    };
    const getter = () => Object.defineProperty({}, 'boom', { enumerable: true, get() { throw new Error('getter says no'); } });
    for (const [label, make] of [['a property nested 20,000 levels deep', deep], ['a getter that throws', getter]] as const) {
      it(`${label}: a Catch node still gets the error, with the rest of the message`, async () => {
        const f = await load((_req, res) => res.end('{}'));
        const out = await f.run({ _msgid: `uncopyable-${label}`, payload: 'x', topic: 'kept', other: make() });
        assert.equal(out.errors.length, 1, 'no Catch event');
        assert.equal(out.errors[0].error.code, 'INVALID_REQUEST');
        assert.equal(out.completes.length, 0);
        const caught: Msg = out.errors[0];
        assert.equal(caught.topic, 'kept');
        assert.match(String(caught.other), /not copied/);
        assert.equal(server!.requests, 0, 'nothing sent for a message that cannot be answered');
      });
    }
  });
});

describe('connection settings through a real Node-RED: Basic auth credentials, a password in the base URL, a timeout too long', function () {
  let server: HostileServer | undefined;
  let flow: FlowHarness | undefined;
  afterEach(async () => {
    await flow?.unload();
    await server?.close();
    flow = undefined;
    server = undefined;
  });

  it('is sent as Basic auth, and masked wherever an answer echoes it', async () => {
    const password = 'pa55-Word-Zq8Lm3';
    let authorization: string | undefined;
    server = await startHostileServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad credentials ${authorization} (${password})`, type: 'auth' } }));
    });
    flow = await FlowHarness.load({ api: { baseUrl: server.url.replace('http://', `http://proxy-user:${password}@`), maxRetries: '0' }, node: { resultFormat: 'text' } });
    const out = await flow.run({ payload: 'x' });
    assert.equal(authorization, `Basic ${Buffer.from(`proxy-user:${password}`).toString('base64')}`);
    assert.equal(out.errors[0].error.code, 'HTTP_ERROR');
    const seen = JSON.stringify(flow.events.map((e) => e.msg)) + flow.logLines().join('\n');
    assert.ok(!seen.includes(password), 'the password leaked');
  });

  it('the user and password credentials are sent as Basic auth; neither the password nor the header is shown when a server echoes them', async () => {
    const password = 'cred-Pa55-Rk7Wq2';
    const header = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;
    let authorization: string | undefined;
    server = await startHostileServer((req, res) => {
      authorization = req.headers.authorization;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo-authorization': String(authorization) });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'demo-instruct' }, { id: `model-${password}` }, { id: String(authorization) }] }));
        return;
      }
      res.writeHead(401, { 'content-type': 'application/json', 'x-echo-authorization': String(authorization) });
      res.end(JSON.stringify({ error: { message: `bad credentials ${authorization} (${password})`, type: 'auth', param: password } }));
    });
    flow = await FlowHarness.load({ api: { baseUrl: server.url, maxRetries: '0' }, credentials: { username: 'alice', password }, node: { resultFormat: 'text' } });
    const out = await flow.run({ payload: 'x' });
    assert.equal(authorization, header);
    assert.equal(out.errors[0].error.code, 'HTTP_ERROR');
    assert.match(out.errors[0].error.message, /\*\*\*/);
    const models = await helper.request().get('/completion-api/api/models');
    assert.equal(models.status, 200);
    assert.ok(models.body.models.includes('demo-instruct'), JSON.stringify(models.body));
    const seen = JSON.stringify(flow.events.map((e) => e.msg)) + flow.logLines().join('\n') + JSON.stringify(models.body);
    assert.ok(!seen.includes(password), 'the password leaked');
    assert.ok(!seen.includes(header.slice('Basic '.length)), 'the Authorization header leaked');
  });

  it('the credentials win over a user and password an older flow holds in its base URL, which never reach the request line or Host', async () => {
    let request: { authorization?: string; url?: string; host?: string } = {};
    server = await startHostileServer((req, res) => {
      request = { authorization: req.headers.authorization, url: req.url, host: req.headers.host };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'text_completion', created: 0, model: 'm', choices: [{ index: 0, text: 'ok', logprobs: null, finish_reason: 'stop' }] }));
    });
    const { host } = new URL(server.url);
    flow = await FlowHarness.load({
      api: { baseUrl: server.url.replace('http://', 'http://old-user:old-Pa55-Wd3@'), maxRetries: '0' },
      credentials: { username: 'alice', password: 'new-Pa55-Zt6' },
      node: { resultFormat: 'text' },
    });
    const out = await flow.run({ payload: 'x' });
    assert.equal(out.results[0].payload, 'ok');
    assert.deepEqual(request, { authorization: `Basic ${Buffer.from('alice:new-Pa55-Zt6').toString('base64')}`, url: '/v1/completions', host });
  });

  it('a timeout too long for Node.js timers makes the connection invalid rather than failing every request at once', async () => {
    flow = await FlowHarness.load({ api: { baseUrl: 'http://127.0.0.1:9/v1', timeout: '3000000' }, node: {} });
    const out = await flow.run({ payload: 'x' });
    assert.equal(out.errors[0].error.code, 'NO_CONNECTION');
    assert.match(flow.node('api').connectionError, /responseTimeout 3000000 is above its maximum of \d+, the longest Node\.js can wait/);
  });

  it('is not shown in the NO_CONNECTION error of a base URL that does not parse', async () => {
    const password = 'pa55-Word-Hx4Tn9';
    flow = await FlowHarness.load({ api: { baseUrl: `http://user:${password}@127.0.0.1:99999/v1` }, node: {} });
    const out = await flow.run({ payload: 'x' });
    assert.equal(out.errors[0].error.code, 'NO_CONNECTION');
    // What the error text says why (the test runtime shows catalog keys, not texts).
    assert.match(flow.node('api').connectionError, /base URL "http:\/\/user:\*\*\*@127\.0\.0\.1:99999\/v1"/);
    const seen = JSON.stringify(flow.events.map((e) => e.msg)) + flow.logLines().join('\n');
    assert.ok(!seen.includes(password), 'the password leaked');
  });
});
