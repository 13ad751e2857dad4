/**
 * The message catalogs of both nodes: the same keys and __placeholders__ in en-US, de and
 * ja, translated rather than copied; every key the editor HTML uses exists; the runtime's
 * status and error keys are the agreed ones.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths';
import {
  LANGS, MODULE, NODES, coreCatalog, editorKeys, leaves, lookup, placeholders, read, readCatalog,
} from '../support/editor-files';

/**
 * The catalog keys the runtime uses, read from its sources: every `create-completion.…`
 * literal, and the `status.…` keys NodeStatus (nodes/lib/flow/status.ts) prefixes with the
 * node's namespace, each with the values it fills in where the source shows them. The
 * runtime sends fixed status texts as keys, which the editor translates into its user's
 * language, and translates the others itself: either way every key must exist in en-US,
 * de and ja.
 */
function runtimeKeys(): Map<string, Set<string> | null> {
  const keys = new Map<string, Set<string> | null>();
  const files = (dir: string): string[] =>
    fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
  for (const file of files('nodes')) {
    const source = read(file);
    for (const m of source.matchAll(/['"`]create-completion\.((?:status|errors)\.[A-Za-z]+)['"`]/g)) keys.set(m[1], keys.get(m[1]) ?? null);
    if (!file.endsWith(path.join('flow', 'status.ts'))) continue;
    for (const m of source.matchAll(/['"`](status\.[A-Za-z]+)['"`]/g)) keys.set(m[1], keys.get(m[1]) ?? null);
    // this.text(<key or keys>, { a, b: …, c }): the values a template may use.
    for (const m of source.matchAll(/this\.text\(([^{;]*?),\s*\{([^}]*)\}\s*\)/g)) {
      const names = new Set(m[2].split(',').map((part) => /^\s*(\w+)/.exec(part)?.[1]).filter((n): n is string => !!n));
      for (const k of m[1].matchAll(/['"`](status\.[A-Za-z]+)['"`]/g)) keys.set(k[1], names);
    }
  }
  return keys;
}

describe('message catalogs', () => {
  for (const node of NODES) {
    describe(node, () => {
      it('exist for en-US, de and ja with one top-level key, the node type', () => {
        for (const lang of LANGS) {
          const catalog = readCatalog(lang, node);
          assert.deepEqual(Object.keys(catalog), [node], `${lang}/${node}.json`);
        }
      });

      it('have the same keys in every language, each a non-empty string', () => {
        const en = leaves(readCatalog('en-US', node));
        for (const lang of LANGS) {
          const other = leaves(readCatalog(lang, node));
          const missing = [...en.keys()].filter((k) => !other.has(k));
          const extra = [...other.keys()].filter((k) => !en.has(k));
          assert.deepEqual(missing, [], `${lang}/${node}.json lacks keys of en-US`);
          assert.deepEqual(extra, [], `${lang}/${node}.json has keys en-US lacks`);
          for (const [key, value] of other) {
            assert.ok(typeof value === 'string' && value.trim() !== '', `${lang}/${node}.json ${key} must be a non-empty string`);
          }
        }
      });

      it('use the same __placeholders__ in every language', () => {
        const en = leaves(readCatalog('en-US', node));
        for (const lang of LANGS) {
          const other = leaves(readCatalog(lang, node));
          for (const [key, text] of en) {
            assert.deepEqual(placeholders(String(other.get(key))), placeholders(String(text)), `${lang}/${node}.json ${key}`);
          }
        }
      });

      it('are translated, not copied (de and ja differ from en-US for most texts)', () => {
        const en = leaves(readCatalog('en-US', node));
        for (const lang of ['de', 'ja'] as const) {
          const other = leaves(readCatalog(lang, node));
          const same = [...en.keys()].filter((k) => other.get(k) === en.get(k));
          assert.ok(same.length < en.size / 3, `${lang}/${node}.json: ${same.length} of ${en.size} texts equal en-US: ${same.join(', ')}`);
        }
      });

      it('hold only keys the editor uses (runtime keys live under status and errors)', () => {
        const html = read('nodes', `${node}.html`);
        const uses = editorKeys(html).filter((u) => u.namespace === null);
        const used = new Set(uses.filter((u) => !u.prefix).map((u) => u.key));
        // Groups of keys the dialog completes at run time, as in this._("completion-api.kind." + kind).
        const prefixes = uses.filter((u) => u.prefix).map((u) => u.key);
        const built = (key: string) => prefixes.some((prefix) => key.startsWith(prefix));
        const unused = [...leaves(readCatalog('en-US', node)).keys()].filter(
          (key) => !used.has(key) && !built(key) && !key.startsWith(`${node}.status.`) && !key.startsWith(`${node}.errors.`),
        );
        assert.deepEqual(unused, []);
      });
    });
  }

  describe('runtime keys of create-completion', () => {
    const used = runtimeKeys();

    it('are found in the runtime sources', () => {
      assert.ok(used.has('status.requesting') && used.has('errors.noConnection'), [...used.keys()].join(', '));
    });

    it('exist in en-US, de and ja, and status and errors hold no others', () => {
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'create-completion');
        const runtime = [...leaves(catalog).keys()]
          .filter((k) => k.startsWith('create-completion.status.') || k.startsWith('create-completion.errors.'))
          .map((k) => k.slice('create-completion.'.length))
          .sort();
        assert.deepEqual(runtime, [...used.keys()].sort(), lang);
      }
    });

    it('fill only the values the runtime gives them, the same in every language', () => {
      for (const [key, names] of used) {
        const en = lookup(readCatalog('en-US', 'create-completion'), `create-completion.${key}`);
        assert.equal(typeof en, 'string', key);
        if (names) {
          for (const placeholder of placeholders(en as string)) {
            assert.ok(names.has(placeholder.slice(2, -2)), `${key}: ${placeholder} is not among the values the runtime gives (${[...names].join(', ')})`);
          }
        }
        for (const lang of ['de', 'ja'] as const) {
          const translated = lookup(readCatalog(lang, 'create-completion'), `create-completion.${key}`);
          assert.equal(typeof translated, 'string', `${lang} ${key}`);
          assert.deepEqual(placeholders(translated as string), placeholders(en as string), `${lang} ${key}`);
        }
      }
    });
  });
});

// ---------------------------------------------------------------------------- editor keys

describe('editor i18n keys', () => {
  for (const node of NODES) {
    it(`every key used in nodes/${node}.html exists in its en-US, de and ja catalogs`, () => {
      const html = read('nodes', `${node}.html`);
      const uses = editorKeys(html);
      assert.ok(uses.length > 10, `${node}.html uses i18n keys`);
      const problems: string[] = [];
      for (const use of uses) {
        for (const lang of LANGS) {
          if (use.namespace === 'node-red') {
            if (typeof lookup(coreCatalog(lang), use.key) !== 'string') problems.push(`${lang}: node-red:${use.key} (${use.via})`);
          } else if (use.namespace === null || use.namespace === `${MODULE}/${node}`) {
            if (!use.key.startsWith(`${node}.`)) problems.push(`${use.key} is not under "${node}." (${use.via})`);
            if (use.prefix) {
              // A prefix completed at run time, as in this._("completion-api.kind." + kind): a group of texts.
              const group = lookup(readCatalog(lang, node), use.key.slice(0, -1));
              if (group === undefined || typeof group === 'string' || [...leaves(group).values()].some((v) => typeof v !== 'string')) {
                problems.push(`${lang}: ${use.key}* is no group of texts (${use.via})`);
              }
            } else if (typeof lookup(readCatalog(lang, node), use.key) !== 'string') {
              problems.push(`${lang}: ${use.key} (${use.via})`);
            }
          } else {
            problems.push(`${use.key}: RED._ needs the "${MODULE}/${node}:" namespace or this._/node._ (${use.via})`);
          }
        }
      }
      assert.deepEqual([...new Set(problems)], []);
    });

    it(`nodes/${node}.html holds no help text (it lives in locales/)`, () => {
      assert.doesNotMatch(read('nodes', `${node}.html`), /data-help-name=/);
    });
  }
});
