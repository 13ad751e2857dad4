// The editor, tested in a real browser: Debian's Chromium driven by playwright-core,
// against a real Node-RED with the packed package installed (test/support/installed-node-red.ts).
// A user's path: find the node in the palette, drag it onto the workspace, double-click it,
// create the connection in the config dialog, see a wrong value marked, fix it, Done, Deploy,
// read the help. Screenshots go to test/artifacts/ (gitignored); the dialog one is also
// copied to docs/editor-dialog.png for the README.
//
// CI installs Chromium (.ci/run); without /usr/bin/chromium this test fails, it never skips.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { demoFlow } from '../../scripts/demo-flow';
import {
  MODULE_NAME,
  packPackage,
  repositoryRoot,
  startInstalledNodeRed,
  type InstalledNodeRed,
} from '../support/installed-node-red';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';

const API_KEY = 'sk-test-BROWSER-1234567890';

/** One field per request parameter of the seed schema, plus the result format. */
const REQUEST_FIELDS = [
  '#node-input-model',
  '#node-input-prompt',
  '#node-input-best_of',
  '#node-input-echo',
  '#node-input-frequency_penalty',
  '#node-input-logit_bias-container',
  '#node-input-logprobs',
  '#node-input-max_tokens',
  // `n`: Node-RED reserves one-letter property names (editor internalProperties), so the
  // editor stores it as n_completions.
  '#node-input-n_completions',
  '#node-input-presence_penalty',
  '#node-input-seed',
  '#node-input-stop-container',
  '#node-input-stream',
  '#node-input-include_usage',
  '#node-input-suffix',
  '#node-input-temperature',
  '#node-input-top_p',
  '#node-input-user',
  '#node-input-resultFormat',
];

/** The text box a typedInput shows in place of the (then hidden) original input. */
const PROMPT_INPUT = '#node-input-prompt + .red-ui-typedInput-container input.red-ui-typedInput-input';
const PALETTE_NODE = '.red-ui-palette-node[data-palette-type="create-completion"]';

describe('editor in a real browser (Chromium + playwright-core)', function () {
  this.timeout(60_000);

  const artifacts = path.join(repositoryRoot(), 'test', 'artifacts');
  let server: CompletionServer;
  let red: InstalledNodeRed;
  let browser: Browser;
  let page: Page;
  let nodeId = '';
  let apiId = '';
  const pageErrors: string[] = [];
  const offline: string[] = [];

  before(async function () {
    this.timeout(240_000);
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: the browser test needs Debian's Chromium (apt-get install -y chromium; .ci/run does this)`);
    }
    fs.mkdirSync(artifacts, { recursive: true });
    server = await startCompletionServer({ requireApiKey: API_KEY });
    red = await startInstalledNodeRed({ tarball: await packPackage() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Everything stays on 127.0.0.1: the editor needs nothing from outside.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      offline.push(url.href);
      return route.abort();
    });
  });

  after(async function () {
    this.timeout(30_000);
    await browser?.close();
    await red?.stop();
    await server?.close();
  });

  async function shot(name: string): Promise<string> {
    const file = path.join(artifacts, name);
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
    return file;
  }

  function nodeOnCanvas(id: string) {
    return page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
  }

  it('loads the editor with the node in the palette, labelled and with its icon', async function () {
    await page.goto(red.url);
    await page.waitForSelector('#red-ui-palette', { state: 'visible', timeout: 30_000 });
    const paletteNode = page.locator(PALETTE_NODE);
    await paletteNode.waitFor({ state: 'attached', timeout: 30_000 });
    const label = (await paletteNode.locator('.red-ui-palette-label').textContent())?.trim() ?? '';
    assert.ok(label.length > 0 && !label.includes('create-completion.'), `palette label not translated: "${label}"`);
    const icon = await paletteNode.locator('.red-ui-palette-icon').getAttribute('style');
    assert.match(icon ?? '', new RegExp(`icons/${MODULE_NAME}/create-completion\\.svg`), `palette icon: ${icon}`);
    // The config node type is registered too (it has no palette entry).
    assert.equal(await page.evaluate(() => !!(window as any).RED.nodes.getType('completion-api')), true);
  });

  it('drags the node from the palette onto the workspace', async function () {
    // As a user would: filter the palette, then drag.
    // The search box may not filter yet while the palette is still settling: type again then.
    const search = page.locator('#red-ui-palette-search input');
    const inject = page.locator('.red-ui-palette-node[data-palette-type="inject"]');
    for (let attempt = 1; ; attempt++) {
      await search.click();
      await search.fill('');
      await search.pressSequentially('completion', { delay: 20 });
      try {
        await inject.waitFor({ state: 'hidden', timeout: 5000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    const source = page.locator(PALETTE_NODE);
    await source.scrollIntoViewIfNeeded();
    const from = (await source.boundingBox())!;
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
    const end = { x: chart.x + 320, y: chart.y + 160 };
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) {
      await page.mouse.move(start.x + ((end.x - start.x) * i) / 20, start.y + ((end.y - start.y) * i) / 20);
    }
    await page.mouse.up();
    const ids: string[] = await page.evaluate(() =>
      (window as any).RED.nodes.filterNodes({ type: 'create-completion' }).map((n: any) => n.id),
    );
    assert.equal(ids.length, 1, 'the drop did not add a create-completion node');
    nodeId = ids[0];
    await nodeOnCanvas(nodeId).waitFor({ state: 'visible' });
  });

  it('opens the edit dialog with a field for every request parameter', async function () {
    await nodeOnCanvas(nodeId).dblclick();
    await page.waitForSelector('#node-input-model', { state: 'visible' });
    const tray = page.locator('.red-ui-tray').last();
    const missing: string[] = [];
    for (const field of REQUEST_FIELDS) {
      if ((await tray.locator(field).count()) !== 1) missing.push(field);
    }
    assert.deepEqual(missing, [], `fields missing from the dialog: ${missing.join(', ')}`);
    // Labels are translated from the catalog, not raw keys.
    const text = await tray.innerText();
    assert.doesNotMatch(text, /create-completion\.(label|section|option|hint)\./, 'untranslated catalog keys in the dialog');
    // The prompt is a typedInput, and a new node asks for the raw result by default.
    assert.equal(await tray.locator(PROMPT_INPUT).count(), 1, 'the prompt is not a typedInput');
    assert.equal(await page.inputValue('#node-input-resultFormat'), 'raw');
  });

  it('creates the connection in the config dialog (base URL and API key)', async function () {
    // Node-RED 4.1 puts an edit (pencil) and an add (+) button next to a config select;
    // the pencil is disabled while no connection exists, so a user clicks +.
    const edit = page.locator('#node-input-btn-api-edit');
    const add = page.locator('#node-input-btn-api-add');
    if ((await edit.count()) === 1 && !(await edit.evaluate((el) => el.classList.contains('disabled')))) {
      await edit.click();
    } else if ((await add.count()) === 1) {
      await add.click();
    } else {
      await page.locator('#node-input-lookup-api, #node-input-edit-api').first().click(); // older editors
    }
    await page.waitForSelector('#node-config-input-baseUrl', { state: 'visible' });
    assert.equal(await page.locator('#node-config-input-apiKey').getAttribute('type'), 'password');
    await page.fill('#node-config-input-baseUrl', server.url);
    await page.fill('#node-config-input-apiKey', API_KEY);
    await page.fill('#node-config-input-name', 'local test server');
    await shot('editor-config-dialog.png');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-baseUrl', { state: 'detached' });
    apiId = await page.inputValue('#node-input-api');
    assert.ok(apiId && apiId !== '_ADD_', `no connection selected: "${apiId}"`);
    assert.equal(await page.evaluate((id) => (window as any).RED.nodes.node(id)?.type, apiId), 'completion-api');
  });

  it('marks temperature 3 invalid and 0.7 valid', async function () {
    const temperature = page.locator('#node-input-temperature');
    await temperature.fill('3');
    await temperature.press('Tab');
    await page.waitForFunction(() => document.querySelector('#node-input-temperature')!.classList.contains('input-error'));
    await temperature.fill('0.7');
    await temperature.press('Tab');
    await page.waitForFunction(() => !document.querySelector('#node-input-temperature')!.classList.contains('input-error'));
  });

  it('takes model and max_tokens, and Done keeps a valid node', async function () {
    await page.fill('#node-input-max_tokens', '5');
    await page.fill('#node-input-model', 'demo-instruct');
    await page.locator('#node-input-model').press('Tab');
    await page.fill(PROMPT_INPUT, 'Say hi');
    const errors = await page.locator('.red-ui-tray .input-error').count();
    assert.equal(errors, 0, 'a field is still marked invalid');
    await page.locator(PROMPT_INPUT).blur();
    await shot('editor-dialog-in-workspace.png');
    // The whole dialog for the README: a viewport tall enough for every field, the tray only.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await page.waitForTimeout(300); // the tray re-lays out on resize
    const dialog = path.join(artifacts, 'editor-dialog.png');
    const formHeight = await page.evaluate(() => {
      const tray = document.querySelector('.red-ui-tray:last-of-type') as HTMLElement;
      const body = tray.querySelector('.red-ui-tray-body') as HTMLElement;
      const form = tray.querySelector('.cc-form') as HTMLElement;
      return body.getBoundingClientRect().top + form.scrollHeight + 80;
    });
    const box = (await page.locator('.red-ui-tray').last().boundingBox())!;
    await page.screenshot({ path: dialog, animations: 'disabled', caret: 'hide', clip: { x: box.x, y: box.y, width: box.width, height: Math.min(formHeight, 2400) - box.y } });
    await page.setViewportSize({ width: 1440, height: 1000 });
    fs.mkdirSync(path.join(repositoryRoot(), 'docs'), { recursive: true });
    fs.copyFileSync(dialog, path.join(repositoryRoot(), 'docs', 'editor-dialog.png'));
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-model', { state: 'detached' });
    const state = await page.evaluate((id) => {
      const n = (window as any).RED.nodes.node(id);
      return { valid: n.valid, temperature: n.temperature, model: n.model, max_tokens: n.max_tokens, prompt: n.prompt, api: n.api };
    }, nodeId);
    assert.deepEqual(state, { valid: true, temperature: '0.7', model: 'demo-instruct', max_tokens: '5', prompt: 'Say hi', api: apiId });
  });

  it('deploys; GET /flows holds the settings and not the API key', async function () {
    await page.click('#red-ui-header-button-deploy');
    await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor({ state: 'visible' });
    const { flows } = await red.getFlows();
    const node = flows.find((n: any) => n.id === nodeId);
    assert.ok(node, 'node not in the deployed flows');
    assert.equal(node.type, 'create-completion');
    assert.equal(node.temperature, '0.7');
    assert.equal(node.model, 'demo-instruct');
    assert.equal(node.max_tokens, '5');
    assert.equal(node.prompt, 'Say hi');
    assert.equal(node.promptType, 'str');
    assert.equal(node.api, apiId);
    const api = flows.find((n: any) => n.id === apiId);
    assert.equal(api.type, 'completion-api');
    assert.equal(api.baseUrl, server.url);
    assert.ok(!JSON.stringify(flows).includes(API_KEY), 'the API key appears in GET /flows');
    assert.ok(!red.exportFlowFile().includes(API_KEY), 'the API key appears in flows.json or flows_cred.json');
    const creds = await (await red.request(`/credentials/completion-api/${apiId}`)).json();
    assert.equal(creds.has_apiKey, true, 'the API key was not saved');
    assert.ok(!JSON.stringify(creds).includes(API_KEY));
  });

  it('after deploy, the dialog lists the models the server offers', async function () {
    await nodeOnCanvas(nodeId).dblclick();
    await page.waitForSelector('#node-input-model', { state: 'visible' });
    await page.waitForFunction(
      () => !!document.querySelector('#node-input-model-list option[value="demo-instruct"]'),
      undefined,
      { timeout: 10_000 },
    );
    // Reopening shows the saved values, and the key field never holds the key.
    assert.equal(await page.inputValue('#node-input-temperature'), '0.7');
    assert.ok(!(await page.content()).includes(API_KEY), 'the API key appears in the editor page');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-input-model', { state: 'detached' });
  });

  it('shows the help in the sidebar, with Inputs and Outputs', async function () {
    await nodeOnCanvas(nodeId).click();
    // Node-RED 4 has a tab link; Node-RED 5's sidebar has a tab-bar button.
    await page.locator('a.red-ui-tab-link-button[href="#help"], .red-ui-sidebar-tab-bar button[data-tab-id="help"]').first().click();
    const help = page.locator('.red-ui-help:visible').first();
    await help.locator('h3', { hasText: 'Outputs' }).first().waitFor({ state: 'visible' });
    const headings = (await help.locator('h3').allInnerTexts()).map((h) => h.trim());
    assert.ok(headings.some((h) => /Inputs/.test(h)), `help headings: ${headings}`);
    assert.ok(headings.some((h) => /Outputs/.test(h)), `help headings: ${headings}`);
    assert.ok(headings.some((h) => /Details/.test(h)), `help headings: ${headings}`);
    assert.ok((await help.locator('ol.node-ports').count()) >= 1, 'help has no <ol class="node-ports">');
    await shot('editor-help.png');
  });

  it('imports every example flow and the npm start demo flow with every node valid', async function () {
    const examplesDir = path.join(repositoryRoot(), 'examples');
    const flows = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'))
      .map((f) => ({ name: f, nodes: JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as unknown[] }));
    flows.push({ name: 'npm start demo', nodes: demoFlow('http://127.0.0.1:1/v1', 'demo-instruct', 'demo').filter((n) => n.type !== 'tab') });
    for (const flow of flows) {
      const invalid = await page.evaluate((nodes) => {
        const RED = (window as any).RED;
        RED.view.importNodes(nodes, { generateIds: true, addFlow: true });
        const bad: string[] = [];
        const check = (n: { valid?: boolean; type: string; name?: string; validationErrors?: unknown }) => {
          if (n.valid === false) bad.push(`${n.type} ${n.name ?? ''}: ${JSON.stringify(n.validationErrors)}`);
        };
        RED.nodes.eachNode(check);
        RED.nodes.eachConfig(check);
        return bad;
      }, flow.nodes);
      assert.deepEqual(invalid, [], `${flow.name}: ${invalid.join('; ')}`);
    }
  });

  it('ran without script errors in the page (requests outside 127.0.0.1 are blocked)', function () {
    assert.deepEqual(pageErrors, []);
    // Aborted outside requests are listed for information; the editor must work without them.
    if (offline.length > 0) console.log(`      blocked outside requests: ${offline.join(', ')}`);
  });
});
