// Proves that users can install the package: `npm pack` → `npm install <tarball>` into a
// fresh Node-RED user directory → the real Node-RED (the project's dev dependency) as a
// child process, driven only through its HTTP APIs, as the editor and a user would.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import {
  completionFlow,
  MODULE_NAME,
  packPackage,
  repositoryRoot,
  startInstalledNodeRed,
  type InstalledNodeRed,
} from '../support/installed-node-red';

const API_KEY = 'sk-test-SECRET-1234567890';
const WRONG_KEY = 'sk-test-WRONG-0987654321';

describe('installed package: npm pack → npm install → real Node-RED', function () {
  this.timeout(60_000);

  let server: CompletionServer;
  let red: InstalledNodeRed;

  before(async function () {
    this.timeout(240_000);
    server = await startCompletionServer({ requireApiKey: API_KEY });
    const packStart = Date.now();
    const tarball = await packPackage();
    const packMs = Date.now() - packStart;
    red = await startInstalledNodeRed({ tarball });
    // Timings for the report (mocha prints console output between tests).
    console.log(`      pack ${packMs} ms (0: packed earlier in this process), npm install ${red.timings.installMs} ms, Node-RED start ${red.timings.startMs} ms`);
  });

  after(async function () {
    this.timeout(20_000);
    await red?.stop();
    await server?.close();
  });

  function installedFile(...parts: string[]): string {
    return path.join(red.userDir, 'node_modules', MODULE_NAME, ...parts);
  }

  it('the tarball holds the compiled nodes, their editor HTML, locales and icons', function () {
    const pkg = JSON.parse(fs.readFileSync(installedFile('package.json'), 'utf8'));
    for (const file of Object.values<string>(pkg['node-red'].nodes)) {
      assert.ok(fs.existsSync(installedFile(file)), `${file} is missing from the installed package`);
      assert.ok(fs.existsSync(installedFile(file.replace(/\.js$/, '.html'))), `editor HTML of ${file} is missing`);
    }
    assert.ok(fs.existsSync(installedFile('dist/nodes/locales/en-US/create-completion.json')), 'en-US catalog missing');
    assert.ok(fs.existsSync(installedFile('dist/nodes/icons/create-completion.svg')), 'icon missing');
    assert.ok(fs.existsSync(installedFile('resources/editor-common.js')), 'shared editor helpers missing');
    for (const file of ['README.md', 'LICENSE']) assert.ok(fs.existsSync(installedFile(file)), `${file} is missing`);
    assert.ok(!fs.existsSync(installedFile('dist/test')), 'tests must not be shipped');
    assert.ok(!fs.existsSync(installedFile('node_modules', 'node-red')), 'dev dependencies must not be installed');
  });

  it('GET /nodes lists the module with both node types enabled and without error', async function () {
    const res = await red.request('/nodes', { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets: any[] = await res.json();
    const ours = sets.filter((set) => set.module === MODULE_NAME);
    assert.ok(ours.length > 0, `module not listed; log:\n${red.log()}`);
    const types = ours.flatMap((set) => set.types);
    assert.ok(types.includes('create-completion'), `types: ${types}`);
    assert.ok(types.includes('completion-api'), `types: ${types}`);
    for (const set of ours) {
      assert.equal(set.enabled, true, `${set.id} is not enabled`);
      assert.equal(set.err, undefined, `${set.id} failed to load: ${set.err}`);
      assert.ok(set.types.length > 0, `${set.id} registered no type`);
    }
    assert.deepEqual(ours.map((set) => set.id).sort(), [`${MODULE_NAME}/completion-api`, `${MODULE_NAME}/create-completion`]);
    assert.doesNotMatch(red.log(), /\[(error|warn)\].*(create-completion|completion-api)/i);
  });

  it('GET /nodes/<module> describes the installed module', async function () {
    const res = await red.request(`/nodes/${MODULE_NAME}`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const info = await res.json();
    const pkg = JSON.parse(fs.readFileSync(path.join(repositoryRoot(), 'package.json'), 'utf8'));
    assert.equal(info.name, MODULE_NAME);
    assert.equal(info.version, pkg.version);
    assert.deepEqual(info.nodes.map((n: any) => n.name).sort(), ['completion-api', 'create-completion']);
  });

  it('serves the editor HTML with the help text and the icon name', async function () {
    // GET /nodes/<module> always answers JSON; the HTML of a node set is at /nodes/<module>/<set>.
    const res = await red.request(`/nodes/${MODULE_NAME}/create-completion`, { headers: { Accept: 'text/html' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /RED\.nodes\.registerType\(\s*["']create-completion["']/);
    assert.match(html, /data-template-name=["']create-completion["']/);
    assert.match(html, /data-help-name=["']create-completion["']/, 'help text missing');
    assert.match(html, /<h3>[^<]*Inputs/i, 'help has no Inputs heading');
    assert.match(html, /<h3>[^<]*Outputs/i, 'help has no Outputs heading');
    assert.match(html, /icon:\s*["']create-completion\.svg["']/);

    const api = await red.request(`/nodes/${MODULE_NAME}/completion-api`, { headers: { Accept: 'text/html' } });
    const apiHtml = await api.text();
    assert.match(apiHtml, /RED\.nodes\.registerType\(\s*["']completion-api["']/);
    assert.match(apiHtml, /apiKey:\s*\{\s*type:\s*["']password["']/, 'apiKey must be a password credential');
    assert.match(apiHtml, /data-help-name=["']completion-api["']/, 'completion-api help text missing');

    // The editor loads all node HTML in one request: ours must be part of it.
    const all = await red.request('/nodes', { headers: { Accept: 'text/html' } });
    assert.match(await all.text(), /registerType\(\s*["']create-completion["']/);
  });

  it('serves the message catalogs', async function () {
    for (const set of ['create-completion', 'completion-api']) {
      const res = await red.request(`/locales/${MODULE_NAME}/${set}?lng=en-US`);
      assert.equal(res.status, 200);
      const catalog = await res.json();
      assert.equal(typeof catalog[set], 'object', `catalog of ${set} has no "${set}" namespace: ${JSON.stringify(catalog).slice(0, 200)}`);
      assert.ok(Object.keys(catalog[set]).length > 0);
    }
    const catalog = await (await red.request(`/locales/${MODULE_NAME}/create-completion?lng=en-US`)).json();
    assert.equal(typeof catalog['create-completion'].label, 'object');
  });

  it('serves its own icon (not the default fallback)', async function () {
    const res = await red.request(`/icons/${MODULE_NAME}/create-completion.svg`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /image\/svg\+xml/);
    const served = Buffer.from(await res.arrayBuffer());
    // Node-RED answers 200 with a default icon for an unknown name: compare the bytes.
    assert.ok(served.equals(fs.readFileSync(installedFile('dist/nodes/icons/create-completion.svg'))), 'served icon is not ours');
  });

  it('serves the editor helpers both dialogs load from resources/', async function () {
    const res = await red.request(`/resources/${MODULE_NAME}/editor-common.js`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), fs.readFileSync(installedFile('resources/editor-common.js'), 'utf8'));
  });

  it('offers every example flow under Import → Examples', async function () {
    const shipped = fs.readdirSync(path.join(repositoryRoot(), 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(shipped.length > 0, 'no examples in the repository');
    const modules = await (await red.request('/library/examples/flows/')).json();
    assert.ok(modules.includes(MODULE_NAME), `examples of the module not found: ${JSON.stringify(modules)}`);
    const listing = await (await red.request(`/library/examples/flows/${MODULE_NAME}`)).json();
    const names: string[] = listing.map((entry: { fn: string }) => entry.fn);
    assert.deepEqual([...names].sort(), shipped.map((f) => f.replace(/\.json$/, '')).sort());
    const first = await red.request(`/library/examples/flows/${MODULE_NAME}/${encodeURIComponent(names[0])}`);
    assert.equal(first.status, 200);
    const flow = await first.json();
    assert.ok(Array.isArray(flow) && flow.some((n: any) => n.type === 'create-completion'), 'example flow has no create-completion node');
  });

  describe('a deployed flow http in → create-completion → http response', function () {
    before(async function () {
      const main = completionFlow({
        route: 'run',
        api: { baseUrl: server.url },
        apiCredentials: { apiKey: API_KEY, organization: '', project: '' },
        node: { max_tokens: '' },
      });
      const wrong = completionFlow({
        route: 'run-wrong-key',
        api: { baseUrl: server.url },
        apiCredentials: { apiKey: WRONG_KEY },
        node: { resultFormat: 'text' },
      });
      await red.deployFlow([...main.flow, ...wrong.flow], { ...main.credentials, ...wrong.credentials });
    });

    beforeEach(() => server.reset());

    it('answers with a completion from the server, sent with the API key', async function () {
      const answer = await red.run('run', { model: 'demo-instruct', prompt: 'Say hi', max_tokens: 5 });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.error, undefined, answer.text);
      const result = answer.body.result!;
      assert.equal(result.payload.status, 200);
      assert.equal(result.statusCode, 200);
      assert.equal(typeof result.headers, 'object');
      const text = result.payload.body.choices[0].text;
      assert.equal(typeof text, 'string');
      assert.ok(text.length > 0, 'empty completion text');

      const calls = server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/completions'));
      assert.equal(calls.length, 1);
      assert.equal(calls[0].headers.authorization, `Bearer ${API_KEY}`);
      assert.deepEqual(calls[0].body, { model: 'demo-instruct', prompt: 'Say hi', max_tokens: 5 });
      assertNoKey(API_KEY, answer.text, 'the flow answer body');
      const headerLines: string[] = [];
      answer.headers.forEach((value, name) => headerLines.push(`${name}: ${value}`));
      assertNoKey(API_KEY, headerLines.join('\n'), 'the flow answer headers');
    });

    it('takes a prompt string as msg.payload, with the model from the node', async function () {
      const answer = await red.run('run', 'Once upon a time');
      assert.equal(answer.status, 200, answer.text);
      assert.ok(answer.body.result!.payload.body.choices[0].text.length > 0);
      const call = server.requests.find((r) => r.path.endsWith('/completions'))!;
      assert.deepEqual(call.body, { model: 'demo-instruct', prompt: 'Once upon a time' });
    });

    it('streams with stream: true: chunks, then the assembled result', async function () {
      const answer = await red.run('run', { model: 'demo-instruct', prompt: 'Count to three', max_tokens: 8, stream: true });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.error, undefined, answer.text);
      const chunks = answer.body.chunks!;
      const result = answer.body.result!;
      assert.ok(chunks.length >= 1, 'no stream chunk arrived');
      for (const chunk of chunks) {
        assert.equal(chunk.payload.status, 200);
        assert.equal(typeof chunk.parts?.id, 'string');
        assert.equal(chunk.parts!.id, result.parts!.id);
      }
      assert.equal(result.complete, true);
      const text = result.payload.body.choices[0].text;
      assert.ok(text.length > 0, 'empty assembled text');
      const streamed = chunks.map((c) => c.payload.body.choices?.[0]?.text ?? '').join('');
      assert.equal(text, streamed);
      const call = server.requests.find((r) => r.path.endsWith('/completions'))!;
      assert.equal((call.body as any).stream, true);
      assert.equal(call.headers.authorization, `Bearer ${API_KEY}`);
      assertNoKey(API_KEY, answer.text, 'the streamed flow answer');
    });

    it('a wrong key fails the message with a catchable error that does not reveal the key', async function () {
      const answer = await red.run('run-wrong-key', { model: 'demo-instruct', prompt: 'Say hi' });
      assert.equal(answer.status, 500, answer.text);
      assert.ok(answer.body.error?.message, answer.text);
      assert.match(answer.body.error!.message, /401/);
      assertNoKey(WRONG_KEY, answer.text, 'the error answer');
      assertNoKey(WRONG_KEY, red.log(), 'the Node-RED log');
    });

    it('the API key appears in none of GET /flows, flows.json, flows_cred.json, the log', async function () {
      const flows = await red.getFlows();
      const apiNode = flows.flows.find((n: any) => n.type === 'completion-api' && n.id === 'run_api');
      assert.ok(apiNode, 'config node not deployed');
      assert.equal(apiNode.credentials, undefined, 'GET /flows must not return credentials');
      assertNoKey(API_KEY, JSON.stringify(flows), 'GET /flows');

      const flowsJson = red.readUserFile('flows.json');
      assert.ok(flowsJson.includes('create-completion'), 'flows.json was not written');
      assertNoKey(API_KEY, flowsJson, 'flows.json');

      const credFile = red.readUserFile('flows_cred.json');
      assert.ok(credFile.length > 0, 'flows_cred.json was not written');
      assert.ok(Object.keys(JSON.parse(credFile)).includes('$'), 'flows_cred.json is not encrypted');
      assertNoKey(API_KEY, credFile, 'flows_cred.json');
      assertNoKey(API_KEY, red.exportFlowFile(), 'the exported flow files');

      // The editor sees only has_apiKey.
      const creds = await (await red.request('/credentials/completion-api/run_api')).json();
      assert.equal(creds.has_apiKey, true);
      assertNoKey(API_KEY, JSON.stringify(creds), 'GET /credentials');

      assertNoKey(API_KEY, red.log(), 'the Node-RED log');
    });
  });
});

function assertNoKey(key: string, text: string, where: string): void {
  assert.ok(!text.includes(key), `the API key appears in ${where}`);
  // Also the key's distinctive middle, in case something prints it partially masked at the ends.
  const middle = key.slice(4, -4);
  assert.ok(!text.includes(middle), `part of the API key appears in ${where}`);
}
