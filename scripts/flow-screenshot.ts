/**
 * The README's pictures of the demo flow of `npm start`, after a run of its injects:
 *   docs/flow.png            the flow in the editor, each node with its status
 *   docs/debug-sidebar.png   the debug sidebar, ending with the assembled response of the stream
 *
 *   node dist/scripts/flow-screenshot.js      (after the build; not part of npm test)
 *
 * Starts dist/scripts/start.js as a child process in a fresh user directory, on free
 * ports, always against the demo server (no COMPLETION_* or OPENAI_API_KEY passed on), so
 * the pictures are the same every time and a running `npm start` is left alone. Drives
 * Debian's Chromium (/usr/bin/chromium) with playwright-core, as the browser test does,
 * and stops the child at the end. It fails when the editor opens with a dialog over the
 * flow or when the demo's inject nodes do not line up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/chromium';
import { DEMO_SERVER_PORT } from './flow-nodes';

const root = path.resolve(__dirname, '..', '..');
const FLOW_PNG = path.join(root, 'docs', 'flow.png');
const SIDEBAR_PNG = path.join(root, 'docs', 'debug-sidebar.png');
const VIEWPORT = { width: 1600, height: 900 };
/** How wide the debug sidebar is drawn, so that its messages read without wrapping. */
const SIDEBAR_WIDTH = 460;
/**
 * The injects clicked, in order, each with the node whose green status shows its result.
 * The stream's pieces come before the chain's two answers and the caught error, so that
 * the sidebar, scrolled to the assembled response, shows them all below it.
 */
const RUNS = [
  { inject: 'demo-inject-basic', result: 'demo-basic' },
  { inject: 'demo-inject-params', result: 'demo-text' },
  { inject: 'demo-inject-stream', result: 'demo-stream' },
  { inject: 'demo-inject-chain', result: 'demo-chain-b' },
  { inject: 'demo-inject-invalid', result: null },
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

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `node dist/scripts/start.js` in `userDir` on free ports; resolves once the demo flow is deployed. */
async function startDemo(userDir: string): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const startJs = path.join(root, 'dist', 'scripts', 'start.js');
  if (!fs.existsSync(startJs)) throw new Error(`${startJs} is missing: build first (node scripts/build.js)`);
  const port = await freePort();
  // The demo server on its documented address, as the picture shows it, unless that is taken.
  const demoPort = (await isFree(DEMO_SERVER_PORT)) ? DEMO_SERVER_PORT : await freePort();
  if (demoPort !== DEMO_SERVER_PORT) console.warn(`port ${DEMO_SERVER_PORT} is taken: the pictures show the demo server on ${demoPort}`);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEMO_SERVER_PORT: String(demoPort), DEMO_USER_DIR: userDir };
  for (const name of ['OPENAI_API_KEY', 'COMPLETION_BASE_URL', 'COMPLETION_SERVER_KIND', 'COMPLETION_MODEL', 'COMPLETION_API_KEY', 'RESET']) delete env[name];
  const child = spawn(process.execPath, [startJs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** What covers the flow on first open: dialogs, popovers, notifications, a tour. */
async function coveringElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as any;
    const selectors = ['.ui-dialog', '.red-ui-popover', '.red-ui-notification', '.red-ui-tourGuide-shade', '.red-ui-tourGuide-popover'];
    const shown: string[] = [];
    for (const selector of selectors) {
      for (const el of document.querySelectorAll(selector)) {
        const style = (globalThis as any).getComputedStyle(el);
        if (style.display !== 'none' && style.visibility !== 'hidden' && el.getClientRects().length > 0) shown.push(`${selector}: ${String(el.textContent).trim().slice(0, 80)}`);
      }
    }
    return shown;
  });
}

/** The left edges of the demo's inject and catch nodes as the editor draws them. */
async function leftEdges(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const { RED } = globalThis as any;
    const edges: Record<string, number> = {};
    RED.nodes.eachNode((n: any) => {
      if (n.type === 'inject' || n.type === 'catch') edges[n.name] = n.x - n.w / 2;
    });
    return edges;
  });
}

async function takePictures(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector(nodeGroup('demo-debug-error'), { state: 'visible', timeout: 30_000 });
  await page.waitForSelector('#red-ui-palette .red-ui-palette-node[data-palette-type="create-completion"]', { state: 'attached' });
  // Whatever would open by itself has had time to.
  await page.waitForTimeout(2_500);
  const covering = await coveringElements(page);
  if (covering.length > 0) throw new Error(`the editor opened with something over the flow:\n  ${covering.join('\n  ')}`);
  const edges = await leftEdges(page);
  if (new Set(Object.values(edges)).size !== 1) throw new Error(`the inject and catch nodes do not line up: ${JSON.stringify(edges)}`);

  // The debug sidebar in front and wider, no palette (it explains nothing about this
  // package and takes width from the flow), nothing selected.
  await page.evaluate(() => {
    const { RED } = globalThis as any;
    RED.menu.setSelected('menu-item-palette', false);
    RED.sidebar.show('debug');
  });
  const separator = await page.locator('#red-ui-sidebar-separator').boundingBox();
  const sidebarBox = await page.locator('#red-ui-sidebar').boundingBox();
  if (separator && sidebarBox) {
    const from = { x: separator.x + separator.width / 2, y: separator.y + separator.height / 2 };
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x - (SIDEBAR_WIDTH - sidebarBox.width), from.y, { steps: 8 });
    await page.mouse.up();
  }
  await page.waitForTimeout(300);

  for (const { inject, result } of RUNS) {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/inject/${inject}`) && r.request().method() === 'POST'),
      page.locator(`${nodeGroup(inject)} rect.red-ui-flow-node-button-button`).click(),
    ]);
    if (!res.ok()) throw new Error(`inject ${inject}: ${res.status()} ${await res.text()}`);
    if (result === null) continue;
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

  // Open the assembled response and scroll the list to it: the joined text, the chain's
  // two answers and the caught error follow it.
  const messages = page.locator('.red-ui-debug-content-list .red-ui-debug-msg');
  const assembled = messages.filter({ has: page.locator('.red-ui-debug-msg-name', { hasText: 'assembled' }) }).last();
  if ((await assembled.count()) === 0) throw new Error('the debug sidebar shows no assembled response');
  await assembled.locator('.red-ui-debug-msg-object-handle').first().click();
  await assembled.evaluate((el: any) => {
    const list = (globalThis as any).document.querySelector('.red-ui-debug-content-list');
    list.scrollTop = el.offsetTop - list.offsetTop - 120;
  });

  // No selection, no hover, no focus ring, no caret.
  await page.evaluate(() => {
    const { RED, document } = globalThis as any;
    RED.view.select('');
    document.activeElement?.blur();
  });
  await page.mouse.move(VIEWPORT.width / 2, 4);
  await page.waitForTimeout(300);

  fs.mkdirSync(path.dirname(FLOW_PNG), { recursive: true });
  await page.screenshot({ path: FLOW_PNG, animations: 'disabled', caret: 'hide' });
  const sidebar = page.locator('#red-ui-sidebar');
  await sidebar.screenshot({ path: SIDEBAR_PNG, animations: 'disabled', caret: 'hide' });
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'create-completion-screenshot-'));
  const demo = await startDemo(userDir);
  // Never leave the demo running, whatever ends this process.
  process.once('exit', () => {
    if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
    fs.rmSync(userDir, { recursive: true, force: true });
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
    await takePictures(page, demo.url);
    if (pageErrors.length > 0) console.warn(`script errors in the page:\n  ${pageErrors.join('\n  ')}`);
    for (const file of [FLOW_PNG, SIDEBAR_PNG]) console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
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
