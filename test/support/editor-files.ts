/**
 * The editor's files as the tests read them: message catalogs, translated help and the
 * editor HTML of each node, from the repository's sources (not dist/), with small
 * helpers to look keys up, list placeholders and walk a help file's HTML.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';

const root = REPO_ROOT;
export const LANGS = ['en-US', 'de', 'ja'] as const;
export type Lang = (typeof LANGS)[number];
export const NODES = ['create-completion', 'completion-api'] as const;
export type NodeType = (typeof NODES)[number];
export const MODULE = 'node-red-contrib-create-completion';
export const README_URL = 'https://github.com/node-red-contrib-create-completion/node-red-contrib-create-completion';

export type Tree = { [key: string]: string | Tree };

export function read(...parts: string[]): string {
  return fs.readFileSync(path.join(root, ...parts), 'utf8');
}

export function readCatalog(lang: Lang, node: NodeType): Tree {
  return JSON.parse(read('locales', lang, `${node}.json`)) as Tree;
}

const coreCatalogs: Partial<Record<Lang, Tree>> = {};
/** Node-RED's own catalog (namespace `node-red`), for keys such as node-red:common.label.name. */
export function coreCatalog(lang: Lang): Tree {
  if (!coreCatalogs[lang]) {
    const pkg = require.resolve('@node-red/nodes/package.json', { paths: [root] });
    coreCatalogs[lang] = JSON.parse(fs.readFileSync(path.join(path.dirname(pkg), 'locales', lang, 'messages.json'), 'utf8')) as Tree;
  }
  return coreCatalogs[lang] as Tree;
}

export function lookup(tree: Tree, key: string): string | Tree | undefined {
  let current: string | Tree | undefined = tree;
  for (const part of key.split('.')) {
    if (current === undefined || typeof current === 'string') return undefined;
    current = Object.prototype.hasOwnProperty.call(current, part) ? current[part] : undefined;
  }
  return current;
}

/** Every leaf key of a catalog with its text. */
export function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
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

export function placeholders(text: string): string[] {
  return [...new Set(text.match(/__[A-Za-z0-9_]+?__/g) ?? [])].sort();
}

/** Fills __name__ placeholders as i18next does in Node-RED. */
export function translate(tree: Tree, key: string, values: Record<string, unknown> = {}): string {
  const text = lookup(tree, key);
  if (typeof text !== 'string') return key;
  return text.replace(/__([A-Za-z0-9_]+?)__/g, (all, name: string) => (name in values ? String(values[name]) : all));
}

export interface KeyUse {
  namespace: string | null;
  key: string;
  via: string;
  /** The text is the start of a key completed at run time: this._("x.kind." + kind). */
  prefix?: boolean;
}

/** The i18n keys an editor HTML file uses. */
export function editorKeys(html: string): KeyUse[] {
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
export function helpBody(lang: Lang, node: NodeType): string {
  const html = read('locales', lang, `${node}.html`);
  const scripts = [...html.matchAll(/<script\s+type="text\/html"\s+data-help-name="([^"]+)"\s*>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, `${lang}/${node}.html: exactly one help script`);
  assert.equal(scripts[0][1], node, `${lang}/${node}.html: data-help-name`);
  return scripts[0][2];
}

const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr']);

export interface Element {
  tag: string;
  attrs: string;
  children: Element[];
  start: number;
  end: number;
}

/** A small, strict HTML tree builder for our own help files: unbalanced tags fail. */
export function parse(html: string, where: string): Element {
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

export function find(element: Element, test: (e: Element) => boolean): Element[] {
  const out: Element[] = [];
  for (const child of element.children) {
    if (test(child)) out.push(child);
    out.push(...find(child, test));
  }
  return out;
}

export const hasClass = (e: Element, cls: string) => new RegExp(`class="[^"]*\\b${cls}\\b[^"]*"`).test(e.attrs);
export const textOf = (html: string, e: Element) =>
  html.slice(e.start, e.end).replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();

export const HEADINGS: Record<Lang, { inputs: string; outputs: string; details: string; references: string; properties: string }> = {
  'en-US': { inputs: 'Inputs', outputs: 'Outputs', details: 'Details', references: 'References', properties: 'Properties' },
  de: { inputs: 'Eingangsdaten', outputs: 'Ausgangsdaten', details: 'Details', references: 'Referenzen', properties: 'Eigenschaften' },
  ja: { inputs: '入力', outputs: '出力', details: '詳細', references: '参考', properties: 'プロパティ' },
};

