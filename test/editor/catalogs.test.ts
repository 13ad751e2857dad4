/**
 * The message catalogs of both nodes: the same keys and __placeholders__ in en-US, de and
 * ja, translated rather than copied; every key the editor HTML uses exists; the runtime's
 * status and error keys are the agreed ones.
 */
import assert from 'node:assert/strict';
import {
  LANGS, MODULE, NODES, coreCatalog, editorKeys, leaves, lookup, placeholders, read, readCatalog,
} from '../support/editor-files';

/** The keys the runtime (nodes/create-completion.ts) passes to RED._, with their English text. */
const RUNTIME_KEYS: Record<string, string> = {
  'status.queued': 'queued: __count__',
  'status.requesting': 'requesting',
  'status.streaming': 'streaming: __count__ chunks',
  'status.streamingOne': 'streaming: 1 chunk',
  'status.retrying': 'retry __attempt__: __reason__',
  'status.done': '__status__ · __tokens__ tokens',
  'status.doneNoUsage': '__status__',
  'status.failed': 'failed: __reason__',
  'status.invalid': 'invalid: __fields__',
  'status.noConnection': 'no connection',
  'errors.noConnection': 'no completion-api connection is configured',
  'errors.badConnection': 'the completion-api connection is invalid: __reason__',
};

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
        const used = new Set(editorKeys(html).filter((u) => u.namespace === null).map((u) => u.key));
        // Keys the dialog builds from the runtime's list of server kinds.
        const built = (key: string) => key.startsWith(`${node}.kind.`) && html.includes(`"${node}.kind." + `);
        const unused = [...leaves(readCatalog('en-US', node)).keys()].filter(
          (key) => !used.has(key) && !built(key) && !key.startsWith(`${node}.status.`) && !key.startsWith(`${node}.errors.`),
        );
        assert.deepEqual(unused, []);
      });
    });
  }

  describe('runtime keys of create-completion', () => {
    it('status and errors hold exactly the agreed keys', () => {
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'create-completion');
        const runtime = [...leaves(catalog).keys()]
          .filter((k) => k.startsWith('create-completion.status.') || k.startsWith('create-completion.errors.'))
          .map((k) => k.slice('create-completion.'.length))
          .sort();
        assert.deepEqual(runtime, Object.keys(RUNTIME_KEYS).sort(), lang);
      }
    });

    it('en-US has the agreed texts; de and ja the same placeholders', () => {
      const en = readCatalog('en-US', 'create-completion');
      for (const [key, text] of Object.entries(RUNTIME_KEYS)) {
        assert.equal(lookup(en, `create-completion.${key}`), text, key);
        for (const lang of ['de', 'ja'] as const) {
          const translated = lookup(readCatalog(lang, 'create-completion'), `create-completion.${key}`);
          assert.equal(typeof translated, 'string', `${lang} ${key}`);
          assert.deepEqual(placeholders(translated as string), placeholders(text), `${lang} ${key}`);
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
