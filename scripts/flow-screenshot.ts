/**
 * docs/flow.png for the README: the demo flow of `npm start` in the editor, after a
 * run of the "stream" and "parameters" injects, with their statuses on the nodes and
 * the debug sidebar showing the messages they produced.
 *
 *   node dist/scripts/flow-screenshot.js      (after the build; not part of npm test)
 *
 * Starts dist/scripts/start.js as a child process on a free port (always against the
 * local demo server: OPENAI_API_KEY is not passed on, so the picture is the same every
 * time), drives Debian's Chromium (/usr/bin/chromium) with playwright-core as
 * test/editor.browser.test.ts does, and stops the child at the end. start.js uses
 * .node-red-demo/ of the repository: do not run this beside `npm start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/chromium';

const root = path.resolve(__dirname, '..', '..');
const output = path.join(root, 'docs', 'flow.png');
const VIEWPORT = { width: 1400, height: 800 };
/**
 * The injects clicked, in order, each with the node whose green status shows its result:
 * the stream first, so that the debug sidebar (which keeps the newest message at the
 * bottom) ends with its deltas, the joined text and then the two texts of "parameters".
 */
const RUNS = [
  { inject: 'demo-inject-stream', result: 'demo-stream' },
  { inject: 'demo-inject-params', result: 'demo-text' },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `node dist/scripts/start.js` on `port`; resolves once the demo flow is deployed. */
function startDemo(port: number): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const startJs = path.join(root, 'dist', 'scripts', 'start.js');
  if (!fs.existsSync(startJs)) throw new Error(`${startJs} is missing: build first (node scripts/build.js)`);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  delete env.OPENAI_API_KEY;
  const child = spawn(process.execPath, [startJs], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const log = () => text;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not start within 60 s:\n${text}`));
    }, 60_000);
    const onData = (chunk: string) => {
      text += chunk;
      if (/demo flow deployed/.test(text)) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, log });
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${signal ?? code}) before it started:\n${text}`));
    });
  });
}

/** SIGTERM (start.js stops Node-RED and the demo server), SIGKILL after 5 s. */
async function stopDemo(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function nodeGroup(id: string): string {
  return `#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`;
}

// The functions given to page.evaluate/waitForFunction run in the page and reach its
// globals through `globalThis as any` (the project compiles without the DOM lib).
async function takePicture(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector(nodeGroup('demo-debug-error'), { state: 'visible', timeout: 30_000 });
  await page.waitForSelector('#red-ui-palette .red-ui-palette-node[data-palette-type="create-completion"]', { state: 'attached' });

  // A clean editor: the debug sidebar in front, no palette (it explains nothing about
  // this package and takes width from the flow), nothing selected.
  await page.evaluate(() => {
    const { RED } = (globalThis as any);
    RED.menu.setSelected('menu-item-palette', false);
    RED.sidebar.show('debug');
  });
  await page.waitForTimeout(300);

  for (const { inject, result } of RUNS) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/inject/${inject}`) && r.request().method() === 'POST'),
      page.locator(`${nodeGroup(inject)} rect.red-ui-flow-node-button-button`).click(),
    ]);
    if (!res.ok()) throw new Error(`inject ${inject}: ${res.status()} ${await res.text()}`);
    // The result node ends with a green "done" status (HTTP status and tokens).
    await page.waitForFunction(
      (sel) => {
        const dot = (globalThis as any).document.querySelector(`${sel} .red-ui-flow-node-status-dot-green`);
        return !!dot && dot.style.display !== 'none';
      },
      nodeGroup(result),
      { timeout: 30_000 },
    );
  }
  await page.waitForTimeout(2_000);

  // Open the last message (the array of the two texts of "parameters") and keep the
  // list scrolled to its end.
  const lastMessage = page.locator('.red-ui-debug-content-list .red-ui-debug-msg').last();
  await lastMessage.locator('.red-ui-debug-msg-object-handle').first().click();
  await page.evaluate(() => {
    const list = (globalThis as any).document.querySelector('.red-ui-debug-content-list');
    list.scrollTop = list.scrollHeight;
  });

  // No selection, no hover, no focus ring, no caret.
  await page.evaluate(() => {
    const { RED, document } = (globalThis as any);
    RED.view.select('');
    document.activeElement?.blur();
  });
  await page.mouse.move(VIEWPORT.width / 2, 4);
  await page.waitForTimeout(300);

  fs.mkdirSync(path.dirname(output), { recursive: true });
  await page.screenshot({ path: output, animations: 'disabled', caret: 'hide' });
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
  const port = await freePort();
  const demo = await startDemo(port);
  // Never leave the demo running, whatever ends this process.
  process.once('exit', () => {
    if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Everything stays on 127.0.0.1, as in the browser test.
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      return u.hostname === '127.0.0.1' || u.protocol === 'data:' ? route.continue() : route.abort();
    });
    // The demo's settings leave telemetry undecided, so the editor would open with the
    // "Enable Update Notifications" dialog over the flow: answer "no" in the settings it reads.
    await page.route((u) => u.pathname === '/settings', async (route) => {
      const response = await route.fetch();
      const json = await response.json();
      await route.fulfill({ response, json: { ...json, telemetryEnabled: false } });
    });
    await takePicture(page, demo.url);
    if (pageErrors.length > 0) console.warn(`script errors in the page:\n  ${pageErrors.join('\n  ')}`);
    console.log(`wrote ${path.relative(process.cwd(), output) || output}`);
  } catch (error) {
    console.error(`demo log:\n${demo.log().slice(-4000)}`);
    throw error;
  } finally {
    await browser?.close();
    await stopDemo(demo.child);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
