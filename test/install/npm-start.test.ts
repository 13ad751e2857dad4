/**
 * `npm start` as a user runs it (dist/scripts/start.js): Node-RED, the package from the
 * working tree, the demo flow and the demo server; flows kept across starts; ports that
 * are taken; a real server named by COMPLETION_BASE_URL. Each start gets a user
 * directory and ports of its own, so a developer's own `npm start` is left alone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { chromium, type Browser } from 'playwright-core';
import { freePort, repositoryRoot } from '../support/installed-node-red';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { editorPort, guessKind, resolveTarget, StartError } from '../../scripts/demo-target';
import { CONNECTION_ID, DEMO_SERVER_PORT } from '../../scripts/flow-nodes';
import { EXAMPLE_CONNECTION } from '../../scripts/example-flows';
import { demoFlow } from '../../scripts/demo-flow';
import { buildRequest } from '../../nodes/lib/request/build-request';
import { dialogDefaults } from '../../nodes/lib/request/dialog-defaults';
import { SERVER_KIND_IDS } from '../../nodes/lib/servers/profiles';
import { serverKind } from '../../nodes/lib/servers/server-kinds';

type FlowNode = Record<string, any>;

interface DebugMessage {
  id?: string;
  name?: string;
  msg?: string;
  format?: string;
}

/** The environment of a start: none of the developer's COMPLETION_*, OPENAI_API_KEY or RESET. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1' };
  for (const name of ['OPENAI_API_KEY', 'COMPLETION_BASE_URL', 'COMPLETION_SERVER_KIND', 'COMPLETION_MODEL', 'COMPLETION_API_KEY', 'RESET', 'PORT', 'DEMO_SERVER_PORT', 'DEMO_USER_DIR']) delete env[name];
  return { ...env, ...extra };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(env: NodeJS.ProcessEnv, args: string[] = []): Run {
  const child = spawn(process.execPath, [path.join(repositoryRoot(), 'dist', 'scripts', 'start.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

/** Starts and waits for the line that says Node-RED is ready. */
async function start(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Run> {
  const run = launch(env, args);
  let gone = false;
  void run.exited.then(() => (gone = true));
  await waitFor(() => gone || /Node-RED with node-red-contrib-create-completion on http/.test(run.output()), 45_000, run.output);
  if (gone) throw new Error(`npm start ended before it was ready:\n${run.output()}`);
  return run;
}

async function stop(run: Run | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGTERM');
  await run.exited;
}

/** What the editor sees: debug messages and node statuses, over its websocket. */
async function listen(port: number): Promise<{ socket: WebSocket; debug: DebugMessage[]; statuses: Map<string, { fill?: string; text?: string }> }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const debug: DebugMessage[] = [];
  const statuses = new Map<string, { fill?: string; text?: string }>();
  socket.on('message', (data) => {
    for (const event of JSON.parse(String(data)) as { topic: string; data: any }[]) {
      if (event.topic === 'debug') debug.push(event.data);
      if (event.topic.startsWith('status/')) statuses.set(event.topic.slice('status/'.length), event.data);
    }
  });
  socket.send(JSON.stringify({ subscribe: 'debug' }));
  socket.send(JSON.stringify({ subscribe: 'status/#' }));
  return { socket, debug, statuses };
}

async function flowsOf(port: number): Promise<FlowNode[]> {
  return (await (await fetch(`http://127.0.0.1:${port}/flows`)).json()) as FlowNode[];
}

/** The user directory's credentials as Node-RED stores them, decrypted with the demo's secret. */
function credentialsIn(userDir: string): Record<string, Record<string, string>> {
  const stored = JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as { $?: string };
  if (!stored.$) return stored as Record<string, Record<string, string>>;
  const key = crypto.createHash('sha256').update('create-completion-demo').digest();
  const decipher = crypto.createDecipheriv('aes-256-ctr', key, Buffer.from(stored.$.slice(0, 32), 'hex'));
  return JSON.parse(decipher.update(stored.$.slice(32), 'base64', 'utf8') + decipher.final('utf8'));
}

/** What a debug message shows: a string as it is, anything else as the JSON the sidebar gets. */
const shownValue = (d: DebugMessage): unknown => (d.format?.startsWith('string') ? d.msg : JSON.parse(d.msg!));

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-test-'));

describe('npm start: the embedded demo', function () {
  this.timeout(60_000);
  let run: Run | undefined;
  let userDir = '';
  let port = 0;
  let demoPort = 0;
  let editor: Awaited<ReturnType<typeof listen>>;

  before(async function () {
    this.timeout(60_000);
    userDir = tempDir();
    [port, demoPort] = [await freePort(), await freePort()];
    // A key for OpenAI alone does not take the demo away from the demo server.
    run = await start(cleanEnv({ PORT: String(port), DEMO_SERVER_PORT: String(demoPort), DEMO_USER_DIR: userDir, OPENAI_API_KEY: 'sk-test-0123456789abcdef' }));
    editor = await listen(port);
  });

  after(async () => {
    editor?.socket.close();
    await stop(run);
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const press = async (inject: string) => {
    const answer = await fetch(`http://127.0.0.1:${port}/inject/${inject}`, { method: 'POST' });
    assert.equal(answer.status, 200);
  };
  const debugFrom = async (name: string) => {
    await waitFor(() => editor.debug.some((d) => d.name === name), 15_000, () => JSON.stringify(editor.debug.map((d) => d.name)));
    return editor.debug.filter((d) => d.name === name);
  };

  it('talks to the deterministic demo server, on the port DEMO_SERVER_PORT names, and says so', () => {
    assert.match(run!.output(), new RegExp(`demo completion server \\(a deterministic stand-in, not a language model\\) on http://127\\.0\\.0\\.1:${demoPort}/v1`));
    assert.match(run!.output(), /\(demo flow deployed\)/);
  });

  it('tells a user with only OPENAI_API_KEY what OpenAI still serves, and what to set', () => {
    const output = run!.output();
    assert.match(output, /shut down its completion models gpt-3\.5-turbo-instruct, davinci-002 and babbage-002 on 2026-09-28/);
    assert.match(output, /fine-tuned/);
    assert.match(output, /COMPLETION_MODEL/);
    assert.match(output, /COMPLETION_BASE_URL/);
  });

  it('deploys the demo flow, every create-completion node on the one connection the examples share', async () => {
    const flows = await flowsOf(port);
    const connections = flows.filter((n) => n.type === 'completion-api');
    assert.equal(connections.length, 1);
    const { name, baseUrl, ...settings } = connections[0];
    assert.equal(baseUrl, `http://127.0.0.1:${demoPort}/v1`);
    assert.equal(name, 'demo server');
    const { name: _n, baseUrl: _b, ...exampleSettings } = EXAMPLE_CONNECTION;
    assert.deepEqual(settings, exampleSettings);
    const completions = flows.filter((n) => n.type === 'create-completion');
    assert.ok(completions.length >= 6);
    for (const n of completions) assert.equal(n.api, CONNECTION_ID, n.name);
    // The key for OpenAI went nowhere.
    assert.deepEqual(credentialsIn(userDir)[CONNECTION_ID] ?? {}, {});
  });

  it('opens to a clean editor: no welcome tour, no question about update notifications, the inject nodes lined up', async function () {
    const settings = (await (await fetch(`http://127.0.0.1:${port}/settings`)).json()) as FlowNode;
    assert.equal(settings.telemetryEnabled, false);
    assert.equal(settings.editorTheme?.tours, false);
    assert.deepEqual(settings.externalModules?.palette?.denyUpdateList, ['node-red-contrib-create-completion']);

    if (!fs.existsSync(CHROMIUM)) this.skip();
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.route('**/*', (route) => {
        const u = new URL(route.request().url());
        return u.hostname === '127.0.0.1' || u.protocol === 'data:' ? route.continue() : route.abort();
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('#red-ui-workspace-chart g.red-ui-flow-node-group[id="demo-inject-basic"]', { state: 'visible', timeout: 30_000 });
      // Whatever would open by itself has had time to.
      await page.waitForTimeout(2_500);
      const covering = await page.evaluate(() => {
        const { document, getComputedStyle } = globalThis as any;
        const shown: string[] = [];
        for (const selector of ['.ui-dialog', '.red-ui-popover', '.red-ui-notification', '.red-ui-tourGuide-shade', '.red-ui-tourGuide-popover']) {
          for (const el of document.querySelectorAll(selector)) {
            const style = getComputedStyle(el);
            if (style.display !== 'none' && style.visibility !== 'hidden' && el.getClientRects().length > 0) shown.push(`${selector}: ${String(el.textContent).trim().slice(0, 80)}`);
          }
        }
        return shown;
      });
      assert.deepEqual(covering, [], 'something covers the flow on first open');

      // The flow is laid out for the metrics of Arial (Liberation Sans, Helvetica): where the
      // editor draws labels in such a font, the inject and catch nodes share one left edge.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'g.red-ui-flow-node-group[id="demo-inject-basic"] text' });
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      const family = fonts[0]?.familyName ?? '';
      const edges = await page.evaluate(() => {
        const out: Record<string, number> = {};
        (globalThis as any).RED.nodes.eachNode((n: any) => {
          if (n.type === 'inject' || n.type === 'catch') out[n.name] = n.x - n.w / 2;
        });
        return out;
      });
      if (/^(Liberation Sans|Arial|Helvetica)$/.test(family)) assert.equal(new Set(Object.values(edges)).size, 1, `left edges in ${family}: ${JSON.stringify(edges)}`);
      else console.log(`      labels drawn in ${family}, not an Arial-metric font: alignment not checked (${JSON.stringify(edges)})`);
    } finally {
      await browser?.close();
    }
  });

  it('answers the prompt-string inject with a Raw Response', async () => {
    await press('demo-inject-basic');
    const [shown] = await debugFrom('body and status');
    const payload = JSON.parse(shown.msg!);
    assert.equal(payload.status, 200);
    assert.equal(payload.body.object, 'text_completion');
  });

  it('streams: each piece, the joined text, and the assembled response shown as a complete message', async () => {
    await press('demo-inject-stream');
    const [joined] = await debugFrom('the joined text');
    const [assembled] = await debugFrom('assembled response (complete msg)');
    const pieces = editor.debug.filter((d) => d.name === 'each piece').map((d) => shownValue(d) as string);
    assert.ok(pieces.length > 10, `${pieces.length} pieces`);
    assert.equal(assembled.format, 'Object');
    const msg = JSON.parse(assembled.msg!);
    assert.equal(msg.complete, true);
    assert.equal(msg.payload, shownValue(joined));
    assert.equal(msg.payload, pieces.join(''));
    assert.equal(msg.completion.choices[0].finish_reason, 'length');
    // Done: the tokens used and their rate; the demo's answer is cut at its max_tokens, which the status says first.
    await waitFor(() => /200 · \d+ tokens/.test(String(editor.statuses.get('demo-stream')?.text)), 5000, () => JSON.stringify(editor.statuses.get('demo-stream')));
    assert.match(String(editor.statuses.get('demo-stream')?.text), /^(cut at max_tokens · )?200 · \d+ tokens · [\d.]+ tok\/s$/);
  });

  it('chains two nodes: each answers the prompt of its own dialog, so the two answers differ', async () => {
    await press('demo-inject-chain');
    const [first] = await debugFrom('first answer');
    const [second] = await debugFrom('second answer');
    const [a, b] = [shownValue(first), shownValue(second)];
    assert.equal(typeof a, 'string');
    assert.equal(typeof b, 'string');
    assert.notEqual(a, b);
  });

  it('catches the invalid request with every bad field named', async () => {
    await press('demo-inject-invalid');
    const [shown] = await debugFrom('msg.error');
    const error = JSON.parse(shown.msg!);
    assert.equal(error.code, 'INVALID_REQUEST');
    assert.match(error.message, /temperature/);
    assert.match(error.message, /\bn\b/);
  });

  it('keeps the flows across starts, and starts over with --reset or RESET=1', async function () {
    this.timeout(90_000);
    const env = cleanEnv({ PORT: String(port), DEMO_SERVER_PORT: String(demoPort), DEMO_USER_DIR: userDir });
    const addMine = async () => {
      const flows = await flowsOf(port);
      const mine = { id: 'mine', type: 'comment', z: 'demo-tab', name: 'a node of my own', info: '', x: 600, y: 660, wires: [] };
      const answer = await fetch(`http://127.0.0.1:${port}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify([...flows, mine]) });
      assert.equal(answer.status, 204);
    };
    const hasMine = async () => (await flowsOf(port)).some((n) => n.id === 'mine');

    editor.socket.close();
    await addMine();
    await stop(run);
    run = await start(env);
    assert.match(run.output(), /your flows, kept from the last start/);
    assert.ok(await hasMine(), 'the node added before the restart is gone');
    assert.match(run.output(), new RegExp(`on http://127\\.0\\.0\\.1:${demoPort}/v1`), 'the demo server moved');
    assert.doesNotMatch(run.output(), /none of your connections points at/);

    await stop(run);
    run = await start(env, ['--reset']);
    assert.match(run.output(), /reset: removed the flows kept in/);
    assert.match(run.output(), /\(demo flow deployed\)/);
    assert.equal(await hasMine(), false);

    await addMine();
    await stop(run);
    run = await start({ ...env, RESET: '1' });
    assert.match(run.output(), /\(demo flow deployed\)/);
    assert.equal(await hasMine(), false);
    editor = await listen(port);
  });
});

describe('npm start: a port already taken', function () {
  this.timeout(60_000);
  let blocker: net.Server;
  let taken = 0;
  let userDir = '';

  before(async () => {
    userDir = tempDir();
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    taken = (blocker.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const failWith = async (env: Record<string, string>) => {
    const run = launch(cleanEnv({ DEMO_USER_DIR: userDir, ...env }));
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    await stop(run);
    return { code, output: run.output() };
  };

  it('PORT: says which port is taken and what to set, without a stack trace', async () => {
    const { code, output } = await failWith({ PORT: String(taken), DEMO_SERVER_PORT: String(await freePort()) });
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`Node-RED cannot listen on 127\\.0\\.0\\.1:${taken}: another program already uses that port`));
    assert.match(output, new RegExp(`PORT=${taken + 1} npm start`));
    assert.doesNotMatch(output, /EADDRINUSE|\n\s+at /);
  });

  it('suggests a port that is free: with the next one taken too, one after it; and a second npm start needs its own demo port and folder', async function () {
    const next = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      next.once('error', () => resolve(false));
      next.listen(taken + 1, '127.0.0.1', () => resolve(true));
    });
    if (!held) this.skip();
    try {
      const { code, output } = await failWith({ PORT: String(taken), DEMO_SERVER_PORT: String(await freePort()) });
      assert.equal(code, 1, output);
      const suggested = Number(/PORT=(\d+) npm start/.exec(output)?.[1]);
      assert.ok(suggested > taken + 1, `suggested ${suggested}, taken ${taken} and ${taken + 1}`);
      assert.match(output, /DEMO_SERVER_PORT=… DEMO_USER_DIR=…/);
    } finally {
      await new Promise((resolve) => next.close(resolve));
    }
  });

  it("DEMO_SERVER_PORT: says the demo server's port is taken and what to set, without a stack trace", async () => {
    const { code, output } = await failWith({ PORT: String(await freePort()), DEMO_SERVER_PORT: String(taken) });
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`The demo server cannot listen on 127\\.0\\.0\\.1:${taken}`));
    assert.match(output, new RegExp(`DEMO_SERVER_PORT=${taken + 1} npm start`));
    assert.doesNotMatch(output, /EADDRINUSE|\n\s+at /);
  });

  it('the addresses are fixed: Node-RED on 1880, the demo server on 127.0.0.1:8089', () => {
    assert.equal(editorPort({}), 1880);
    assert.deepEqual(resolveTarget({}), { mode: 'demo', host: '127.0.0.1', port: DEMO_SERVER_PORT, notes: [] });
    assert.equal(DEMO_SERVER_PORT, 8089);
  });
});

describe('npm start against a server of your own (COMPLETION_BASE_URL)', function () {
  this.timeout(60_000);
  const KEY = 'sk-local-9f8e7d6c5b4a3210';
  let server: CompletionServer;
  let run: Run | undefined;
  let userDir = '';
  let port = 0;

  before(async function () {
    this.timeout(60_000);
    server = await startCompletionServer({ port: 0, dialect: 'llamacpp' });
    userDir = tempDir();
    port = await freePort();
    run = await start(cleanEnv({ PORT: String(port), DEMO_USER_DIR: userDir, COMPLETION_BASE_URL: server.url, COMPLETION_SERVER_KIND: 'llamacpp', COMPLETION_API_KEY: KEY }));
  });
  after(async () => {
    await stop(run);
    await server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('takes the first model the server lists, says which and how to choose another, and starts no demo server', () => {
    // A llama.cpp server lists the one model it loaded, by its path.
    assert.match(run!.output(), /model: models\/demo-instruct\.gguf, the one the server lists/);
    assert.doesNotMatch(run!.output(), /demo completion server/);
  });

  it('deploys the demo flow against it; the key stays in the environment, the connection reads ${COMPLETION_API_KEY}', async () => {
    const flows = await flowsOf(port);
    const connection = flows.find((n) => n.type === 'completion-api')!;
    assert.equal(connection.id, CONNECTION_ID);
    assert.equal(connection.serverKind, 'llamacpp');
    assert.equal(connection.baseUrl, server.url);
    assert.ok(flows.filter((n) => n.type === 'create-completion').every((n) => n.model === 'models/demo-instruct.gguf'));
    assert.deepEqual(credentialsIn(userDir)[CONNECTION_ID], { apiKey: '${COMPLETION_API_KEY}' });
    assert.ok(!fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8').includes(KEY));

    server.reset();
    const answer = await fetch(`http://127.0.0.1:${port}/inject/demo-inject-basic`, { method: 'POST' });
    assert.equal(answer.status, 200);
    // The context guard counts the prompt with the server's /tokenize first, then the completion goes out.
    const completions = () => server.requests.filter((r) => r.method === 'POST' && r.pathname === '/v1/completions');
    await waitFor(() => completions().length > 0, 10_000, () => JSON.stringify(server.requests));
    const sent = completions()[0];
    assert.equal((sent.body as FlowNode).model, 'models/demo-instruct.gguf');
    assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
    assert.ok(server.requests.filter((r) => r.pathname === '/tokenize').every((r) => r.headers.authorization === `Bearer ${KEY}`));
  });
});

describe('npm start: what it talks to, from the environment', () => {
  const base = (url: string) => resolveTarget({ COMPLETION_BASE_URL: url });
  const fails = (env: NodeJS.ProcessEnv, pattern: RegExp) => assert.throws(() => resolveTarget(env), (e: unknown) => e instanceof StartError && pattern.test(e.message));

  it('an OPENAI_API_KEY alone: the demo server, and a plain word on what OpenAI still serves', () => {
    const target = resolveTarget({ OPENAI_API_KEY: 'sk-x' });
    assert.equal(target.mode, 'demo');
    assert.match(target.notes.join(' '), /2026-09-28.*fine-tuned.*COMPLETION_MODEL/s);
  });

  it('OPENAI_API_KEY with COMPLETION_MODEL: OpenAI, the key read from OPENAI_API_KEY', () => {
    const target = resolveTarget({ OPENAI_API_KEY: 'sk-x', COMPLETION_MODEL: 'ft:davinci-002:me::abc' });
    assert.deepEqual({ ...target, notes: [] }, { mode: 'server', kind: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'ft:davinci-002:me::abc', apiKey: '${OPENAI_API_KEY}', notes: [] });
  });

  it('a key meant for OpenAI never goes to another server', () => {
    const target = resolveTarget({ OPENAI_API_KEY: 'sk-x', COMPLETION_BASE_URL: 'http://localhost:8080/v1' });
    assert.equal(target.mode === 'server' && target.apiKey, undefined);
    const own = resolveTarget({ OPENAI_API_KEY: 'sk-x', COMPLETION_BASE_URL: 'http://localhost:8080/v1', COMPLETION_API_KEY: 'k' });
    assert.equal(own.mode === 'server' && own.apiKey, '${COMPLETION_API_KEY}');
  });

  it("guesses the kind from a server's usual address, and says so", () => {
    const kinds = {
      'http://localhost:8080/v1': 'llamacpp',
      'http://127.0.0.1:11434/v1': 'ollama',
      'http://gpu-box:8000/v1': 'vllm',
      'http://localhost:1234/v1': 'lmstudio',
      'http://localhost:30000/v1': 'sglang',
      'https://openrouter.ai/api/v1': 'openrouter',
      'https://api.openai.com/v1': 'openai',
      'http://gpu-box:9999/v1': 'other',
    };
    for (const [url, kind] of Object.entries(kinds)) {
      const target = base(url);
      assert.equal(target.mode === 'server' && target.kind, kind, url);
      assert.match(target.notes[0], /COMPLETION_SERVER_KIND/);
    }
    assert.equal(guessKind('http://gpu-box:9999/v1'), null);
    // LocalAI and TGI share llama.cpp's usual port: the kind says which.
    const chosen = resolveTarget({ COMPLETION_BASE_URL: 'http://localhost:8080/v1', COMPLETION_SERVER_KIND: 'localai' });
    assert.deepEqual(chosen.mode === 'server' && [chosen.kind, chosen.notes], ['localai', []]);
  });

  it('refuses what cannot work, saying what to set', () => {
    fails({ COMPLETION_BASE_URL: 'http://localhost:8080/v1', COMPLETION_SERVER_KIND: 'llama' }, /not a server kind\. Use one of: llamacpp, ollama/);
    fails({ COMPLETION_BASE_URL: 'localhost:8080' }, /must start with http/);
    fails({ COMPLETION_BASE_URL: 'not a url' }, /is not a URL/);
    fails({ COMPLETION_BASE_URL: 'https://mine.openai.azure.com' }, /COMPLETION_SERVER_KIND=azure/);
    fails({ COMPLETION_BASE_URL: 'https://mine.openai.azure.com', COMPLETION_SERVER_KIND: 'azure' }, /needs COMPLETION_MODEL/);
    fails({ DEMO_SERVER_PORT: 'eighty' }, /DEMO_SERVER_PORT=eighty is not a port number/);
    assert.throws(() => editorPort({ PORT: '99999' }), /PORT=99999 is not a port number/);
  });

  it('deploys a demo flow whose requests each server kind honours (all but the one meant to be invalid)', () => {
    for (const kind of SERVER_KIND_IDS) {
      const flow = demoFlow('http://127.0.0.1:9/v1', 'some-model', '', kind);
      const byId = new Map(flow.map((n) => [n.id, n]));
      for (const inject of flow.filter((n) => n.type === 'inject')) {
        const payload = inject.payloadType === 'json' ? JSON.parse(String(inject.payload)) : inject.payloadType === 'str' ? inject.payload : Date.now();
        // The nodes the inject's message reaches: the one it is wired to, then down a chain through the passthrough.
        const queue = (inject.wires as string[][]).flat();
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const node = byId.get(id);
          if (node?.type !== 'create-completion') continue;
          const built = buildRequest(dialogDefaults(node as FlowNode), { prompt: (node.prompt as string) || undefined }, payload, serverKind(kind));
          assert.equal(built.ok, inject.name !== 'invalid parameters', `${kind}: ${inject.name} → ${node.name}: ${JSON.stringify(!built.ok && built.problems)}`);
          queue.push(...((node.wires as string[][])[1] ?? []));
        }
      }
    }
  });

  it('says when COMPLETION_* settings are ignored without COMPLETION_BASE_URL', () => {
    const target = resolveTarget({ COMPLETION_MODEL: 'llama3.2' });
    assert.equal(target.mode, 'demo');
    assert.match(target.notes.join(' '), /COMPLETION_MODEL is used only with COMPLETION_BASE_URL/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
