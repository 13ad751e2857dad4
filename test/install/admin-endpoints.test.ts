import assert from 'node:assert/strict';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { startHostileServer, type HostileServer } from '../support/hostile-server';
import { packPackage, startInstalledNodeRed, type InstalledNodeRed } from '../support/installed-node-red';

const KEY = 'sk-models-endpoint-SECRET-42';
/** bcrypt of "reader-password-1", as Node-RED's adminAuth wants passwords. */
const READER_HASH = '$2b$08$IyvZkSY1G7VC0TY4mO62s.aMmoBiQn.gWdIvTgzsfDQs6dSmj05hG';

/**
 * The dialog's model list comes from an admin endpoint. With adminAuth on, it answers
 * only users who may read, and asks the server with the deployed connection's key,
 * which never reaches the browser.
 */
describe('the connection\'s admin endpoints (models, tokenize, check) in an installed, secured Node-RED', function () {
  this.timeout(120_000);
  let server: CompletionServer;
  let hostile: HostileServer;
  let red: InstalledNodeRed;

  before(async function () {
    server = await startCompletionServer({ requireApiKey: KEY });
    // A server that lists the key it was asked with as one of its models.
    hostile = await startHostileServer((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'real-model' }, { id: key }, { id: `prefix-${key}` }] }));
    });
    red = await startInstalledNodeRed({
      tarball: await packPackage(),
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password: READER_HASH, permissions: 'read' },
            { username: 'flows-only', password: READER_HASH, permissions: ['flows.read'] },
            { username: 'admin', password: READER_HASH, permissions: '*' },
          ],
          // Anyone may deploy in this test (the harness deploys without a token), but no more.
          default: { permissions: ['settings.read', 'flows.read', 'flows.write'] },
        },
      },
    });
    const connection = { type: 'completion-api', serverKind: 'openai', timeout: '5', maxRetries: '0', maxInFlight: '2', maxQueue: '10', maxResponseMB: '1', headers: [], apiVersion: '2024-10-21' };
    await red.deployFlow(
      [
        { ...connection, id: 'conn', name: 'local', baseUrl: server.url },
        { ...connection, id: 'echoing', name: 'echoes the key', baseUrl: hostile.url },
      ],
      { conn: { apiKey: KEY }, echoing: { apiKey: KEY } },
    );
  });
  after(async () => {
    await red?.stop();
    await server?.close();
    await hostile?.close();
  });

  const tokenFor = async (username: string, scope = 'read') => {
    const answer = await red.request('/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope, username, password: 'reader-password-1' }),
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    return ((await answer.json()) as { access_token: string }).access_token;
  };
  const models = (token?: string, id = 'conn') =>
    red.request(`/completion-api/${id}/models`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const post = (what: 'tokenize' | 'check', body: unknown, token?: string, id = 'conn') =>
    red.request(`/completion-api/${id}/${what}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('lists the server’s models for a user with read permission, asking with the connection’s key', async () => {
    const answer = await models(await tokenFor('reader'));
    const text = await answer.text();
    assert.equal(answer.status, 200, text);
    // The demo server lists what it serves: OpenAI's own completion models were shut down on 2026-09-28.
    assert.deepEqual(JSON.parse(text).models, ['demo-instruct']);
    assert.ok(!text.includes(KEY));
    const asked = server.requests.filter((r) => r.method === 'GET').at(-1);
    assert.equal(asked?.headers.authorization, `Bearer ${KEY}`);
  });

  it('never hands a read-only user the key, even when the server lists it as a model', async () => {
    const answer = await models(await tokenFor('reader'), 'echoing');
    const text = await answer.text();
    assert.equal(answer.status, 200, text);
    assert.ok(!text.includes(KEY), text);
    assert.deepEqual(JSON.parse(text).models, ['***', 'prefix-***', 'real-model']);
  });

  it('refuses anonymous users and users without read permission on it', async () => {
    assert.equal((await models()).status, 401);
    assert.equal((await models(await tokenFor('flows-only', 'flows.read'))).status, 401);
  });

  it('says to deploy first for a connection the runtime does not know', async () => {
    const answer = await models(await tokenFor('reader'), 'not-deployed');
    assert.equal(answer.status, 404);
    assert.match(((await answer.json()) as { error: string }).error, /deploy/);
  });

  it('tokenize: the token ids of a text as the connection counts them, for a user who may read', async () => {
    const answer = await post('tokenize', { text: 'Say this is a test', model: 'demo-instruct' }, await tokenFor('reader'));
    const text = await answer.text();
    assert.equal(answer.status, 200, text);
    // The connection is OpenAI's kind: OpenAI's encoding, cl100k_base.
    assert.deepEqual(JSON.parse(text).tokens, [46864, 420, 374, 264, 1296]);
    assert.equal((await post('tokenize', { text: 'x' })).status, 401);
    assert.equal((await post('tokenize', { text: '' }, await tokenFor('reader'))).status, 400);
  });

  it('check: what the server honours, only for a user who may write (it spends tokens), with no key in the report', async () => {
    assert.equal((await post('check', {}, await tokenFor('reader'))).status, 401);
    const answer = await post('check', {}, await tokenFor('admin', '*'));
    const text = await answer.text();
    assert.equal(answer.status, 200, text);
    assert.ok(!text.includes(KEY));
    const report = JSON.parse(text) as { kind: string; model: string; checks: Array<{ id: string; ok: boolean | null; detail: string }> };
    assert.equal(report.kind, 'openai');
    assert.equal(report.model, 'demo-instruct');
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['models', 'plain', 'usage', 'stream', 'logprobs', 'n', 'echo', 'tokens', 'seed', 'tokenize']) assert.equal(byId[id]?.ok, true, `${id}: ${byId[id]?.detail}`);
    assert.equal((await post('check', {}, await tokenFor('admin', '*'), 'not-deployed')).status, 404);
  });
});
