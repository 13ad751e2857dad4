// The completion-api dialog (the connection), tested in a real browser: a new connection
// picks its server from kinds grouped by family, each kind fills in its usual local
// address, an Azure endpoint with /v1 is marked, the limits come in three groups with
// their defaults shown, Check shows what the deployed connection's server honours, and a
// user and password typed into the base URL become credentials rather than flow settings.
// The grouped dialog goes to docs/connection-dialog.png for the README.
//
// CI installs Chromium (.ci/run); without /usr/bin/chromium this test fails, it never skips.
import assert from 'node:assert/strict';
import path from 'node:path';
import { CONNECTION_FACTS } from '../../nodes/lib/editor-facts';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { closeConnectionDialog, closeDialog, deployAndReload, openEditor, openNodeDialog, publish, shootDialog, startEditorSession, type EditorSession } from '../support/browser-editor';
import { completionFlow } from '../support/installed-node-red';

const FAMILY_LABELS = [
  'Servers you run',
  'Hosted services and others',
  'OpenAI and Azure (fine-tuned and still-deployed models only)',
];

/** What a Check answers, as the runtime's contract says (POST completion-api/<id>/check). */
const CHECK_ANSWER = {
  kind: 'other',
  suggestedKind: 'llamacpp',
  checks: [
    { id: 'models', ok: true, detail: '1 model: demo-instruct' },
    { id: 'plain', ok: true, detail: '200, 1 token' },
    { id: 'stream', ok: true, detail: 'ends with [DONE]' },
    { id: 'echo', ok: false, detail: 'the answer does not start with the prompt' },
    { id: 'seed', ok: null, detail: 'not known' },
  ],
};

describe('completion-api dialog in a real browser (Chromium + playwright-core)', function () {
  this.timeout(60_000);

  let session: EditorSession;
  let page: EditorSession['page'];
  /** A server that answers as llama.cpp does, behind a connection that does not know it yet. */
  let llama: CompletionServer;

  before(async function () {
    this.timeout(240_000);
    session = await startEditorSession();
    page = session.page;
    llama = await startCompletionServer({ dialect: 'llamacpp' });
    await deployAndReload(session, [
      { id: 'c-llama', type: 'completion-api', name: 'unknown server', serverKind: 'other', baseUrl: llama.url },
      { id: 'c-cc-llama', type: 'create-completion', z: 'c-tab', api: 'c-llama', model: '', prompt: 'hi', x: 200, y: 300, wires: [[], []] },
      { id: 'c-tab', type: 'tab', label: 'connections' },
      { id: 'c-cc', type: 'create-completion', z: 'c-tab', model: 'demo-instruct', prompt: 'hi', x: 200, y: 100, wires: [[], []] },
      // Saved without a kind (by hand, or before kinds existed): OpenAI, as at runtime.
      { id: 'c-old', type: 'completion-api', name: 'old', baseUrl: 'http://10.0.0.2:8080/v1' },
      { id: 'c-cc-old', type: 'create-completion', z: 'c-tab', api: 'c-old', model: 'm', prompt: 'hi', x: 200, y: 200, wires: [[], []] },
    ]);
  });

  after(async function () {
    this.timeout(30_000);
    await session?.close();
    await llama?.close();
  });

  async function addConnection(): Promise<void> {
    await openNodeDialog(page, 'c-cc');
    await page.locator('#node-input-btn-api-add, #node-input-lookup-api').first().click();
    await page.waitForSelector('#node-config-input-serverKind', { state: 'visible' });
  }

  it('a new connection asks for the server: no kind chosen, marked, kinds grouped by family (the servers people run first)', async function () {
    await addConnection();
    assert.equal(await page.inputValue('#node-config-input-serverKind'), '');
    assert.match(await page.locator('#node-config-input-serverKind option[value=""]').innerText(), /choose the server/);
    await page.waitForFunction(() => document.querySelector('#node-config-input-serverKind')!.classList.contains('input-error'));
    await page.locator('#cc-kind-choose').waitFor({ state: 'visible' });
    const groups = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#node-config-input-serverKind optgroup')).map((g) => ({
        label: g.getAttribute('label'),
        kinds: Array.from(g.querySelectorAll('option')).map((o) => (o as HTMLOptionElement).value),
      })));
    assert.deepEqual(groups.map((g) => g.label), FAMILY_LABELS);
    const byFamily = (family: string) => CONNECTION_FACTS.kinds.filter((k) => CONNECTION_FACTS.profiles[k].family === family);
    assert.deepEqual(groups.map((g) => g.kinds), [byFamily('self-hosted'), byFamily('hosted'), byFamily('legacy')]);
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), '');
  });

  it('each kind fills in its usual local address while the field is blank or another kind\'s; a typed address stays', async function () {
    for (const kind of ['llamacpp', 'ollama', 'vllm', 'lmstudio', 'localai', 'openai'] as const) {
      await page.selectOption('#node-config-input-serverKind', kind);
      assert.equal(await page.inputValue('#node-config-input-baseUrl'), CONNECTION_FACTS.profiles[kind].defaultBaseUrl, kind);
    }
    await page.waitForFunction(() => !document.querySelector('#node-config-input-serverKind')!.classList.contains('input-error'));
    // A kind without a usual address clears another kind's.
    await page.selectOption('#node-config-input-serverKind', 'other');
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), '');
    await page.fill('#node-config-input-baseUrl', 'http://gpu-box:9000/v1');
    await page.selectOption('#node-config-input-serverKind', 'vllm');
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), 'http://gpu-box:9000/v1');
    // What the chosen server does differently is shown under the kind.
    await page.selectOption('#node-config-input-serverKind', 'ollama');
    assert.match(await page.locator('#cc-kind-about').innerText(), /A server you run yourself/);
    assert.match(await page.locator('#cc-kind-about').innerText(), /echo = true is not for Ollama, which ignores it/);
  });

  it('marks a /v1 left in an Azure address, and clears the mark once the resource endpoint is right', async function () {
    await page.fill('#node-config-input-baseUrl', 'http://localhost:8080/v1');
    await page.selectOption('#node-config-input-serverKind', 'llamacpp');
    await page.fill('#node-config-input-baseUrl', 'https://res.openai.azure.com/v1');
    await page.selectOption('#node-config-input-serverKind', 'azure');
    // A typed address stays; it is marked, and the hint says what Azure takes.
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), 'https://res.openai.azure.com/v1');
    await page.waitForFunction(() => document.querySelector('#node-config-input-baseUrl')!.classList.contains('input-error'));
    assert.match(await page.locator('.cc-hint-baseUrlAzure').innerText(), /without \/v1/);
    await page.locator('.cc-row-apiVersion').first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-apiVersion').getAttribute('placeholder'), CONNECTION_FACTS.defaultApiVersion);
    await page.fill('#node-config-input-baseUrl', 'https://res.openai.azure.com');
    await page.locator('#node-config-input-baseUrl').press('Tab');
    await page.waitForFunction(() => !document.querySelector('#node-config-input-baseUrl')!.classList.contains('input-error'));
    // Switching away from Azure: a llama.cpp server on this machine.
    await page.fill('#node-config-input-baseUrl', '');
    await page.selectOption('#node-config-input-serverKind', 'llamacpp');
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), CONNECTION_FACTS.profiles.llamacpp.defaultBaseUrl);
  });

  it('groups the limits: time-outs, retries, requests in flight and queue, each field showing its default', async function () {
    const groups = await page.evaluate(() => {
      const body = document.querySelector('.cc-api-form .cc-section-body[data-section="limits"]')!;
      const out: Array<{ group: string; fields: string[] }> = [];
      for (const el of Array.from(body.children)) {
        if (el.classList.contains('cc-group')) out.push({ group: (el.textContent ?? '').trim(), fields: [] });
        const input = el.querySelector('input[id^="node-config-input-"]:not([type="hidden"])');
        if (input && out.length) out[out.length - 1].fields.push(input.id.replace('node-config-input-', ''));
      }
      return out;
    });
    assert.deepEqual(groups, [
      { group: 'Timeouts', fields: ['connectTimeout', 'responseTimeout', 'idleTimeout'] },
      { group: 'Retries', fields: ['maxRetries', 'maxRetryWait', 'retryTimeouts'] },
      { group: 'Requests in flight and queue', fields: ['maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB'] },
    ]);
    for (const [name, field] of Object.entries(CONNECTION_FACTS.fields) as Array<[string, { default?: number }]>) {
      if ((await page.locator(`#node-config-input-${name}`).count()) === 0) continue;
      assert.equal(await page.locator(`#node-config-input-${name}`).getAttribute('placeholder') ?? '', field.default === undefined ? '' : String(field.default), name);
    }
  });

  it('tokens and cost: folded for a new connection, the context guard on, the cache\'s fields only with the cache, a cost budget without prices flagged', async function () {
    const section = page.locator('.cc-api-form .cc-section[data-section="accounting"]');
    assert.equal(await page.locator('#node-config-input-contextLength').isVisible(), false);
    await section.click();
    await page.locator('#node-config-input-contextLength').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-contextGuard').isChecked(), true);
    assert.equal(await page.inputValue('#node-config-input-budgetPeriod'), 'day');
    assert.equal(await page.locator('#node-config-input-cacheTtl').isVisible(), false);
    await page.click('#node-config-input-cache');
    await page.locator('#node-config-input-cacheTtl').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-cacheTtl').getAttribute('placeholder'), String(CONNECTION_FACTS.fields.cacheTtl.default));
    await page.click('#node-config-input-cache');
    await page.fill('#node-config-input-budgetCost', '5');
    await page.locator('#cc-budget-cost-unpriced').waitFor({ state: 'visible' });
    await page.fill('#node-config-input-pricePrompt', '0.2');
    await page.locator('#cc-budget-cost-unpriced').waitFor({ state: 'hidden' });
    await page.fill('#node-config-input-contextLength', '0');
    await page.locator('#node-config-input-contextLength').press('Tab');
    await page.waitForFunction(() => document.querySelector('#node-config-input-contextLength')!.classList.contains('input-error'));
    for (const id of ['contextLength', 'budgetCost', 'pricePrompt']) await page.fill(`#node-config-input-${id}`, '');
    await page.locator('#node-config-input-pricePrompt').press('Tab');
    await section.click();
  });

  it('Check before deploy says to deploy first', async function () {
    await page.locator('.cc-api-form .cc-section[data-section="check"]').click();
    await page.locator('#cc-check-run').waitFor({ state: 'visible' });
    await page.click('#cc-check-run');
    await page.waitForFunction(() => /Deploy the connection first/.test(document.querySelector('#cc-check-status')!.textContent ?? ''));
  });

  it('Check shows the answer as a table (✓ ✗ –) and offers the suggested kind', async function () {
    // The answer of the runtime's endpoint, as its contract has it.
    let asked: unknown;
    await page.route('**/completion-api/*/check', async (route) => {
      asked = route.request().postDataJSON();
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(CHECK_ANSWER) });
    });
    await page.selectOption('#node-config-input-serverKind', 'other');
    await page.fill('#node-config-input-baseUrl', session.server.url);
    await page.fill('#cc-check-model', 'demo-instruct');
    await page.click('#cc-check-run');
    await page.locator('.cc-check-table tr').first().waitFor({ state: 'visible' });
    assert.deepEqual(asked, { model: 'demo-instruct' });
    const rows = await page.locator('.cc-check-table tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['✓', 'model list', '1 model: demo-instruct'],
      ['✓', 'plain completion', '200, 1 token'],
      ['✓', 'streaming', 'ends with [DONE]'],
      ['✗', 'echo of the prompt', 'the answer does not start with the prompt'],
      ['–', 'same seed, same text', 'not known'],
    ]);
    assert.match(await page.locator('#cc-check-suggestion').innerText(), /answers like llama\.cpp server, not like Other OpenAI-compatible/);
    await page.click('#cc-check-use');
    assert.equal(await page.inputValue('#node-config-input-serverKind'), 'llamacpp');
    assert.equal(await page.locator('#cc-check-use').isDisabled(), true);
    await page.unroute('**/completion-api/*/check');
  });

  it('adds the new connection', async function () {
    await page.selectOption('#node-config-input-serverKind', 'other');
    await page.fill('#node-config-input-baseUrl', session.server.url);
    await closeConnectionDialog(page, 'ok');
    await closeDialog(page, 'ok');
    const api = await page.evaluate(() => {
      const RED = (window as any).RED;
      const node = RED.nodes.node(RED.nodes.node('c-cc').api);
      return { serverKind: node.serverKind, baseUrl: node.baseUrl, valid: node.valid };
    });
    assert.deepEqual(api, { serverKind: 'other', baseUrl: session.server.url, valid: true });
  });

  it('a connection saved without a kind opens as OpenAI, as at runtime, and stays valid', async function () {
    await openNodeDialog(page, 'c-cc-old');
    await page.click('#node-input-btn-api-edit, #node-input-lookup-api');
    await page.waitForSelector('#node-config-input-serverKind', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-serverKind'), CONNECTION_FACTS.kindWhenMissing);
    assert.equal(await page.inputValue('#node-config-input-baseUrl'), 'http://10.0.0.2:8080/v1');
    assert.equal(await page.locator('#node-config-input-serverKind.input-error').count(), 0);
    // Saved before the context guard existed: on, as at runtime.
    assert.equal(await page.locator('#node-config-input-contextGuard').isChecked(), true);
    await closeConnectionDialog(page);
    await closeDialog(page);
  });

  it('Check asks the deployed connection\'s server for real: every check in the table, and the kind its answers fit', async function () {
    this.timeout(90_000);
    await openNodeDialog(page, 'c-cc-llama');
    await page.click('#node-input-btn-api-edit, #node-input-lookup-api');
    await page.waitForSelector('#node-config-input-serverKind', { state: 'visible' });
    // A deployed connection opens with its check unfolded.
    await page.locator('#cc-check-run').waitFor({ state: 'visible' });
    await page.click('#cc-check-run');
    await page.locator('.cc-check-table tr').first().waitFor({ state: 'visible', timeout: 60_000 });
    const rows = await page.locator('.cc-check-table tr').evaluateAll((trs) => trs.map((tr) => ({
      id: tr.getAttribute('data-check'),
      mark: tr.querySelector('.cc-check-mark')!.textContent,
      name: tr.querySelector('.cc-check-name')!.textContent,
      detail: tr.querySelector('.cc-check-detail')!.textContent,
    })));
    assert.deepEqual(rows.map((r) => r.id).sort(), ['models', 'plain', 'stream', 'usage', 'logprobs', 'n', 'echo', 'tokens', 'stop', 'seed', 'tokenize', 'context'].sort());
    for (const row of rows) {
      assert.ok(['✓', '✗', '–'].includes(row.mark!), JSON.stringify(row));
      assert.notEqual(row.name, row.id, `${row.id} has a name of its own`);
    }
    const byId = Object.fromEntries(rows.map((r) => [r.id, r.mark]));
    assert.equal(byId.models, '✓');
    assert.equal(byId.plain, '✓');
    assert.match(await page.locator('#cc-check-suggestion').innerText(), /answers like llama\.cpp server/);
    await page.click('#cc-check-use');
    assert.equal(await page.inputValue('#node-config-input-serverKind'), 'llamacpp');
    // The server was asked, with nothing from the editor but the model it chose.
    assert.ok(llama.requests.length >= 5, `${llama.requests.length} requests`);
    // The grouped dialog with a real check, for the README (the address as a local llama.cpp has it).
    await page.fill('#node-config-input-name', 'llama.cpp on this machine');
    await page.fill('#node-config-input-baseUrl', CONNECTION_FACTS.profiles.llamacpp.defaultBaseUrl!);
    await page.locator('.cc-api-form .cc-section[data-section="accounting"]').click();
    const file = path.join(session.artifacts, 'connection-dialog.png');
    await shootDialog(session, page, '.cc-api-form', file);
    publish(file, 'connection-dialog.png');
    await closeConnectionDialog(page);
    await closeDialog(page);
  });

  describe('a user and password in the base URL', () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    /** The Authorization header of the next completion request the deployed flow sends. */
    async function sentAuthorization(route: string): Promise<unknown> {
      const before = session.server.requests.length;
      const answer = await session.red.run(route, 'Say hi');
      assert.equal(answer.status, 200, answer.text);
      const posts = session.server.requests.slice(before).filter((r) => r.method === 'POST');
      assert.equal(posts.length, 1);
      assert.equal(posts[0].pathname, '/v1/completions');
      return posts[0].headers.authorization;
    }
    async function openConnection(ccId: string): Promise<void> {
      await openNodeDialog(page, ccId);
      await page.click('#node-input-btn-api-edit, #node-input-lookup-api');
      await page.waitForSelector('#node-config-input-baseUrl', { state: 'visible' });
    }
    async function doneAndDeploy(): Promise<void> {
      await closeConnectionDialog(page, 'ok');
      await closeDialog(page, 'ok');
      await page.click('#red-ui-header-button-deploy');
      await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor({ state: 'visible' });
    }
    /** What the flow itself holds, as GET /flows and flows.json have it. */
    async function flowTexts(): Promise<string[]> {
      return [JSON.stringify((await session.red.getFlows()).flows), session.red.readUserFile('flows.json')];
    }

    it('typed into Base URL: moved into User and Password at once; after Done and Deploy the flow holds neither, and requests carry them as Basic auth', async function () {
      this.timeout(90_000);
      const built = completionFlow({ route: 'typed', api: { serverKind: 'other', baseUrl: session.server.url }, node: { prompt: 'hi', max_tokens: '2' } });
      await deployAndReload(session, built.flow, built.credentials);
      await openConnection(built.ids.completion);
      await page.fill('#node-config-input-baseUrl', `http://alice:s%40cret@127.0.0.1:${session.server.port}/v1`);
      await page.locator('#node-config-input-baseUrl').press('Tab');
      await page.waitForFunction(() => (document.querySelector('#node-config-input-username') as HTMLInputElement).value === 'alice');
      assert.equal(await page.inputValue('#node-config-input-baseUrl'), session.server.url);
      assert.equal(await page.inputValue('#node-config-input-password'), 's@cret');
      await page.locator('#cc-userinfo-moved').waitFor({ state: 'visible' });
      await page.locator('#node-config-input-password').waitFor({ state: 'visible' });
      await doneAndDeploy();

      const api = (await session.red.getFlows()).flows.find((n: any) => n.id === built.ids.api);
      assert.equal(api.baseUrl, session.server.url);
      for (const text of await flowTexts()) {
        for (const leak of ['s@cret', 's%40cret', 'alice:']) assert.ok(!text.includes(leak), `the flow holds "${leak}"`);
      }
      const creds = await (await session.red.request(`/credentials/completion-api/${built.ids.api}`)).json();
      assert.equal(creds.username, 'alice');
      assert.equal(creds.has_password, true);
      assert.ok(!JSON.stringify(creds).includes('s@cret'), 'the password reaches the editor');
      assert.equal(await sentAuthorization('typed'), basic('alice', 's@cret'));

      // A fresh editor shows the user, and that a password is kept, not the password.
      await openEditor(page, session.red.url);
      await openConnection(built.ids.completion);
      assert.equal(await page.inputValue('#node-config-input-username'), 'alice');
      assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__');
      assert.equal(await page.locator('#cc-userinfo-moved').isVisible(), false);
      await closeConnectionDialog(page);
      await closeDialog(page);
    });

    it('in an imported flow: used as they are until the dialog is opened and saved, which moves them into the credentials', async function () {
      this.timeout(90_000);
      const built = completionFlow({
        route: 'imported',
        api: { serverKind: 'other', baseUrl: `http://bob:old%40pw@127.0.0.1:${session.server.port}/v1` },
        node: { prompt: 'hi', max_tokens: '2' },
      });
      await deployAndReload(session, built.flow, built.credentials);
      assert.equal(await sentAuthorization('imported'), basic('bob', 'old@pw'));
      await openConnection(built.ids.completion);
      await page.waitForFunction(() => (document.querySelector('#node-config-input-username') as HTMLInputElement).value === 'bob');
      assert.equal(await page.inputValue('#node-config-input-baseUrl'), session.server.url);
      assert.equal(await page.inputValue('#node-config-input-password'), 'old@pw');
      await doneAndDeploy();
      for (const text of await flowTexts()) {
        for (const leak of ['old@pw', 'old%40pw', 'bob:']) assert.ok(!text.includes(leak), `the flow holds "${leak}"`);
      }
      assert.equal(await sentAuthorization('imported'), basic('bob', 'old@pw'));
    });
  });

  describe('a node without a connection', () => {
    it('gets the only connection there is, rather than Node-RED\'s "none"; with two to choose from it stays unset', async function () {
      this.timeout(120_000);
      await deployAndReload(session, [
        { id: 'solo-tab', type: 'tab', label: 'solo' },
        { id: 'solo-api', type: 'completion-api', name: 'the only one', serverKind: 'llamacpp', baseUrl: llama.url },
        { id: 'solo-cc', type: 'create-completion', z: 'solo-tab', prompt: 'hi', x: 200, y: 100, wires: [[], []] },
      ]);
      await openNodeDialog(page, 'solo-cc');
      assert.equal(await page.inputValue('#node-input-api'), 'solo-api');
      await closeDialog(page);
      await deployAndReload(session, [
        { id: 'solo-tab', type: 'tab', label: 'solo' },
        { id: 'solo-api', type: 'completion-api', name: 'one', serverKind: 'llamacpp', baseUrl: llama.url },
        { id: 'other-api', type: 'completion-api', name: 'two', serverKind: 'ollama' },
        { id: 'solo-cc', type: 'create-completion', z: 'solo-tab', prompt: 'hi', x: 200, y: 100, wires: [[], []] },
      ]);
      await openNodeDialog(page, 'solo-cc');
      assert.equal(await page.inputValue('#node-input-api'), '_ADD_');
      await closeDialog(page);
    });
  });

  describe('afterwards', () => {
    it('ran without script errors in the page', function () {
      assert.deepEqual(session.pageErrors, []);
    });
  });
});
