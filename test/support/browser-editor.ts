/**
 * The editor in a real browser, as the browser tests drive it: Debian's Chromium through
 * playwright-core against a real Node-RED with the packed package installed
 * (installed-node-red.ts). One `EditorSession` per test file: the Node-RED, the demo
 * server it talks to, and a page on the editor that may reach nothing but 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startCompletionServer, type CompletionServer, type ServerOptions } from '../../demo-server/completion-server';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';
import { packPackage, repositoryRoot, startInstalledNodeRed, type InstalledNodeRed, type StartOptions } from './installed-node-red';

export const PALETTE_NODE = '.red-ui-palette-node[data-palette-type="create-completion"]';
/** The text box a typedInput shows in place of its (then hidden) original input. */
export const typedText = (id: string) => `#${id} + .red-ui-typedInput-container input.red-ui-typedInput-input`;

export interface EditorSession {
  server: CompletionServer;
  red: InstalledNodeRed;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Script errors the page threw. */
  pageErrors: string[];
  /** Requests to anything but 127.0.0.1, blocked. */
  offline: string[];
  artifacts: string;
  /** A screenshot into test/artifacts/ (gitignored); returns its path. */
  shot(name: string, clip?: { x: number; y: number; width: number; height: number }): Promise<string>;
  /** Opens a new page on the editor in another language (a context with that locale). */
  pageIn(locale: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startEditorSession(options: { server?: ServerOptions; red?: Partial<StartOptions>; locale?: string } = {}): Promise<EditorSession> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's Chromium (apt-get install -y chromium; .ci/run does this)`);
  }
  const artifacts = path.join(repositoryRoot(), 'test', 'artifacts');
  fs.mkdirSync(artifacts, { recursive: true });
  const server = await startCompletionServer(options.server ?? {});
  const red = await startInstalledNodeRed({ tarball: await packPackage(), ...options.red });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const pageErrors: string[] = [];
  const offline: string[] = [];
  const contexts: BrowserContext[] = [];
  const newPage = async (locale: string) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(`${locale}: ${err.message}`));
    // Everything stays on 127.0.0.1: the editor needs nothing from outside.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      offline.push(url.href);
      return route.abort();
    });
    return { context, page };
  };
  const { context, page } = await newPage(options.locale ?? 'en-US');
  return {
    server,
    red,
    browser,
    context,
    page,
    pageErrors,
    offline,
    artifacts,
    async shot(name, clip) {
      const file = path.join(artifacts, name);
      await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', clip });
      return file;
    },
    async pageIn(locale) {
      return (await newPage(locale)).page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await red.stop();
      await server.close();
    },
  };
}

/** Opens the editor and waits until the palette holds our node. */
export async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#red-ui-palette', { state: 'visible', timeout: 30_000 });
  await page.locator(PALETTE_NODE).waitFor({ state: 'attached', timeout: 30_000 });
  // The editor settles its workspace after the palette: wait for the first tab.
  await page.waitForFunction(() => !!(window as any).RED?.workspaces?.active?.(), undefined, { timeout: 30_000 });
}

export function nodeOnCanvas(page: Page, id: string) {
  return page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
}

/** Shows a node's workspace and opens its edit dialog. */
export async function openNodeDialog(page: Page, id: string, field = '#node-input-resultFormat'): Promise<void> {
  await page.evaluate((nodeId) => {
    const RED = (window as any).RED;
    const node = RED.nodes.node(nodeId);
    RED.workspaces.show(node.z);
    RED.view.reveal(nodeId);
  }, id);
  await nodeOnCanvas(page, id).dblclick();
  await page.waitForSelector(field, { state: 'visible' });
}

/** Closes the open edit dialog with Cancel (or Done) and waits until it is gone. */
export async function closeDialog(page: Page, how: 'cancel' | 'ok' = 'cancel', field = '#node-input-resultFormat'): Promise<void> {
  await page.click(how === 'ok' ? '#node-dialog-ok' : '#node-dialog-cancel');
  await page.waitForSelector(field, { state: 'detached' });
}

/** Closes the open connection dialog (the config node's, over a node's) with Cancel (or Done) and waits until it is gone. */
export async function closeConnectionDialog(page: Page, how: 'cancel' | 'ok' = 'cancel'): Promise<void> {
  await page.click(how === 'ok' ? '#node-config-dialog-ok' : '#node-config-dialog-cancel');
  await page.waitForSelector('#node-config-input-baseUrl', { state: 'detached' });
}

/** Replaces the workspace's flows with `flow` through the Admin API and reloads the editor. */
export async function deployAndReload(session: EditorSession, flow: object[], credentials?: Record<string, Record<string, unknown>>, page = session.page): Promise<void> {
  await session.red.deployFlow(flow, credentials);
  await openEditor(page, session.red.url);
}

/**
 * A screenshot of the whole form of the open dialog (the tray), however long: the
 * viewport grows until the form fits, then goes back.
 */
export async function shootDialog(session: EditorSession, page: Page, formSelector: string, file: string): Promise<void> {
  const height = await page.evaluate((selector) => {
    const form = Array.from(document.querySelectorAll(selector)).pop() as HTMLElement;
    const body = form.closest('.red-ui-tray-body') as HTMLElement;
    return Math.ceil(body.getBoundingClientRect().top + form.scrollHeight + 60);
  }, formSelector);
  const viewport = page.viewportSize()!;
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.min(height + 40, 4000)) });
  await page.waitForTimeout(400); // the tray lays out again on resize
  const box = (await page.locator('.red-ui-tray').last().boundingBox())!;
  const bottom = await page.evaluate((selector) => {
    const form = Array.from(document.querySelectorAll(selector)).pop() as HTMLElement;
    return Math.ceil(form.getBoundingClientRect().bottom + 16);
  }, formSelector);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', clip: { x: box.x, y: box.y, width: box.width, height: Math.min(bottom, box.y + box.height) - box.y } });
  await page.setViewportSize(viewport);
  await page.waitForTimeout(300);
}

/** Copies an artifact to docs/ (screenshots the README shows), under a stable name. */
export function publish(file: string, name: string): void {
  const docs = path.join(repositoryRoot(), 'docs');
  fs.mkdirSync(docs, { recursive: true });
  fs.copyFileSync(file, path.join(docs, name));
}

/**
 * Rows of a dialog whose label and field are not side by side: the label's vertical middle
 * outside its field's height, or the label running into the field. Long labels (German,
 * Japanese) may wrap, but must stay beside their field.
 */
export async function misalignedRows(page: Page, formSelector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const form = Array.from(document.querySelectorAll(selector)).pop() as HTMLElement;
    const bad: string[] = [];
    for (const row of Array.from(form.querySelectorAll('.form-row')) as HTMLElement[]) {
      if (row.offsetParent === null) continue;
      const label = row.querySelector(':scope > label:not(.cc-spacer):not(.cc-check-label)');
      const field = row.querySelector(':scope > input:not([type="hidden"]):not([type="checkbox"]), :scope > select, :scope > .red-ui-typedInput-container');
      if (!label || !field || (field as HTMLElement).offsetParent === null) continue;
      const l = label.getBoundingClientRect();
      const f = field.getBoundingClientRect();
      const middle = (l.top + l.bottom) / 2;
      if (middle < f.top - 2 || middle > f.bottom + 2 || l.right > f.left + 1 || l.height > 3 * f.height) {
        bad.push(`${label.textContent?.trim()}: label ${Math.round(l.top)}-${Math.round(l.bottom)} x${Math.round(l.right)}, field ${Math.round(f.top)}-${Math.round(f.bottom)} x${Math.round(f.left)}`);
      }
    }
    return bad;
  }, formSelector);
}

/** Unfolds every folded section of the open dialog. */
export async function openAllSections(page: Page, formSelector: string): Promise<void> {
  const folded = page.locator(`${formSelector} .cc-section[data-section]:not(.cc-open)`);
  while ((await folded.count()) > 0) await folded.first().click();
}
