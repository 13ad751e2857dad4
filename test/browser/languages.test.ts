// Both dialogs and the node's status in a German and a Japanese editor, in a real browser:
// every text translated, long labels ("Warteschlange max.") beside their fields rather
// than breaking their rows, and the status the runtime sends as a catalogue key shown in
// the editor's language.
//
// CI installs Chromium (.ci/run); without /usr/bin/chromium this test fails, it never skips.
import assert from 'node:assert/strict';
import { completionFlow } from '../support/installed-node-red';
import { readCatalog, lookup } from '../support/editor-files';
import {
  closeConnectionDialog, closeDialog, misalignedRows, nodeOnCanvas, openAllSections, openEditor, openNodeDialog, startEditorSession, type EditorSession,
} from '../support/browser-editor';
import type { Page } from 'playwright-core';

const LOCALES = [
  { locale: 'de-DE', lang: 'de' as const },
  { locale: 'ja-JP', lang: 'ja' as const },
];

describe('dialogs and status in a German and a Japanese editor (Chromium + playwright-core)', function () {
  this.timeout(60_000);

  let session: EditorSession;
  const pages: Record<string, Page> = {};
  let ids: Record<string, string>;

  before(async function () {
    this.timeout(240_000);
    session = await startEditorSession();
    const built = completionFlow({ route: 'lang', api: { serverKind: 'other', baseUrl: session.server.url }, node: { prompt: 'hi' } });
    ids = built.ids;
    await session.red.deployFlow(built.flow, built.credentials);
    for (const { locale, lang } of LOCALES) {
      pages[lang] = await session.pageIn(locale);
      await openEditor(pages[lang], session.red.url);
    }
  });

  after(async function () {
    this.timeout(30_000);
    await session?.close();
  });

  for (const { lang } of LOCALES) {
    describe(lang, () => {
      it('the create-completion dialog is translated, and every label sits beside its field', async function () {
        const page = pages[lang];
        await openNodeDialog(page, ids.completion);
        await openAllSections(page, '#dialog-form .cc-form');
        await page.locator('#node-input-suffix').waitFor({ state: 'visible' });
        const catalog = readCatalog(lang, 'create-completion');
        assert.equal((await page.locator('.cc-section[data-section="request"] span').innerText()).trim(), lookup(catalog, 'create-completion.section.request'));
        const text = await page.locator('#dialog-form .cc-form').innerText();
        assert.doesNotMatch(text, /create-completion\.\w+\./, 'untranslated catalog keys');
        assert.deepEqual(await misalignedRows(page, '#dialog-form .cc-form'), []);
        await page.screenshot({ path: `${session.artifacts}/editor-dialog-${lang}.png` });
        // Each row explains itself in this language.
        assert.equal(await page.locator('#node-input-temperature').locator('xpath=..').getAttribute('title'), lookup(catalog, 'create-completion.tip.temperature'));
      });

      it('the connection dialog is translated, and its long labels do not break their rows', async function () {
        const page = pages[lang];
        await page.click('#node-input-btn-api-edit, #node-input-lookup-api');
        await page.waitForSelector('#node-config-input-serverKind', { state: 'visible' });
        await openAllSections(page, '.cc-api-form');
        await page.click('#node-config-input-cache');
        const catalog = readCatalog(lang, 'completion-api');
        const label = String(lookup(catalog, 'completion-api.label.maxQueue'));
        const row = page.locator('label[for="node-config-input-maxQueue"]');
        assert.equal((await row.innerText()).trim(), label);
        assert.deepEqual(await misalignedRows(page, '.cc-api-form'), []);
        // The long label of the queue limit and its field share a row, the field level with its neighbours'.
        const lefts = await page.evaluate(() => ['maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB'].map((n) => Math.round(document.getElementById(`node-config-input-${n}`)!.getBoundingClientRect().left)));
        assert.equal(new Set(lefts).size, 1, `fields not aligned: ${lefts}`);
        assert.deepEqual(
          await page.evaluate(() => Array.from(document.querySelectorAll('#node-config-input-serverKind optgroup')).map((g) => g.getAttribute('label'))),
          ['self-hosted', 'hosted', 'legacy'].map((f) => lookup(catalog, `completion-api.family.${f}`)),
        );
        await page.screenshot({ path: `${session.artifacts}/connection-dialog-${lang}.png` });
        await closeConnectionDialog(page);
        await closeDialog(page);
      });
    });
  }

  it('a status the runtime sends as a key shows in the editor\'s language', async function () {
    // A slow answer: the node shows "requesting" for a while.
    session.server.script({ kind: 'delay', ms: 4000 });
    const answer = session.red.run('lang', 'Say hi', 20_000);
    for (const { lang } of LOCALES) {
      const page = pages[lang];
      const expected = String(lookup(readCatalog(lang, 'create-completion'), 'create-completion.status.requesting'));
      const status = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${ids.completion}"] .red-ui-flow-node-status-label`);
      await nodeOnCanvas(page, ids.completion).waitFor({ state: 'visible' });
      await page.waitForFunction(
        ([selector, text]) => document.querySelector(selector)?.textContent === text,
        [`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${ids.completion}"] .red-ui-flow-node-status-label`, expected] as const,
        { timeout: 4000 },
      );
      assert.equal(await status.textContent(), expected, lang);
    }
    assert.equal((await answer).status, 200);
  });

  describe('afterwards', () => {
    it('ran without script errors in the pages', function () {
      assert.deepEqual(session.pageErrors, []);
    });
  });
});
