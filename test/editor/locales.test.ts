/**
 * The editor's side of the package, checked without a browser: message catalogs,
 * translated help, and the editor definitions in nodes/*.html.
 *
 * - every i18n key the editor HTML uses (data-i18n incl. [placeholder]/[html]/[title],
 *   this._(), node._(), RED._()) exists in the en-US, de and ja catalog of its node;
 * - the three catalogs of a node have the same keys and the same __placeholders__;
 * - the runtime's status and error keys are exactly the agreed ones;
 * - each help file has Node-RED's structured layout, in every language;
 * - each editor definition registers a literal type with the agreed properties, ids
 *   and validators (run in a sandbox, as the editor would call them).
 *
 * Reads the source files: the repository root is two levels above dist/test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { CONNECTION_FACTS, REQUEST_FACTS } from '../../nodes/lib/editor-facts';

const SERVER_KINDS = CONNECTION_FACTS.kinds;
const RESERVED_HEADERS = CONNECTION_FACTS.headers.reserved;
import { REPO_ROOT } from '../support/paths';

const root = REPO_ROOT;
const LANGS = ['en-US', 'de', 'ja'] as const;
type Lang = (typeof LANGS)[number];
const NODES = ['create-completion', 'completion-api'] as const;
type NodeType = (typeof NODES)[number];
const MODULE = 'node-red-contrib-create-completion';

type Tree = { [key: string]: string | Tree };

// ---------------------------------------------------------------------------- helpers

function read(...parts: string[]): string {
  return fs.readFileSync(path.join(root, ...parts), 'utf8');
}

function readCatalog(lang: Lang, node: NodeType): Tree {
  return JSON.parse(read('locales', lang, `${node}.json`)) as Tree;
}

const coreCatalogs: Partial<Record<Lang, Tree>> = {};
/** Node-RED's own catalog (namespace `node-red`), for keys such as node-red:common.label.name. */
function coreCatalog(lang: Lang): Tree {
  if (!coreCatalogs[lang]) {
    const pkg = require.resolve('@node-red/nodes/package.json', { paths: [root] });
    coreCatalogs[lang] = JSON.parse(fs.readFileSync(path.join(path.dirname(pkg), 'locales', lang, 'messages.json'), 'utf8')) as Tree;
  }
  return coreCatalogs[lang] as Tree;
}

function lookup(tree: Tree, key: string): string | Tree | undefined {
  let current: string | Tree | undefined = tree;
  for (const part of key.split('.')) {
    if (current === undefined || typeof current === 'string') return undefined;
    current = Object.prototype.hasOwnProperty.call(current, part) ? current[part] : undefined;
  }
  return current;
}

/** Every leaf key of a catalog with its text. */
function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of leaves(value as Tree, full)) out.set(k, v);
    } else {
      out.set(full, value);
    }
  }
  return out;
}

function placeholders(text: string): string[] {
  return [...new Set(text.match(/__[A-Za-z0-9_]+?__/g) ?? [])].sort();
}

/** Fills __name__ placeholders as i18next does in Node-RED. */
function translate(tree: Tree, key: string, values: Record<string, unknown> = {}): string {
  const text = lookup(tree, key);
  if (typeof text !== 'string') return key;
  return text.replace(/__([A-Za-z0-9_]+?)__/g, (all, name: string) => (name in values ? String(values[name]) : all));
}

interface KeyUse {
  namespace: string | null;
  key: string;
  via: string;
  /** The text is the start of a key completed at run time: this._("x.kind." + kind). */
  prefix?: boolean;
}

/** The i18n keys an editor HTML file uses. */
function editorKeys(html: string): KeyUse[] {
  const uses: KeyUse[] = [];
  for (const m of html.matchAll(/data-i18n="([^"]*)"/g)) {
    for (const part of m[1].split(';')) {
      const key = part.trim().replace(/^\[[^\]]*\]/, '');
      if (key === '') continue;
      const colon = key.indexOf(':');
      uses.push(colon === -1 ? { namespace: null, key, via: 'data-i18n' } : { namespace: key.slice(0, colon), key: key.slice(colon + 1), via: 'data-i18n' });
    }
  }
  // Keys handed to helpers such as invalid(this, "create-completion.label.seed", ...).
  for (const m of html.matchAll(/(["'])((?:create-completion|completion-api)(?:\.[A-Za-z_][\w-]*){2,})\1/g)) {
    uses.push({ namespace: null, key: m[2], via: 'string literal' });
  }
  for (const m of html.matchAll(/\b(this|node|RED)\._\(\s*(["'])(.*?)\2(\s*\+)?/g)) {
    const [, who, , key, plus] = m;
    const prefix = plus !== undefined && key.endsWith('.');
    const colon = key.indexOf(':');
    if (colon !== -1) uses.push({ namespace: key.slice(0, colon), key: key.slice(colon + 1), via: `${who}._`, prefix });
    else uses.push({ namespace: who === 'RED' ? 'editor' : null, key, via: `${who}._`, prefix });
  }
  return uses;
}

/** The content of the one `<script type="text/html" data-help-name="...">` of a help file. */
function helpBody(lang: Lang, node: NodeType): string {
  const html = read('locales', lang, `${node}.html`);
  const scripts = [...html.matchAll(/<script\s+type="text\/html"\s+data-help-name="([^"]+)"\s*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, `${lang}/${node}.html: exactly one help script`);
  assert.equal(scripts[0][1], node, `${lang}/${node}.html: data-help-name`);
  return scripts[0][2];
}

const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr']);

interface Element {
  tag: string;
  attrs: string;
  children: Element[];
  start: number;
  end: number;
}

/** A small, strict HTML tree builder for our own help files: unbalanced tags fail. */
function parse(html: string, where: string): Element {
  const top: Element = { tag: '#root', attrs: '', children: [], start: 0, end: html.length };
  const stack: Element[] = [top];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const [whole, closing, rawTag, attrs] = m;
    const tag = rawTag.toLowerCase();
    const index = m.index ?? 0;
    if (closing) {
      const open = stack.pop();
      assert.ok(open && open.tag === tag, `${where}: </${tag}> closes <${open?.tag}> at offset ${index}`);
      open.end = index + whole.length;
    } else {
      const element: Element = { tag, attrs, children: [], start: index, end: index + whole.length };
      stack[stack.length - 1].children.push(element);
      if (!VOID.has(tag) && !attrs.trim().endsWith('/')) stack.push(element);
    }
  }
  assert.equal(stack.length, 1, `${where}: <${stack[stack.length - 1].tag}> is never closed`);
  return top;
}

function find(element: Element, test: (e: Element) => boolean): Element[] {
  const out: Element[] = [];
  for (const child of element.children) {
    if (test(child)) out.push(child);
    out.push(...find(child, test));
  }
  return out;
}

const hasClass = (e: Element, cls: string) => new RegExp(`class="[^"]*\\b${cls}\\b[^"]*"`).test(e.attrs);
const textOf = (html: string, e: Element) =>
  html.slice(e.start, e.end).replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();

// ---------------------------------------------------------------------------- expectations

const HEADINGS: Record<Lang, { inputs: string; outputs: string; details: string; references: string; properties: string }> = {
  'en-US': { inputs: 'Inputs', outputs: 'Outputs', details: 'Details', references: 'References', properties: 'Properties' },
  de: { inputs: 'Eingangsdaten', outputs: 'Ausgangsdaten', details: 'Details', references: 'Referenzen', properties: 'Eigenschaften' },
  ja: { inputs: '入力', outputs: '出力', details: '詳細', references: '参考', properties: 'プロパティ' },
};

/** The keys the runtime (nodes/create-completion.ts) passes to RED._, with their English text. */
const RUNTIME_KEYS: Record<string, string> = {
  'status.queued': 'queued: __count__',
  'status.requesting': 'requesting',
  'status.streaming': 'streaming: __count__ chunks',
  'status.streamingOne': 'streaming: 1 chunk',
  'status.streamingRate': 'streaming: __count__ chunks · __rate__/s',
  'status.cached': 'from the cache',
  'status.budgetTokens': '__left__ tokens left',
  'status.budgetCost': '__left__ left',
  'status.truncated': 'cut at max_tokens',
  'status.budgetReset': 'budget reset: __left__ left',
  'status.retrying': 'retry __attempt__: __reason__',
  'status.done': '__status__ · __tokens__ tokens',
  'status.doneNoUsage': '__status__',
  'status.failed': 'failed: __reason__',
  'status.invalid': 'invalid: __fields__',
  'status.noConnection': 'no connection',
  'errors.noConnection': 'no completion-api connection is configured',
  'errors.badConnection': 'the completion-api connection is invalid: __reason__',
};

const README_URL = 'https://github.com/node-red-contrib-create-completion/node-red-contrib-create-completion';

/** The fields of the completion-api dialog, each described in the help under its catalog label. */
const API_FIELDS = [
  'serverKind', 'baseUrl', 'apiVersion', 'tls', 'proxy', 'apiKey', 'organization', 'project', 'headers',
  'connectTimeout', 'responseTimeout', 'idleTimeout', 'maxRetries', 'maxRetryWait', 'retryTimeouts',
  'maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB',
];

const SERVER_KINDS_HEADING: Record<Lang, string> = { 'en-US': 'Server kinds', de: 'Serverarten', ja: 'サーバの種類' };

/** What the help must say per server kind (the same code words in every language). */
const KIND_FACTS: Record<string, string[]> = {
  openai: ['Authorization: Bearer', 'OpenAI-Organization', 'OpenAI-Project'],
  azure: ['/openai/deployments/', '/completions?api-version=', 'api-key', 'create-completion'],
  'azure-v1': ['/openai/v1/completions', 'api-key'],
  vllm: ['best_of', 'suffix'],
  llamacpp: ['echo', 'best_of', 'suffix', 'logprobs', '[DONE]'],
  ollama: ['<code>n</code>', 'echo', 'logit_bias'],
  lmstudio: [],
  localai: [],
  sglang: [],
  tgi: [],
  openrouter: [],
  other: [],
};

/** Header names the connection sets itself: the editor refuses them, and the help names them. */

// ---------------------------------------------------------------------------- catalogs

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

// ---------------------------------------------------------------------------- help

describe('help', () => {
  for (const lang of LANGS) {
    describe(lang, () => {
      it('create-completion: summary, Inputs, Outputs with two ports, Details, References', () => {
        const where = `${lang}/create-completion.html`;
        const body = helpBody(lang, 'create-completion');
        const tree = parse(body, where);
        const h = HEADINGS[lang];

        assert.equal(tree.children[0]?.tag, 'p', `${where}: the first element is the <p> summary`);
        const summary = textOf(body, tree.children[0]);
        assert.ok(summary.length > 10 && summary.length < 200, `${where}: one-line summary, got "${summary}"`);

        const headings = tree.children.filter((e) => e.tag === 'h3').map((e) => textOf(body, e));
        assert.deepEqual(headings, [h.inputs, h.outputs, h.details, h.references], where);

        const inputsAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.inputs);
        const afterInputs = tree.children[inputsAt + 1];
        assert.ok(afterInputs?.tag === 'dl' && hasClass(afterInputs, 'message-properties'), `${where}: <dl class="message-properties"> after ${h.inputs}`);
        assert.match(textOf(body, afterInputs), /^payload\b/, `${where}: inputs describe payload`);

        const ports = tree.children.filter((e) => e.tag === 'ol' && hasClass(e, 'node-ports'));
        assert.equal(ports.length, 1, `${where}: one <ol class="node-ports">`);
        const items = ports[0].children.filter((e) => e.tag === 'li');
        assert.equal(items.length, 2, `${where}: two output ports`);
        for (const item of items) {
          assert.ok(item.children.some((e) => e.tag === 'dl' && hasClass(e, 'message-properties')), `${where}: each port has a message-properties list`);
        }
        const result = textOf(body, items[0]);
        for (const property of ['payload', 'statusCode', 'headers', 'completion', 'parts', 'complete']) {
          assert.match(result, new RegExp(`\\b${property}\\b`), `${where}: result port describes ${property}`);
        }

        for (const code of ['INVALID_REQUEST', 'NO_CONNECTION', 'HTTP_ERROR', 'NETWORK_ERROR', 'TIMEOUT', 'BAD_RESPONSE', 'RESPONSE_TOO_LARGE', 'STREAM_ERROR', 'ABORTED', 'QUEUE_FULL']) {
          assert.ok(body.includes(code), `${where}: names error code ${code}`);
        }
        for (const status of ['408', '409', '429', '5xx']) assert.ok(body.includes(status), `${where}: names retried status ${status}`);
        assert.ok(body.includes('https://platform.openai.com/docs/api-reference/completions'), `${where}: links the OpenAI reference`);
        assert.ok(body.includes(README_URL), `${where}: links the README`);
      });

      it('create-completion: the same message properties as en-US', () => {
        const dts = (l: Lang) => {
          const body = helpBody(l, 'create-completion');
          return find(parse(body, l), (e) => e.tag === 'dt').map((e) => textOf(body, e).split(' ')[0]);
        };
        assert.deepEqual(dts(lang), dts('en-US'));
      });

      it('completion-api: summary, Properties naming every field, Details, References', () => {
        const where = `${lang}/completion-api.html`;
        const body = helpBody(lang, 'completion-api');
        const tree = parse(body, where);
        const h = HEADINGS[lang];

        assert.equal(tree.children[0]?.tag, 'p', `${where}: the first element is the <p> summary`);
        const headings = tree.children.filter((e) => e.tag === 'h3').map((e) => textOf(body, e));
        assert.deepEqual(headings, [h.properties, h.details, h.references], where);
        const lists = tree.children.filter((e) => e.tag === 'dl' && hasClass(e, 'message-properties'));
        assert.equal(lists.length, 1, `${where}: one <dl class="message-properties">`);

        const described = find(lists[0], (e) => e.tag === 'dt').map((e) => textOf(body, e));
        const catalog = readCatalog(lang, 'completion-api');
        const labels = [
          String(lookup(coreCatalog(lang), 'common.label.name')),
          ...API_FIELDS.map((f) => String(lookup(catalog, `completion-api.label.${f}`))),
        ];
        for (const label of labels) {
          assert.ok(described.some((dt) => dt.startsWith(label)), `${where}: describes "${label}"`);
        }
        assert.equal(described.length, labels.length, `${where}: one <dt> per field, got ${described.join(' | ')}`);

        // Details has a "Server kinds" list naming every kind by its label in this language.
        const detailsAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.details);
        const referencesAt = tree.children.findIndex((e) => e.tag === 'h3' && textOf(body, e) === h.references);
        const details = tree.children.slice(detailsAt + 1, referencesAt);
        const kindsAt = details.findIndex((e) => e.tag === 'h4' && textOf(body, e) === SERVER_KINDS_HEADING[lang]);
        assert.ok(kindsAt !== -1, `${where}: <h4>${SERVER_KINDS_HEADING[lang]}</h4> under ${h.details}`);
        const kindList = details[kindsAt + 1];
        assert.equal(kindList?.tag, 'dl', `${where}: a <dl> of server kinds`);
        const kindTerms = find(kindList, (e) => e.tag === 'dt').map((e) => textOf(body, e));
        for (const kind of SERVER_KINDS) {
          const label = String(lookup(catalog, `completion-api.kind.${kind}`));
          assert.ok(kindTerms.some((dt) => dt.includes(label)), `${where}: the server kinds list names ${kind} as "${label}"`);
        }
        const kindText = (kind: string) => {
          const label = String(lookup(catalog, `completion-api.kind.${kind}`));
          const at = kindList.children.findIndex((e) => e.tag === 'dt' && textOf(body, e).includes(label));
          const dd = kindList.children[at + 1];
          assert.equal(dd?.tag, 'dd', `${where}: ${kind} is described`);
          return body.slice(dd.start, dd.end);
        };
        for (const [kind, facts] of Object.entries(KIND_FACTS)) {
          const text = kindText(kind);
          for (const fact of facts) assert.ok(text.includes(fact), `${where}: ${kind} mentions ${fact}`);
        }

        for (const fact of ['${ENV_NAME}', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'tls-config', '2024-10-21', 'https://YOUR-RESOURCE.openai.azure.com']) {
          assert.ok(body.includes(fact), `${where}: mentions ${fact}`);
        }
        for (const header of RESERVED_HEADERS) {
          assert.ok(body.toLowerCase().includes(`<code>${header}</code>`), `${where}: names the reserved header ${header}`);
        }
        assert.ok(body.includes(README_URL), `${where}: links the README`);
      });
    });
  }
});

// ---------------------------------------------------------------------------- editor definitions

interface PropertyDef {
  value?: unknown;
  type?: string;
  required?: boolean;
  validate?: (this: unknown, value: unknown, opt?: unknown) => unknown;
}

interface Definition {
  category: string;
  defaults: Record<string, PropertyDef>;
  credentials?: Record<string, { type: string }>;
  inputs?: number;
  outputs?: number;
  icon?: string;
  label?: (this: unknown) => string;
  paletteLabel?: string | ((this: unknown) => string);
  outputLabels?: (this: unknown, i: number) => string;
  [key: string]: unknown;
}

/** Runs the editor script of nodes/<node>.html against a stand-in RED and returns what it registered. */
function loadDefinition(node: NodeType): { type: string; def: Definition; html: string } {
  const html = read('nodes', `${node}.html`);
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, `${node}.html: one editor script`);
  const registered: { type: string; def: Definition }[] = [];
  const RED = {
    // The runtime's facts, as the editor gets them: JSON, through the node settings.
    settings: JSON.parse(JSON.stringify({ createCompletionFacts: REQUEST_FACTS, completionApiFacts: CONNECTION_FACTS })),
    nodes: {
      registerType: (type: string, def: Definition) => registered.push({ type, def }),
      node: (id: string) => (id === 'llama-connection' ? { type: 'completion-api', serverKind: 'llamacpp' } : null),
    },
    validators: {
      number: () => () => true,
      regex: (re: RegExp) => (v: string) => re.test(v),
      typedInput: () => () => true,
    },
    utils: { validateTypedProperty: (v: string) => (v.trim() === '' ? 'invalid' : true) },
    _: (key: string) => key,
  };
  const $ = () => {
    throw new Error('the editor script touched the DOM outside a dialog');
  };
  // As in the editor: the shared helpers from resources/ first, then the node's own script.
  assert.match(html, /<script type="text\/javascript" src="resources\/node-red-contrib-create-completion\/editor-common\.js"><\/script>\s*<script type="text\/javascript">/);
  const context = vm.createContext({ RED, $, URL, console });
  vm.runInContext(read('resources', 'editor-common.js'), context, { filename: 'resources/editor-common.js' });
  vm.runInContext(scripts[0], context, { filename: `nodes/${node}.html` });
  assert.equal(registered.length, 1, `${node}.html registers one type`);
  return { ...registered[0], html };
}

/** A copy made of this realm's objects: values from the sandbox have other prototypes. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A node as the editor holds it, whose `_` translates with the en-US catalog. */
function editorNode(node: NodeType, fields: Record<string, unknown> = {}) {
  const catalog = readCatalog('en-US', node);
  return { _: (key: string, values?: Record<string, unknown>) => translate(catalog, key, values), ...fields };
}

function check(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}): unknown {
  const validate = def.defaults[prop]?.validate ?? def.credentials?.[prop] as unknown as PropertyDef['validate'];
  assert.ok(typeof validate === 'function', `${prop} has a validator`);
  return validate.call(editorNode(node, fields), value, {});
}

function assertValid(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}) {
  assert.equal(check(node, def, prop, value, fields), true, `${prop} = ${JSON.stringify(value)} with ${JSON.stringify(fields)} should be valid`);
}

function assertInvalid(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}) {
  const result = check(node, def, prop, value, fields);
  assert.notEqual(result, true, `${prop} = ${JSON.stringify(value)} with ${JSON.stringify(fields)} should be invalid`);
  if (typeof result === 'string') {
    assert.doesNotMatch(result, /(create-completion|completion-api)\.\w/, `${prop}: the message "${result}" holds an untranslated key`);
    assert.doesNotMatch(result, /__\w+__/, `${prop}: the message "${result}" has an unfilled placeholder`);
  }
}

describe('editor definitions', () => {
  describe('create-completion', () => {
    let type = '';
    let def: Definition;
    let html = '';
    before(() => {
      ({ type, def, html } = loadDefinition('create-completion'));
    });
    const properties = [
      'name', 'api', 'model', 'prompt', 'promptType',
      'temperature', 'top_p', 'frequency_penalty', 'presence_penalty', 'seed', 'max_tokens',
      'n_completions', 'best_of', 'logprobs', 'echo', 'stop', 'logit_bias',
      'stream', 'include_usage', 'suffix', 'user', 'extra', 'resultFormat',
    ];

    it('registers the literal type with an inline definition', () => {
      assert.equal(type, 'create-completion');
      assert.match(html, /RED\.nodes\.registerType\(\s*["']create-completion["']\s*,\s*\{/);
      assert.equal(def.category, 'AI');
      assert.equal(def.inputs, 1);
      assert.equal(def.outputs, 2);
      assert.equal(def.icon, 'create-completion.svg');
      assert.ok(fs.existsSync(path.join(root, 'icons', 'create-completion.svg')), 'icons/create-completion.svg exists');
    });

    it('has the agreed properties and defaults', () => {
      assert.deepEqual(Object.keys(def.defaults).sort(), [...properties].sort());
      assert.deepEqual(def.defaults.api.type, 'completion-api');
      assert.equal(def.defaults.api.required, true);
      assert.equal(def.defaults.promptType.value, 'str');
      assert.equal(def.defaults.resultFormat.value, 'raw');
      assert.deepEqual(plain(def.defaults.stop.value), []);
      assert.deepEqual(plain(def.defaults.logit_bias.value), []);
      for (const prop of properties.filter((p) => !['api', 'promptType', 'resultFormat', 'stop', 'logit_bias'].includes(p))) {
        assert.equal(def.defaults[prop].value, '', `${prop} defaults to blank`);
      }
    });

    it('uses no one-letter property name (the editor drops those: a..z are reserved)', () => {
      assert.deepEqual(Object.keys(def.defaults).filter((p) => p.length === 1), []);
    });

    it('has a dialog element node-input-<property> for every property', () => {
      for (const prop of properties) {
        const id = prop === 'stop' || prop === 'logit_bias' ? `node-input-${prop}-container` : `node-input-${prop}`;
        assert.match(html, new RegExp(`id="${id}"`), id);
      }
      assert.match(html, /<input type="hidden" id="node-input-promptType">/);
    });

    it('validators take (value, opt), so Node-RED shows their messages', () => {
      for (const [prop, spec] of Object.entries(def.defaults)) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${prop}.validate`);
      }
    });

    it('labels come from the catalog', () => {
      const node = editorNode('create-completion');
      const ctx = { ...node, name: '', model: '' };
      assert.equal(def.label?.call(ctx), 'create completion');
      assert.equal(def.label?.call({ ...ctx, model: 'davinci-002' }), 'davinci-002');
      assert.equal(def.label?.call({ ...ctx, name: 'mine', model: 'davinci-002' }), 'mine');
      assert.equal(typeof def.paletteLabel === 'function' ? def.paletteLabel.call(node) : def.paletteLabel, 'create completion');
      assert.equal(def.outputLabels?.call(node, 0), 'result');
      assert.equal(def.outputLabels?.call(node, 1), 'passthrough');
    });

    it('accepts blank numbers and numbers within the seed ranges', () => {
      const valid: [string, string][] = [
        ['temperature', ''], ['temperature', '0'], ['temperature', '2'], ['temperature', '0.7'],
        ['top_p', '1'], ['top_p', '.5'], ['frequency_penalty', '-2'], ['presence_penalty', '1.5'],
        ['seed', '-42'], ['seed', '123456789'], ['max_tokens', '0'], ['max_tokens', '4096'],
        ['n_completions', '1'], ['n_completions', '128'], ['best_of', '20'], ['logprobs', '0'], ['logprobs', '5'],
      ];
      for (const [prop, value] of valid) assertValid('create-completion', def, prop, value);
    });

    it('rejects numbers outside the seed ranges, fractions for integers, and text', () => {
      const invalid: [string, string][] = [
        ['temperature', '2.1'], ['temperature', '-0.1'], ['temperature', 'hot'], ['top_p', '1.01'],
        ['frequency_penalty', '-2.5'], ['presence_penalty', '3'], ['seed', '1.5'], ['seed', '1e300'],
        ['max_tokens', '-1'], ['max_tokens', '1.5'], ['n_completions', '0'], ['n_completions', '129'],
        ['best_of', '21'], ['best_of', '-1'], ['logprobs', '6'], ['logprobs', '2.5'],
      ];
      for (const [prop, value] of invalid) assertInvalid('create-completion', def, prop, value);
      assert.equal(check('create-completion', def, 'temperature', '3'), 'Temperature: must be between 0 and 2');
      assert.equal(check('create-completion', def, 'n_completions', '0'), 'Completions (n): must be between 1 and 128');
    });

    it('checks best_of against n and stream', () => {
      assertValid('create-completion', def, 'best_of', '3', { n_completions: '2' });
      assertValid('create-completion', def, 'best_of', '2', { n_completions: '2' });
      assertInvalid('create-completion', def, 'best_of', '1', { n_completions: '2' });
      assertValid('create-completion', def, 'best_of', '1', { stream: 'true' });
      assertInvalid('create-completion', def, 'best_of', '2', { stream: 'true' });
      assertValid('create-completion', def, 'best_of', '2', { stream: 'false' });
    });

    it('checks the yes/no/default selects and include_usage against stream', () => {
      for (const prop of ['echo', 'stream']) {
        for (const value of ['', 'true', 'false']) assertValid('create-completion', def, prop, value);
        assertInvalid('create-completion', def, prop, 'maybe');
      }
      assertValid('create-completion', def, 'include_usage', '', { stream: '' });
      assertValid('create-completion', def, 'include_usage', 'true', { stream: 'true' });
      assertValid('create-completion', def, 'include_usage', 'false', { stream: 'true' });
      assertInvalid('create-completion', def, 'include_usage', 'true', { stream: '' });
      assertInvalid('create-completion', def, 'include_usage', 'true', { stream: 'false' });
    });

    it('checks stop sequences: a list of at most 4 strings', () => {
      assertValid('create-completion', def, 'stop', []);
      assertValid('create-completion', def, 'stop', ['\n', 'END', '###', '\t']);
      assertInvalid('create-completion', def, 'stop', ['a', 'b', 'c', 'd', 'e']);
      assertInvalid('create-completion', def, 'stop', [1]);
    });

    it('checks logit bias rows: digit token ids, integer biases -100..100, no duplicates', () => {
      assertValid('create-completion', def, 'logit_bias', []);
      assertValid('create-completion', def, 'logit_bias', [{ token: '50256', bias: -100 }, { token: '13', bias: 100 }, { token: '7', bias: 0 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: 'abc', bias: 1 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '', bias: 1 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 101 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 1.5 }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: '' }]);
      assertInvalid('create-completion', def, 'logit_bias', [{ token: '5', bias: 1 }, { token: '5', bias: 2 }]);
      assertInvalid('create-completion', def, 'logit_bias', { 50256: -100 });
    });

    it('checks extra parameters: blank or a JSON object', () => {
      assertValid('create-completion', def, 'extra', '');
      assertValid('create-completion', def, 'extra', '{"top_k": 40}');
      assertInvalid('create-completion', def, 'extra', '[1]');
      assertInvalid('create-completion', def, 'extra', '{top_k: 40}');
      assertInvalid('create-completion', def, 'extra', 'null');
    });

    it('checks the prompt per type', () => {
      assertValid('create-completion', def, 'prompt', '', { promptType: 'str' });
      assertValid('create-completion', def, 'prompt', 'Say this is a test', { promptType: 'str' });
      assertValid('create-completion', def, 'prompt', '["a", "b"]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[1212, 318]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[[1212, 318], [13]]', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '"text"', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '{"a": 1}', { promptType: 'json' });
      assertValid('create-completion', def, 'prompt', '[]', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '[1, "a"]', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '', { promptType: 'json' });
      assertInvalid('create-completion', def, 'prompt', '', { promptType: 'msg' });
      assertValid('create-completion', def, 'prompt', 'topic', { promptType: 'msg' });
      assertValid('create-completion', def, 'prompt', 'PROMPT', { promptType: 'env' });
      assertValid('create-completion', def, 'promptType', 'global');
      assertInvalid('create-completion', def, 'promptType', 'jsonata');
    });

    it('checks the result format', () => {
      for (const value of ['raw', 'text', 'choices']) assertValid('create-completion', def, 'resultFormat', value);
      assertInvalid('create-completion', def, 'resultFormat', 'csv');
    });
  });

  describe('completion-api', () => {
    let type = '';
    let def: Definition;
    let html = '';
    before(() => {
      ({ type, def, html } = loadDefinition('completion-api'));
    });
    const properties = [
      'name', 'serverKind', 'baseUrl', 'apiVersion', 'headers', 'tls', 'proxy',
      'connectTimeout', 'responseTimeout', 'idleTimeout', 'timeout', 'maxRetries', 'maxRetryWait', 'retryTimeouts',
      'maxInFlight', 'maxQueue', 'maxQueueMB', 'maxResponseMB',
    ];

    it('registers the literal config type with the agreed defaults and credentials', () => {
      assert.equal(type, 'completion-api');
      assert.match(html, /RED\.nodes\.registerType\(\s*["']completion-api["']\s*,\s*\{/);
      assert.equal(def.category, 'config');
      assert.deepEqual(Object.keys(def.defaults).sort(), [...properties].sort());
      assert.deepEqual(
        plain(Object.fromEntries(Object.entries(def.defaults).filter(([k]) => k !== 'tls' && k !== 'proxy').map(([k, v]) => [k, v.value]))),
        {
          name: '', serverKind: 'openai', baseUrl: 'https://api.openai.com/v1', apiVersion: CONNECTION_FACTS.defaultApiVersion, headers: [],
          ...Object.fromEntries(Object.entries(CONNECTION_FACTS.fields).filter(([name]) => name in def.defaults).map(([name, field]) => [name, String((field as { default?: number }).default ?? '')])),
          timeout: '', retryTimeouts: false,
        },
      );
      // A config node of the core: its select offers "none", and a missing one is no error.
      assert.equal(def.defaults.tls.type, 'tls-config');
      assert.equal(def.defaults.tls.required, false);
      assert.equal(def.defaults.tls.value, undefined);
      assert.equal(typeof (def.defaults.tls as { label?: unknown }).label, 'string');
      assert.equal(def.defaults.proxy.type, 'http proxy');
      assert.equal(def.defaults.proxy.required, false);
      assert.equal(def.defaults.proxy.value, undefined);
      assert.deepEqual(plain(def.credentials), { apiKey: { type: 'password' }, organization: { type: 'text' }, project: { type: 'text' } });
    });

    it('has a dialog element node-config-input-<name> for every property and credential', () => {
      for (const prop of [...properties, 'apiKey', 'organization', 'project']) {
        const id = prop === 'headers' ? 'node-config-input-headers-container' : `node-config-input-${prop}`;
        assert.match(html, new RegExp(`id="${id}"`), prop);
      }
      assert.match(html, /<input type="password" id="node-config-input-apiKey"/);
      assert.match(html, /<select id="node-config-input-serverKind">/);
      assert.match(html, /<ol id="node-config-input-headers-container"><\/ol>/);
      assert.match(html, /<input type="text" id="node-config-input-tls">/);
    });

    it('offers every server kind of the runtime, each with a translated label', () => {
      // The options are made from the runtime's list when the dialog opens.
      assert.match(html, /<select id="node-config-input-serverKind"><\/select>/);
      for (const lang of LANGS) {
        assert.deepEqual(Object.keys(lookup(readCatalog(lang, 'completion-api'), 'completion-api.kind') as Tree).sort(), [...SERVER_KINDS].sort(), lang);
      }
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.azure'), 'Azure OpenAI – deployments');
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.azure-v1'), 'Azure OpenAI – v1 API');
      assert.equal(lookup(readCatalog('en-US', 'completion-api'), 'completion-api.kind.other'), 'Other OpenAI-compatible');
    });

    it('shows the api-version only for Azure deployments, organization and project only for OpenAI and Other', () => {
      assert.equal((html.match(/class="[^"]*\bcc-row-apiVersion\b/g) ?? []).length, 2, 'api-version row and hint');
      assert.match(html, /<div class="form-row cc-row-apiVersion">\s*<label for="node-config-input-apiVersion">/);
      assert.match(html, /<div class="form-row cc-row-openai">\s*<label for="node-config-input-organization">/);
      assert.match(html, /<div class="form-row cc-row-openai">\s*<label for="node-config-input-project">/);
      assert.match(html, /\$\("\.cc-row-apiVersion"\)\.toggle\(kind === "azure"\)/);
      assert.match(html, /\$\("\.cc-row-openai"\)\.toggle\(kind === "openai" \|\| kind === "other"\)/);
    });

    it('hints that the key may come from an environment variable and that header values are not secret', () => {
      assert.match(html, /data-i18n="\[html\]completion-api\.hint\.apiKeyEnv"/);
      assert.match(html, /data-i18n="completion-api\.hint\.headers"/);
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'completion-api');
        assert.match(String(lookup(catalog, 'completion-api.hint.apiKeyEnv')), /<code>\$\{ENV_NAME\}<\/code>/, lang);
        assert.match(String(lookup(catalog, 'completion-api.hint.apiKeyEnv')), /Azure/, lang);
      }
    });

    it('labels itself with the name, or the server kind and the host of the base URL', () => {
      const node = editorNode('completion-api');
      assert.equal(def.label?.call({ ...node, name: 'local vLLM', serverKind: 'vllm', baseUrl: 'http://localhost:8000/v1' }), 'local vLLM');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'vllm', baseUrl: 'http://localhost:8000/v1' }), 'vLLM · localhost:8000');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'openai', baseUrl: '' }), 'OpenAI · api.openai.com');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'azure', baseUrl: 'https://res.openai.azure.com' }), 'Azure OpenAI – deployments · res.openai.azure.com');
      assert.equal(def.label?.call({ ...node, name: '', serverKind: 'azure-v1', baseUrl: '' }), 'Azure OpenAI – v1 API');
      // Flows from before server kinds: OpenAI.
      assert.equal(def.label?.call({ ...node, name: '', baseUrl: 'http://10.0.0.2:8080/v1' }), 'OpenAI · 10.0.0.2:8080');
    });

    it('validates the server kind, the base URL per kind, and the api-version for Azure', () => {
      for (const kind of SERVER_KINDS) assertValid('completion-api', def, 'serverKind', kind);
      for (const kind of ['', 'azure-openai', 'OpenAI']) assertInvalid('completion-api', def, 'serverKind', kind);
      // A flow written without a kind means OpenAI, as at runtime.
      assertValid('completion-api', def, 'serverKind', undefined);

      assertValid('completion-api', def, 'baseUrl', '', { serverKind: 'openai' });
      assertValid('completion-api', def, 'baseUrl', '', {});
      // Blank means the kind's usual address where it has one (the runtime's profiles).
      for (const kind of SERVER_KINDS) {
        if (CONNECTION_FACTS.profiles[kind].defaultBaseUrl) assertValid('completion-api', def, 'baseUrl', '', { serverKind: kind });
        else assertInvalid('completion-api', def, 'baseUrl', '  ', { serverKind: kind });
      }
      assert.deepEqual(SERVER_KINDS.filter((k) => !CONNECTION_FACTS.profiles[k].defaultBaseUrl), ['other', 'azure', 'azure-v1']);
      assertValid('completion-api', def, 'baseUrl', 'https://res.openai.azure.com', { serverKind: 'azure' });
      assert.equal(check('completion-api', def, 'baseUrl', '', { serverKind: 'azure' }), 'Base URL: required for this server kind');

      assertValid('completion-api', def, 'apiVersion', '2024-10-21', { serverKind: 'azure' });
      assertValid('completion-api', def, 'apiVersion', '2025-04-01-preview', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', '', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', ' ', { serverKind: 'azure' });
      assertInvalid('completion-api', def, 'apiVersion', '2024-10-21&x=1', { serverKind: 'azure' });
      assert.equal(check('completion-api', def, 'apiVersion', '', { serverKind: 'azure' }), 'API version: required for Azure OpenAI – deployments');
      for (const kind of SERVER_KINDS.filter((k) => k !== 'azure')) assertValid('completion-api', def, 'apiVersion', '', { serverKind: kind });
    });

    it('validates extra headers: HTTP token names, no auth or framing headers, no duplicates, no line breaks', () => {
      assertValid('completion-api', def, 'headers', []);
      assertValid('completion-api', def, 'headers', [
        { name: 'X-Gateway-Tenant', value: 'team-a' },
        { name: "x!#$%&'*+.^_`|~9", value: '' },
        { name: 'OpenAI-Beta', value: 'assistants=v2' },
        { name: 'X-Empty', value: '' },
        { name: 'X-Latin1', value: 'caf\u00e9\tok' },
      ]);
      for (const bad of ['', 'X Space', 'X:Colon', 'X(paren)', 'Ümlaut', 'x/y', 'a"b']) {
        assertInvalid('completion-api', def, 'headers', [{ name: bad, value: 'v' }]);
      }
      for (const reserved of [...RESERVED_HEADERS, 'Authorization', 'API-KEY', 'Content-Type', 'HOST']) {
        const result = check('completion-api', def, 'headers', [{ name: reserved, value: 'Bearer sk-123' }]);
        assert.equal(typeof result, 'string', reserved);
        assert.match(String(result), /^Extra headers: .*API key field/, `${reserved}: ${String(result)}`);
      }
      assert.equal(
        check('completion-api', def, 'headers', [{ name: 'authorization', value: 'Bearer sk-123' }]),
        'Extra headers: "authorization" is set by the connection itself; the key goes in the API key field',
      );
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: '1' }, { name: 'x-a', value: '2' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 'a\r\nX-Injected: 1' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 'a\nb' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: '\u2603' }]);
      assertInvalid('completion-api', def, 'headers', [{ name: 'X-A', value: 1 }]);
      assertInvalid('completion-api', def, 'headers', [null]);
      assertInvalid('completion-api', def, 'headers', { 'X-A': '1' });
      assertValid('completion-api', def, 'headers', undefined);
      // Every message is translated in every language, with the header's name filled in.
      for (const lang of LANGS) {
        const catalog = readCatalog(lang, 'completion-api');
        for (const key of ['headerName', 'headerReserved', 'headerDuplicate', 'headerValue']) {
          assert.deepEqual(placeholders(String(lookup(catalog, `completion-api.validation.${key}`))), ['__name__'], `${lang} ${key}`);
        }
      }
    });

    it('validates the base URL and the limits', () => {
      for (const [prop, spec] of Object.entries(def.defaults)) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${prop}.validate`);
      }
      for (const value of ['', 'https://api.openai.com/v1', 'http://localhost:8000/v1/', 'http://10.0.0.2:8080']) assertValid('completion-api', def, 'baseUrl', value);
      for (const value of ['api.openai.com/v1', 'ftp://example.com/v1', 'http//x']) assertInvalid('completion-api', def, 'baseUrl', value);
      assertValid('completion-api', def, 'responseTimeout', '0.5');
      assertInvalid('completion-api', def, 'responseTimeout', '0');
      assertInvalid('completion-api', def, 'idleTimeout', 'soon');
      assertValid('completion-api', def, 'connectTimeout', String(CONNECTION_FACTS.fields.connectTimeout.max));
      assertInvalid('completion-api', def, 'connectTimeout', String(CONNECTION_FACTS.fields.connectTimeout.max + 1));
      assertValid('completion-api', def, 'maxQueueMB', '0');
      assertInvalid('completion-api', def, 'maxQueueMB', '-1');
      assertValid('completion-api', def, 'maxRetries', '0');
      assertInvalid('completion-api', def, 'maxRetries', '-1');
      assertInvalid('completion-api', def, 'maxRetries', '1.5');
      assertValid('completion-api', def, 'maxInFlight', '1');
      assertInvalid('completion-api', def, 'maxInFlight', '0');
      assertValid('completion-api', def, 'maxQueue', '0');
      assertInvalid('completion-api', def, 'maxQueue', '-5');
      assertValid('completion-api', def, 'maxResponseMB', '0.25');
      assertInvalid('completion-api', def, 'maxResponseMB', '0');
    });
  });
});
