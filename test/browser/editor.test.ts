// The create-completion dialog, tested in a real browser: Debian's Chromium driven by
// playwright-core, against a real Node-RED with the packed package installed
// (test/support/installed-node-red.ts). A newcomer's path: find the node in the palette
// by the words people type, drag it onto the workspace, open it, create the connection,
// see a wrong value marked, fix it, Done, Deploy, read the help; then what the dialog
// says about the chosen server. Screenshots go to test/artifacts/ (gitignored); the
// grouped dialog is also copied to docs/editor-dialog.png for the README.
//
// CI installs Chromium (.ci/run); without /usr/bin/chromium this test fails, it never skips.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CONNECTION_FACTS } from '../../nodes/lib/editor-facts';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { demoFlow } from '../../scripts/demo-flow';
import { MODULE_NAME, repositoryRoot } from '../support/installed-node-red';
import {
  PALETTE_NODE, closeDialog, deployAndReload, nodeOnCanvas, openEditor, openNodeDialog, publish, shootDialog,
  startEditorSession, typedText, type EditorSession,
} from '../support/browser-editor';

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

const MODEL_INPUT = typedText('node-input-model');
const PROMPT_INPUT = typedText('node-input-prompt');

/** A tab, and connections of several kinds to the demo server, for the tests that import flows. */
function connections(baseUrl: string): object[] {
  return [
    { id: 'k-ollama', type: 'completion-api', name: 'ollama', serverKind: 'ollama', baseUrl },
    { id: 'k-llama', type: 'completion-api', name: 'llama', serverKind: 'llamacpp', baseUrl },
    { id: 'k-vllm', type: 'completion-api', name: 'vllm', serverKind: 'vllm', baseUrl },
    { id: 'k-openai', type: 'completion-api', name: 'openai', serverKind: 'openai', baseUrl },
    { id: 'k-azure', type: 'completion-api', name: 'azure', serverKind: 'azure', baseUrl: 'https://res.openai.azure.com' },
  ];
}

describe('create-completion dialog in a real browser (Chromium + playwright-core)', function () {
  this.timeout(60_000);

  let session: EditorSession;
  let page: EditorSession['page'];
  let nodeId = '';
  let apiId = '';

  before(async function () {
    this.timeout(240_000);
    session = await startEditorSession({ server: { requireApiKey: API_KEY } });
    page = session.page;
  });

  after(async function () {
    this.timeout(30_000);
    await session?.close();
  });

  it('loads the editor with the node in the palette, labelled, coloured apart from the core nodes, with its icon', async function () {
    await openEditor(page, session.red.url);
    const paletteNode = page.locator(PALETTE_NODE);
    // The palette breaks a long label into lines.
    const label = (await paletteNode.locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ').trim();
    assert.equal(label, 'create completion');
    const icon = await paletteNode.locator('.red-ui-palette-icon').getAttribute('style');
    assert.match(icon ?? '', new RegExp(`icons/${MODULE_NAME}/create-completion\\.svg`), `palette icon: ${icon}`);
    // The config node type is registered too (it has no palette entry).
    assert.equal(await page.evaluate(() => !!(window as any).RED.nodes.getType('completion-api')), true);
    // Its colour is told apart from every other node's (the debug node's green above all).
    const distances = await page.evaluate(() => {
      const RED = (window as any).RED;
      const probe = document.createElement('div');
      document.body.appendChild(probe);
      const rgb = (color: string) => {
        probe.style.color = '';
        probe.style.color = color;
        return (getComputedStyle(probe).color.match(/\d+/g) ?? []).slice(0, 3).map(Number);
      };
      const ours = rgb(RED.nodes.getType('create-completion').color);
      const out: Record<string, number> = {};
      for (const type of RED.nodes.registry.getNodeTypes()) {
        const def = RED.nodes.getType(type);
        if (type === 'create-completion' || !def?.color || def.category === 'config') continue;
        const other = rgb(def.color);
        out[type] = Math.round(Math.hypot(ours[0] - other[0], ours[1] - other[1], ours[2] - other[2]));
      }
      probe.remove();
      return out;
    });
    assert.ok(distances.debug >= 100, `too close to the debug node: ${distances.debug}`);
    const close = Object.entries(distances).filter(([, d]) => d < 50);
    assert.deepEqual(close, [], `colours too close: ${JSON.stringify(close)}`);
  });

  it('is found in the palette by "openai", "llm", "gpt", "ai", "ollama" and "llama"', async function () {
    const search = page.locator('#red-ui-palette-search input');
    const inject = page.locator('.red-ui-palette-node[data-palette-type="inject"]');
    for (const word of ['openai', 'llm', 'gpt', 'chatgpt', 'ai', 'ollama', 'llama', 'completion']) {
      // The search box may not filter yet while the palette is still settling: type again then.
      for (let attempt = 1; ; attempt++) {
        await search.click();
        await search.fill('');
        await search.pressSequentially(word, { delay: 20 });
        try {
          await inject.waitFor({ state: 'hidden', timeout: 5000 });
          break;
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
      await page.locator(PALETTE_NODE).waitFor({ state: 'visible', timeout: 5000 });
    }
    // The palette still shows the short label.
    assert.equal((await page.locator(`${PALETTE_NODE} .red-ui-palette-label`).innerText()).replace(/\s+/g, ' ').trim(), 'create completion');
  });

  it('is found by quick-add (ctrl-click on the workspace) by the same words', async function () {
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    for (const word of ['openai', 'llm', 'gpt', 'ollama', 'llama']) {
      await page.keyboard.down('Control');
      await page.mouse.click(chart.x + 500, chart.y + 400);
      await page.keyboard.up('Control');
      const input = page.locator('#red-ui-type-search-input');
      await input.waitFor({ state: 'visible' });
      await input.pressSequentially(word, { delay: 20 });
      const ours = page.locator('#red-ui-type-search li:visible .red-ui-search-result-node-label', { hasText: 'create completion' });
      await ours.first().waitFor({ state: 'visible', timeout: 5000 });
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden' });
    }
  });

  it('drags the node from the palette onto the workspace', async function () {
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
    await nodeOnCanvas(page, nodeId).waitFor({ state: 'visible' });
    await page.locator('#red-ui-palette-search input').fill('');
  });

  it('opens a grouped dialog: request (connection, model, prompt, result format) first, then sampling, output, advanced folded', async function () {
    await nodeOnCanvas(page, nodeId).dblclick();
    await page.waitForSelector('#node-input-resultFormat', { state: 'visible' });
    const tray = page.locator('.red-ui-tray').last();
    const missing: string[] = [];
    for (const field of REQUEST_FIELDS) {
      if ((await tray.locator(field).count()) !== 1) missing.push(field);
    }
    assert.deepEqual(missing, [], `fields missing from the dialog: ${missing.join(', ')}`);
    const text = await tray.innerText();
    assert.doesNotMatch(text, /create-completion\.(label|section|option|hint|tip)\./, 'untranslated catalog keys in the dialog');

    const layout = await page.evaluate(() => {
      const form = document.querySelector('#dialog-form .cc-form') as HTMLElement;
      const sections = (Array.from(form.querySelectorAll('.cc-section')) as HTMLElement[]).map((s) => s.getAttribute('data-section'));
      const sectionOf = (id: string) => (document.getElementById(id)?.closest('.cc-section-body') as HTMLElement | null)?.getAttribute('data-section');
      const visible = (id: string) => {
        const el = document.getElementById(id);
        return !!el && (el.offsetParent !== null || !!el.nextElementSibling?.matches('.red-ui-typedInput-container:not([style*="display: none"])'));
      };
      const top = (id: string) => (document.getElementById(id)?.closest('.form-row') as HTMLElement).getBoundingClientRect().top;
      const tips = Array.from(form.querySelectorAll('.form-row[title]')).length;
      return {
        sections,
        request: ['node-input-api', 'node-input-model', 'node-input-prompt', 'node-input-resultFormat'].map(sectionOf),
        sampling: ['node-input-temperature', 'node-input-top_p', 'node-input-seed'].map(sectionOf),
        output: ['node-input-max_tokens', 'node-input-stream', 'node-input-n_completions'].map(sectionOf),
        advanced: ['node-input-best_of', 'node-input-suffix', 'node-input-user', 'node-input-extra', 'node-input-logit_bias-container'].map(sectionOf),
        advancedOpen: visible('node-input-suffix'),
        samplingOpen: visible('node-input-temperature'),
        formatAboveTemperature: top('node-input-resultFormat') < top('node-input-temperature'),
        formatTop: top('node-input-resultFormat') - form.getBoundingClientRect().top,
        tips,
      };
    });
    assert.deepEqual(layout.sections, ['request', 'sampling', 'output', 'advanced']);
    assert.deepEqual(layout.request, ['request', 'request', 'request', 'request']);
    assert.deepEqual(layout.sampling, ['sampling', 'sampling', 'sampling']);
    assert.deepEqual(layout.output, ['output', 'output', 'output']);
    assert.deepEqual(layout.advanced, ['advanced', 'advanced', 'advanced', 'advanced', 'advanced']);
    assert.equal(layout.samplingOpen, true);
    assert.equal(layout.advancedOpen, false, 'Advanced starts folded for a new node');
    assert.ok(layout.formatAboveTemperature && layout.formatTop < 400, `result format ${layout.formatTop}px down`);
    // Every parameter row explains itself on hover.
    assert.ok(layout.tips >= 21, `rows with a tooltip: ${layout.tips}`);
    assert.match(await page.locator('#node-input-temperature').locator('xpath=..').getAttribute('title') ?? '', /Randomness/);
    // The prompt and the model are typed inputs; a new node asks for the raw result by default.
    assert.equal(await tray.locator(PROMPT_INPUT).count(), 1, 'the prompt is not a typedInput');
    assert.equal(await tray.locator(MODEL_INPUT).count(), 1, 'the model is not a typedInput');
    assert.equal(await page.inputValue('#node-input-resultFormat'), 'raw');
    // Advanced unfolds on a click.
    await page.click('.cc-section[data-section="advanced"]');
    await page.locator('#node-input-suffix').waitFor({ state: 'visible' });
    await page.click('.cc-section[data-section="advanced"]');
    await page.locator('#node-input-suffix').waitFor({ state: 'hidden' });
  });

  it('creates the connection in the config dialog: picks the server, base URL and API key', async function () {
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
    await page.selectOption('#node-config-input-serverKind', 'other');
    await page.fill('#node-config-input-baseUrl', session.server.url);
    await page.fill('#node-config-input-apiKey', API_KEY);
    await page.fill('#node-config-input-name', 'local test server');
    await session.shot('editor-config-dialog.png');
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

  it('warns about a blank model, and takes model, prompt and max_tokens; Done keeps a valid node', async function () {
    // A blank model is allowed (the message may bring one), but the dialog says what it means.
    await page.locator('#node-input-model-warning').waitFor({ state: 'visible' });
    assert.match(await page.locator('#node-input-model-warning').innerText(), /msg\.payload\.model/);
    await page.fill('#node-input-max_tokens', '5');
    await page.fill(MODEL_INPUT, 'demo-instruct');
    await page.locator(MODEL_INPUT).press('Tab');
    await page.locator('#node-input-model-warning').waitFor({ state: 'hidden' });
    await page.fill(PROMPT_INPUT, 'Say hi');
    const errors = await page.locator('.red-ui-tray .input-error').count();
    assert.equal(errors, 0, 'a field is still marked invalid');
    await page.locator(PROMPT_INPUT).blur();
    await session.shot('editor-dialog-in-workspace.png');
    await closeDialog(page, 'ok');
    const state = await page.evaluate((id) => {
      const n = (window as any).RED.nodes.node(id);
      return { valid: n.valid, temperature: n.temperature, model: n.model, modelType: n.modelType, max_tokens: n.max_tokens, prompt: n.prompt, api: n.api };
    }, nodeId);
    assert.deepEqual(state, { valid: true, temperature: '0.7', model: 'demo-instruct', modelType: 'str', max_tokens: '5', prompt: 'Say hi', api: apiId });
  });

  it('names both outputs on their ports', async function () {
    const labels = await page.evaluate((id) => {
      const RED = (window as any).RED;
      const node = RED.nodes.node(id);
      return [0, 1].map((i) => node._def.outputLabels.call(node, i));
    }, nodeId);
    assert.deepEqual(labels, ['result: raw response (body and status)', 'passthrough: the input message, after the request finished']);
    // Hovering a port shows its label, as Node-RED does for every node.
    const port = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-port-output`).nth(1);
    await port.hover();
    await page.locator('.red-ui-flow-port-tooltip', { hasText: 'passthrough' }).first().waitFor({ state: 'visible', timeout: 5000 });
    await page.mouse.move(5, 500);
  });

  it('deploys; GET /flows holds the settings and not the API key', async function () {
    await page.click('#red-ui-header-button-deploy');
    await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor({ state: 'visible' });
    const { flows } = await session.red.getFlows();
    const node = flows.find((n: any) => n.id === nodeId);
    assert.ok(node, 'node not in the deployed flows');
    assert.equal(node.type, 'create-completion');
    assert.equal(node.temperature, '0.7');
    assert.equal(node.model, 'demo-instruct');
    assert.equal(node.modelType, 'str');
    assert.equal(node.max_tokens, '5');
    assert.equal(node.prompt, 'Say hi');
    assert.equal(node.promptType, 'str');
    assert.equal(node.api, apiId);
    const api = flows.find((n: any) => n.id === apiId);
    assert.equal(api.type, 'completion-api');
    assert.equal(api.serverKind, 'other');
    assert.equal(api.baseUrl, session.server.url);
    assert.ok(!JSON.stringify(flows).includes(API_KEY), 'the API key appears in GET /flows');
    assert.ok(!session.red.exportFlowFile().includes(API_KEY), 'the API key appears in flows.json or flows_cred.json');
    const creds = await (await session.red.request(`/credentials/completion-api/${apiId}`)).json();
    assert.equal(creds.has_apiKey, true, 'the API key was not saved');
    assert.ok(!JSON.stringify(creds).includes(API_KEY));
  });

  it('after deploy, the model field offers the models the server lists, for a name typed as a string only', async function () {
    await nodeOnCanvas(page, nodeId).dblclick();
    await page.waitForSelector('#node-input-resultFormat', { state: 'visible' });
    await page.waitForFunction(
      () => !!document.querySelector('#node-input-model-list option[value="demo-instruct"]'),
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await page.locator(MODEL_INPUT).getAttribute('list'), 'node-input-model-list');
    // Reopening shows the saved values, and the key field never holds the key.
    assert.equal(await page.inputValue('#node-input-temperature'), '0.7');
    assert.equal(await page.inputValue(MODEL_INPUT), 'demo-instruct');
    assert.ok(!(await page.content()).includes(API_KEY), 'the API key appears in the editor page');
    // A model read per message: no list, no refresh, no blank warning; the field must name a property.
    await page.locator('#node-input-model + .red-ui-typedInput-container button.red-ui-typedInput-type-select').click();
    const menu = page.locator('.red-ui-typedInput-options:visible');
    const offered = (await menu.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('value')))).filter(Boolean);
    assert.deepEqual(offered, ['str', 'msg', 'flow', 'global', 'env']);
    await menu.locator('a[value="msg"]').click();
    assert.equal(await page.inputValue('#node-input-modelType'), 'msg');
    assert.equal(await page.locator(MODEL_INPUT).getAttribute('list'), null);
    await page.locator('#node-input-model-refresh').waitFor({ state: 'hidden' });
    await page.fill(MODEL_INPUT, '');
    await page.locator(MODEL_INPUT).press('Tab');
    await page.waitForFunction(() => document.querySelector('#node-input-model + .red-ui-typedInput-container')!.classList.contains('input-error'));
    assert.equal(await page.locator('#node-input-model-warning').isVisible(), false);
    await closeDialog(page);
  });

  it('shows the help in the sidebar, with Inputs, Outputs, Details and the parameters explained', async function () {
    await nodeOnCanvas(page, nodeId).click();
    // Node-RED 4 has a tab link; Node-RED 5's sidebar has a tab-bar button.
    await page.locator('a.red-ui-tab-link-button[href="#help"], .red-ui-sidebar-tab-bar button[data-tab-id="help"]').first().click();
    const help = page.locator('.red-ui-help:visible').first();
    await help.locator('h3', { hasText: 'Outputs' }).first().waitFor({ state: 'visible' });
    const headings = (await help.locator('h3').allInnerTexts()).map((h) => h.trim());
    for (const heading of ['Inputs', 'Outputs', 'Details', 'References']) {
      assert.ok(headings.some((h) => h.includes(heading)), `help headings: ${headings}`);
    }
    assert.ok((await help.locator('ol.node-ports').count()) >= 1, 'help has no <ol class="node-ports">');
    const text = await help.innerText();
    for (const term of ['Top p', 'Logit bias', 'Best of', 'Echo prompt', 'Suffix', 'msg.error']) assert.ok(text.includes(term), `help explains ${term}`);
    assert.doesNotMatch(text, /platform\.openai\.com\/docs\/api-reference/);
    await session.shot('editor-help.png');
  });

  it('imports a node written without promptType, modelType or resultFormat, and it is valid', async function () {
    // As a hand-written flow or one saved before these properties existed.
    const result = await page.evaluate(() => {
      const RED = (window as any).RED;
      RED.view.importNodes([
        { id: 'min-api', type: 'completion-api', baseUrl: 'http://127.0.0.1:9/v1' },
        { id: 'min-cc', type: 'create-completion', api: 'min-api', model: 'm', prompt: 'hi', x: 300, y: 300, wires: [[], []] },
      ], { generateIds: true, addFlow: true, touchImport: true });
      const cc = RED.nodes.filterNodes({ type: 'create-completion' }).find((n: any) => n.model === 'm' && n.prompt === 'hi');
      const api = RED.nodes.node(cc.api);
      return { cc: { id: cc.id, valid: cc.valid, errors: cc.validationErrors ?? null, promptType: cc.promptType ?? null }, api: { valid: api.valid, errors: api.validationErrors ?? null, label: api._def.label.call(api) } };
    });
    assert.equal(result.cc.valid, true, JSON.stringify(result.cc.errors));
    assert.equal(result.cc.promptType, null, 'the import keeps the property missing');
    // A connection without a kind means what it means at runtime.
    assert.equal(result.api.valid, true, JSON.stringify(result.api.errors));
    assert.ok(result.api.label.startsWith(CONNECTION_FACTS.profiles[CONNECTION_FACTS.kindWhenMissing as 'openai'].label.split(' ')[0]), result.api.label);
    // Its dialog shows the defaults, and Done keeps it valid.
    await openNodeDialog(page, result.cc.id);
    assert.equal(await page.inputValue('#node-input-resultFormat'), 'raw');
    assert.equal(await page.inputValue('#node-input-promptType'), 'str');
    assert.equal(await page.inputValue('#node-input-modelType'), 'str');
    assert.equal(await page.locator('.red-ui-tray .input-error').count(), 0, 'a field is marked invalid');
    await closeDialog(page, 'ok');
    assert.equal(await page.evaluate((id) => (window as any).RED.nodes.node(id).valid, result.cc.id), true);
  });

  it('imports every example flow and the npm start demo flow with every node valid', async function () {
    const examplesDir = path.join(repositoryRoot(), 'examples');
    const flows = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'))
      .map((f) => ({ name: f, nodes: JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as unknown[] }));
    flows.push({ name: 'npm start demo', nodes: demoFlow('http://127.0.0.1:1/v1', 'demo-instruct', 'demo').filter((n) => n.type !== 'tab') });
    for (const flow of flows) {
      const invalid = await page.evaluate((nodes) => {
        const RED = (window as any).RED;
        RED.view.importNodes(nodes, { generateIds: true, addFlow: true, touchImport: true });
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

  describe('what the dialog says about the connection\'s server', () => {
    before(async function () {
      this.timeout(60_000);
      const url = session.server.url;
      await deployAndReload(session, [
        { id: 'srv-tab', type: 'tab', label: 'servers' },
        ...connections(url),
        { id: 'cc-ollama', type: 'create-completion', z: 'srv-tab', api: 'k-ollama', model: 'llama3.2', prompt: 'hi', x: 200, y: 80, wires: [[], []] },
        { id: 'cc-llama', type: 'create-completion', z: 'srv-tab', api: 'k-llama', model: 'any', prompt: 'hi', echo: 'true', stop: ['a', 'b', 'c', 'd', 'e', 'f'], x: 200, y: 160, wires: [[], []] },
        { id: 'cc-openai', type: 'create-completion', z: 'srv-tab', api: 'k-openai', model: 'davinci-002', prompt: 'hi', stop: ['a', 'b', 'c', 'd'], x: 200, y: 240, wires: [[], []] },
        { id: 'cc-azure', type: 'create-completion', z: 'srv-tab', api: 'k-azure', model: 'my-deployment', prompt: 'hi', x: 200, y: 320, wires: [[], []] },
        { id: 'cc-vllm', type: 'create-completion', z: 'srv-tab', api: 'k-vllm', model: 'demo-instruct', prompt: 'hi', extra: '{"top_k":"many"}', x: 200, y: 400, wires: [[], []] },
      ], { 'k-openai': { apiKey: API_KEY }, 'k-ollama': { apiKey: API_KEY }, 'k-llama': { apiKey: API_KEY }, 'k-vllm': { apiKey: API_KEY } });
    });

    it('Ollama: warns that a blank temperature or top p becomes 1.0, and what Ollama ignores', async function () {
      await openNodeDialog(page, 'cc-ollama');
      const note = (param: string) => page.locator(`.cc-note[data-param="${param}"]`);
      const ollama = CONNECTION_FACTS.profiles.ollama;
      const warning = ollama.blankWarnings.find((w) => w.param === 'temperature')!;
      assert.match(await note('temperature').innerText(), new RegExp(warning.why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.ok((await note('top_p').innerText()).includes(ollama.blankWarnings.find((w) => w.param === 'top_p')!.why));
      // The warning is about a blank field: gone once it holds a value.
      await page.fill('#node-input-temperature', '0.2');
      await page.locator('#node-input-temperature').press('Tab');
      await page.waitForFunction(() => !document.querySelector('.cc-note[data-param="temperature"]')!.textContent!.includes('1.0'));
      // What Ollama ignores is said next to its field; a value it would refuse is marked.
      assert.match(await note('n').innerText(), /n > 1 is not for Ollama, which ignores it/);
      await page.fill('#node-input-n_completions', '2');
      await page.locator('#node-input-n_completions').press('Tab');
      await page.waitForFunction(() => document.querySelector('#node-input-n_completions')!.classList.contains('input-error'));
      assert.match(await page.locator('.cc-note[data-param="n"] .cc-note-error').innerText(), /n > 1 is not for Ollama/);
      // Limits follow the server: Ollama lifts OpenAI's logprobs cap, so the placeholder says so.
      assert.match(await page.locator('#node-input-logprobs').getAttribute('placeholder') ?? '', /^0 or more/);
      assert.match(await page.locator('#node-input-blank-means').innerText(), /Ollama/);
      // Extra: Ollama documents no parameters of its own.
      await page.click('.cc-section[data-section="advanced"]');
      assert.match(await page.locator('#node-input-extra-server').innerText(), /Ollama documents no parameters of its own/);
      await closeDialog(page);
    });

    it('llama.cpp: echo refused with its reason, as many stop sequences as it takes', async function () {
      await openNodeDialog(page, 'cc-llama');
      await page.waitForFunction(() => document.querySelector('#node-input-echo')!.classList.contains('input-error'));
      assert.match(await page.locator('.cc-note[data-param="echo"]').innerText(), /echo = true is not for llama\.cpp server, which ignores it/);
      assert.equal(await page.locator('#node-input-stop-container .node-input-stop-value').count(), 6);
      assert.equal(await page.locator('#node-input-stop-add').isDisabled(), false, 'llama.cpp sets no limit on stop sequences');
      assert.match(await page.locator('#node-input-stop-limit').innerText(), /no limit/);
      assert.equal(await page.locator('#node-input-logprobs').getAttribute('placeholder'), '0 or more (blank: server default)');
      await page.selectOption('#node-input-echo', 'false');
      await page.waitForFunction(() => !document.querySelector('#node-input-echo')!.classList.contains('input-error'));
      await closeDialog(page);
    });

    it('OpenAI: four stop sequences at most, the add button disabled at the limit; switching the connection applies the other server', async function () {
      await openNodeDialog(page, 'cc-openai');
      assert.equal(await page.locator('#node-input-stop-container .node-input-stop-value').count(), 4);
      assert.equal(await page.locator('#node-input-stop-add').isDisabled(), true);
      assert.match(await page.locator('#node-input-stop-limit').innerText(), /At most 4 for OpenAI/);
      assert.equal(await page.locator('#node-input-logprobs').getAttribute('placeholder'), '0 to 5 (blank: server default)');
      // The same node on a llama.cpp connection: the limits and notes follow at once.
      await page.selectOption('#node-input-api', 'k-llama');
      await page.waitForFunction(() => !(document.querySelector('#node-input-stop-add') as HTMLButtonElement).disabled);
      await page.waitForFunction(() => document.querySelector('#node-input-logprobs')!.getAttribute('placeholder')!.startsWith('0 or more'));
      await closeDialog(page);
    });

    it('Azure: no model list (it lists models, not deployments); the field asks for the deployment', async function () {
      await openNodeDialog(page, 'cc-azure');
      await page.waitForFunction(() => /deployment/.test(document.querySelector('#node-input-model-hint')!.textContent ?? ''));
      assert.equal(await page.locator('#node-input-model-list option').count(), 0);
      assert.equal(await page.locator(MODEL_INPUT).getAttribute('list'), null);
      assert.equal(await page.locator('#node-input-model-refresh').isVisible(), false);
      assert.match(await page.locator(MODEL_INPUT).getAttribute('placeholder') ?? '', /deployment/);
      await closeDialog(page);
    });

    it('Extra is a JSON editor that lists the server\'s own parameters, adds one on a click, and marks a wrong type', async function () {
      await openNodeDialog(page, 'cc-vllm');
      // Advanced is open, because Extra holds something.
      await page.locator('#node-input-extra-params').waitFor({ state: 'visible' });
      const vllm = CONNECTION_FACTS.profiles.vllm;
      const listed = await page.locator('#node-input-extra-params li code').allInnerTexts();
      assert.deepEqual(listed, Object.keys(vllm.ownParams));
      const minP = page.locator('#node-input-extra-params li', { hasText: 'min_p' });
      assert.ok((await minP.innerText()).includes(vllm.ownParams.min_p.doc));
      // top_k is documented as an integer: "many" is marked.
      assert.match(await page.locator('#node-input-extra-bad').innerText(), /top_k/);
      assert.equal(await page.locator('#node-input-extra-params li.cc-param-bad code').innerText(), 'top_k');
      // A click adds min_p to the JSON.
      await minP.locator('a.cc-param-add').click();
      assert.deepEqual(JSON.parse(await page.inputValue('#node-input-extra')), { top_k: 'many', min_p: 0 });
      // The expand button opens Node-RED's JSON editor; what it saves comes back as one line.
      await page.locator('#node-input-extra + .red-ui-typedInput-container button.red-ui-typedInput-option-expand').click();
      await page.locator('.red-ui-editor-text-container').first().waitFor({ state: 'visible' });
      // Typed as a user types it (Node-RED 4 edits JSON in Monaco): select all, replace.
      await page.locator('.red-ui-tray .monaco-editor .view-lines, .red-ui-tray .ace_content').first().click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText('{"top_k": 40, "min_p": 0.05}');
      await page.locator('.red-ui-tray').last().locator('button', { hasText: 'Done' }).first().click();
      // While the JSON editor is open, the node's dialog is off the page.
      await page.waitForFunction(() => (document.querySelector('#node-input-extra') as HTMLInputElement | null)?.value === '{"top_k":40,"min_p":0.05}');
      await page.waitForFunction(() => document.querySelector('#node-input-extra-params li.cc-param-bad') === null);
      // JSON that does not parse (an unquoted key) is explained under the field, in the parser's words.
      const setExtra = (text: string) => page.evaluate((t) => (window as any).$('#node-input-extra').typedInput('value', t).trigger('change'), text);
      await setExtra('{top_k: 40}');
      const unreadable = await page.locator('#node-input-extra-bad').innerText();
      assert.match(unreadable, /JSON object/);
      assert.match(unreadable, /\(.*(property name|position|token).*\)/i, unreadable);
      await setExtra('{"top_k":40,"min_p":0.05}');
      assert.equal(await page.locator('#node-input-extra-bad').isVisible(), false);
      await closeDialog(page, 'ok');
      assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('cc-vllm').extra), '{"top_k":40,"min_p":0.05}');
    });

    it('logit bias by text: a text becomes its token ids through the server\'s tokenizer, one row per id, the text kept beside them', async function () {
      const asked: unknown[] = [];
      await page.route('**/completion-api/*/tokenize', async (route) => {
        const body = route.request().postDataJSON() as { text: string };
        asked.push({ url: new URL(route.request().url()).pathname, body });
        if (body.text === 'no such') {
          await route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: 'the server has no tokenizer' }) });
          return;
        }
        const tokens = body.text === 'hello world' ? [15339, 1917] : [42];
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ tokens }) });
      });
      await openNodeDialog(page, 'cc-llama');
      await page.click('.cc-section[data-section="advanced"]');
      assert.match(await page.locator('#node-input-logit_bias-tokenizer').innerText(), /llama\.cpp server turns a text into token ids/);
      const addRow = page.locator('.red-ui-editableList:has(#node-input-logit_bias-container) .red-ui-editableList-addButton');
      const rows = page.locator('#node-input-logit_bias-container > li');
      await addRow.click();
      await rows.nth(0).locator('.node-input-logit_bias-bias').fill('-100');
      await rows.nth(0).locator('.node-input-logit_bias-token').fill('hello world');
      await rows.nth(0).locator('.node-input-logit_bias-token').press('Tab');
      await page.waitForFunction(() => document.querySelectorAll('#node-input-logit_bias-container > li').length === 2);
      assert.deepEqual(asked, [{ url: '/completion-api/k-llama/tokenize', body: { text: 'hello world', model: 'any' } }]);
      const shown = await rows.evaluateAll((lis) => lis.map((li) => ({
        token: (li.querySelector('.node-input-logit_bias-token') as HTMLInputElement).value,
        bias: (li.querySelector('.node-input-logit_bias-bias') as HTMLInputElement).value,
        origin: li.querySelector('.node-input-logit_bias-origin')!.textContent,
      })));
      assert.deepEqual(shown, [
        { token: '15339', bias: '-100', origin: 'from "hello world", token 1 of 2' },
        { token: '1917', bias: '-100', origin: 'from "hello world", token 2 of 2' },
      ]);
      // A token id stays as it is; a text the server cannot turn into ids is marked, with its reason.
      await addRow.click();
      await rows.nth(2).locator('.node-input-logit_bias-token').fill('50256');
      await rows.nth(2).locator('.node-input-logit_bias-bias').fill('5');
      await rows.nth(2).locator('.node-input-logit_bias-token').press('Tab');
      await addRow.click();
      await rows.nth(3).locator('.node-input-logit_bias-token').fill('no such');
      await rows.nth(3).locator('.node-input-logit_bias-token').press('Tab');
      await page.waitForFunction(() => /the server has no tokenizer/.test(document.querySelectorAll('#node-input-logit_bias-container .node-input-logit_bias-origin')[3]?.textContent ?? ''));
      assert.equal(await rows.nth(3).locator('.node-input-logit_bias-token.input-error').count(), 1);
      assert.equal(asked.length, 2, 'a token id is not sent to the tokenizer');
      await rows.nth(3).locator('.red-ui-editableList-item-remove').click();
      await page.waitForFunction(() => document.querySelectorAll('#node-input-logit_bias-container > li').length === 3);
      await page.selectOption('#node-input-echo', 'false');
      await closeDialog(page, 'ok');
      assert.deepEqual(await page.evaluate(() => (window as any).RED.nodes.node('cc-llama').logit_bias), [
        { token: '15339', bias: -100, text: 'hello world' },
        { token: '1917', bias: -100, text: 'hello world' },
        { token: '50256', bias: 5 },
      ]);
      // Reopened, the rows still say where their ids came from.
      await openNodeDialog(page, 'cc-llama');
      assert.equal(await page.locator('#node-input-logit_bias-container .node-input-logit_bias-origin').first().textContent(), 'from "hello world", token 1 of 2');
      await closeDialog(page);
      await page.unroute('**/completion-api/*/tokenize');
    });

    it('logit bias by text: a connection not yet deployed asks for a deploy', async function () {
      await page.route('**/completion-api/*/tokenize', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not deployed"}' }));
      await openNodeDialog(page, 'cc-openai');
      await page.click('.cc-section[data-section="advanced"]');
      await page.locator('.red-ui-editableList:has(#node-input-logit_bias-container) .red-ui-editableList-addButton').click();
      const row = page.locator('#node-input-logit_bias-container > li').first();
      await row.locator('.node-input-logit_bias-token').fill('hello');
      await row.locator('.node-input-logit_bias-token').press('Tab');
      await page.waitForFunction(() => /deploy the connection first/.test(document.querySelector('#node-input-logit_bias-container .node-input-logit_bias-origin')?.textContent ?? ''));
      // Not turned into ids yet: the node says what is missing.
      assert.match(await page.locator('#node-input-logit_bias-problem').innerText(), /"hello" is not yet turned into token ids/);
      await closeDialog(page);
      await page.unroute('**/completion-api/*/tokenize');
    });

    it('takes a screenshot of the whole grouped dialog for the README', async function () {
      await openNodeDialog(page, 'cc-ollama');
      await page.click('.cc-section[data-section="advanced"]');
      await page.locator('#node-input-extra').waitFor({ state: 'attached' });
      const file = path.join(session.artifacts, 'editor-dialog.png');
      await shootDialog(session, page, '#dialog-form .cc-form', file);
      publish(file, 'editor-dialog.png');
      await closeDialog(page);
    });

    it('logit bias by text, for real: a llama.cpp server turns the text into its ids', async function () {
      const llama: CompletionServer = await startCompletionServer({ dialect: 'llamacpp' });
      try {
        await deployAndReload(session, [
          { id: 'tok-tab', type: 'tab', label: 'tokens' },
          { id: 'tok-api', type: 'completion-api', name: 'llama', serverKind: 'llamacpp', baseUrl: llama.url },
          { id: 'tok-cc', type: 'create-completion', z: 'tok-tab', api: 'tok-api', model: '', prompt: 'hi', x: 200, y: 80, wires: [[], []] },
        ]);
        await openNodeDialog(page, 'tok-cc');
        // llama.cpp answers without a model: no warning, a note.
        assert.match(await page.locator('#node-input-model-warning').innerText(), /answers with the model it has loaded/);
        await page.click('.cc-section[data-section="advanced"]');
        await page.locator('.red-ui-editableList:has(#node-input-logit_bias-container) .red-ui-editableList-addButton').click();
        const row = page.locator('#node-input-logit_bias-container > li').first();
        await row.locator('.node-input-logit_bias-bias').fill('-50');
        await row.locator('.node-input-logit_bias-token').fill('hello world');
        await row.locator('.node-input-logit_bias-token').press('Tab');
        await page.waitForFunction(() => /^\d+$/.test((document.querySelector('#node-input-logit_bias-container .node-input-logit_bias-token') as HTMLInputElement).value));
        const asked = llama.requests.filter((r) => r.pathname === '/tokenize');
        assert.equal(asked.length, 1);
        assert.equal((asked[0].body as { content?: unknown }).content, 'hello world');
        await closeDialog(page, 'ok');
        const bias = await page.evaluate(() => (window as any).RED.nodes.node('tok-cc').logit_bias);
        assert.ok(bias.length >= 1 && bias.every((r: any) => /^\d+$/.test(r.token) && r.bias === -50 && r.text === 'hello world'), JSON.stringify(bias));
        // The text's own tokens: not llama.cpp's BOS (id 1), which it puts before a prompt, and a bias on which would bias every answer's start.
        assert.equal((asked[0].body as { add_special?: unknown }).add_special, false);
        assert.ok(!bias.some((r: any) => r.token === '1'), JSON.stringify(bias));
      } finally {
        await llama.close();
      }
    });

    it('a server without a tokenizer, for real: Ollama has none, and the dialog says so', async function () {
      await deployAndReload(session, [
        { id: 'tok-tab', type: 'tab', label: 'tokens' },
        { id: 'tok-ollama', type: 'completion-api', name: 'ollama', serverKind: 'ollama', baseUrl: session.server.url },
        { id: 'tok-cc2', type: 'create-completion', z: 'tok-tab', api: 'tok-ollama', model: 'llama3.2', prompt: 'hi', x: 200, y: 80, wires: [[], []] },
      ]);
      await openNodeDialog(page, 'tok-cc2');
      await page.click('.cc-section[data-section="advanced"]');
      await page.waitForFunction(() => /Ollama has no tokenizer/.test(document.querySelector('#node-input-logit_bias-tokenizer')?.textContent ?? ''));
      await closeDialog(page);
    });

  });


  describe('afterwards', () => {
    it('ran without script errors in the page (requests outside 127.0.0.1 are blocked)', function () {
      assert.deepEqual(session.pageErrors, []);
      // Aborted outside requests are listed for information; the editor must work without them.
      if (session.offline.length > 0) console.log(`      blocked outside requests: ${session.offline.join(', ')}`);
    });
  });
});
