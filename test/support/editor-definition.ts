/**
 * The editor definitions of nodes/*.html, run as the editor runs them: the shared
 * helpers from resources/ first, then the node's own script, in a vm sandbox with a
 * stand-in RED whose settings hold the runtime's facts as JSON, exactly as Node-RED's
 * exportable node settings hand them to the editor. Validators are then called as the
 * editor calls them, on a node whose `_` translates with the en-US catalog.
 */
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { CONNECTION_FACTS, REQUEST_FACTS } from '../../nodes/lib/editor-facts';
import { read, readCatalog, translate, type NodeType } from './editor-files';

export interface PropertyDef {
  value?: unknown;
  type?: string;
  required?: boolean;
  validate?: (this: unknown, value: unknown, opt?: unknown) => unknown;
}

export interface Definition {
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

/** The connection node a create-completion node's `api` names, in the tests: `conn-<kind>`, or `conn-none` without a kind. */
export function connection(id: unknown): { type: string; serverKind?: string } | null {
  if (typeof id !== 'string') return null;
  if (id === 'conn-none') return { type: 'completion-api' };
  return id.startsWith('conn-') ? { type: 'completion-api', serverKind: id.slice('conn-'.length) } : null;
}

/**
 * Runs the editor script of nodes/<node>.html against a stand-in RED and returns what it
 * registered, and the sandbox it ran in: a test may put a stand-in `$` there to run a
 * dialog callback (oneditsave, say) on a form of its own.
 */
export function loadDefinition(node: NodeType): { type: string; def: Definition; html: string; sandbox: vm.Context } {
  const html = read('nodes', `${node}.html`);
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, `${node}.html: one editor script`);
  const registered: { type: string; def: Definition }[] = [];
  const RED = {
    // The runtime's facts, as the editor gets them: JSON, through the node settings.
    settings: JSON.parse(JSON.stringify({ createCompletionFacts: REQUEST_FACTS, completionApiFacts: CONNECTION_FACTS })),
    nodes: {
      registerType: (type: string, def: Definition) => registered.push({ type, def }),
      // Connections by id: `conn-<kind>` is a connection of that server kind, `conn-none` one saved without a kind.
      node: (id: string) => connection(id),
    },
    validators: {
      number: () => () => true,
      regex: (re: RegExp) => (v: string) => re.test(v),
      typedInput: () => () => true,
    },
    utils: { validateTypedProperty: (v: string) => (v.trim() === '' ? 'invalid' : true) },
    _: (key: string) => key,
    events: { on: () => {} },
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
  return { ...registered[0], html, sandbox: context };
}

/** A copy made of this realm's objects: values from the sandbox have other prototypes. */
export function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A node as the editor holds it, whose `_` translates with the en-US catalog. */
export function editorNode(node: NodeType, fields: Record<string, unknown> = {}) {
  const catalog = readCatalog('en-US', node);
  return { _: (key: string, values?: Record<string, unknown>) => translate(catalog, key, values), ...fields };
}

export function check(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}): unknown {
  const validate = def.defaults[prop]?.validate ?? def.credentials?.[prop] as unknown as PropertyDef['validate'];
  assert.ok(typeof validate === 'function', `${prop} has a validator`);
  return validate.call(editorNode(node, fields), value, {});
}

export function assertValid(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}) {
  assert.equal(check(node, def, prop, value, fields), true, `${prop} = ${JSON.stringify(value)} with ${JSON.stringify(fields)} should be valid`);
}

export function assertInvalid(node: NodeType, def: Definition, prop: string, value: unknown, fields: Record<string, unknown> = {}) {
  const result = check(node, def, prop, value, fields);
  assert.notEqual(result, true, `${prop} = ${JSON.stringify(value)} with ${JSON.stringify(fields)} should be invalid`);
  if (typeof result === 'string') {
    assert.doesNotMatch(result, /(create-completion|completion-api)\.\w/, `${prop}: the message "${result}" holds an untranslated key`);
    assert.doesNotMatch(result, /__\w+__/, `${prop}: the message "${result}" has an unfilled placeholder`);
  }
}
