/**
 * The nodes the demo flow of `npm start` and the example flows are made of, and where
 * they talk to: one connection, with one id, to the demo server's fixed address. So a
 * user who imports several examples (or imports them into the demo) gets one
 * connection, and pointing it at a real server points them all there.
 *
 * Nodes are laid out on a grid of columns whose left edges line up, whatever the
 * length of each label, as the editor's "align left" would place them.
 */
import { CONNECTION_FIELDS, DEFAULT_AZURE_API_VERSION } from '../nodes/lib/connection/settings';
import type { ServerKindId } from '../nodes/lib/servers/profiles';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Where `npm start` runs the demo server unless DEMO_SERVER_PORT says otherwise. */
export const DEMO_SERVER_HOST = '127.0.0.1';
export const DEMO_SERVER_PORT = 8089;
export const DEMO_BASE_URL = `http://${DEMO_SERVER_HOST}:${DEMO_SERVER_PORT}/v1`;
/** The one model the demo server serves. */
export const DEMO_MODEL = 'demo-instruct';
/** The id of the connection every example and the demo flow share. */
export const CONNECTION_ID = 'completion-server';

/**
 * How to point the shared connection at a real server: the same words in every flow,
 * after a sentence on where it points now.
 */
export function serverHelp(pointsAt: string): string {
  return [
    '### Your own server',
    `${pointsAt} To use a real server, open the connection (double-click a create-completion node, then the pencil beside *Connection*) and pick its *Server kind*; the usual address fills in:`,
    '',
    '- llama.cpp `llama-server`: `http://localhost:8080/v1`',
    '- Ollama: `http://localhost:11434/v1`',
    '- vLLM: `http://localhost:8000/v1`',
    '- LM Studio: `http://localhost:1234/v1`',
    '- LocalAI, SGLang, Hugging Face TGI, OpenRouter, or *Other OpenAI-compatible* for any other server',
    '',
    `Then set each create-completion node's *Model* to one the server lists (the dialog offers the list); llama.cpp serving a single model accepts any name. A key, if the server wants one, goes into the connection's *API key*, or \`\${NAME}\` to read the environment variable NAME.`,
    '',
    'Every example uses this same connection: import several and they share it (if Node-RED says some nodes already exist, choose *Import copy*: the connection is reused, not duplicated).',
  ].join('\n');
}

/** What the examples say about their connection. */
export const REAL_SERVER_HELP = serverHelp(`The connection points at the demo server that \`npm start\` runs on ${DEMO_BASE_URL}: a deterministic stand-in, not a language model.`);

/** The connection the flows share, with every field the dialog stores (blank numbers are defaults). */
export function connectionNode(options: { kind: ServerKindId; baseUrl: string; name?: string }): FlowNode {
  // Optional fields (prices, budgets, a context length) are blank: none.
  const defaults = Object.fromEntries(Object.entries(CONNECTION_FIELDS).map(([field, spec]) => [field, 'default' in spec ? String(spec.default) : '']));
  return {
    id: CONNECTION_ID,
    type: 'completion-api',
    name: options.name ?? '',
    serverKind: options.kind,
    baseUrl: options.baseUrl,
    apiVersion: DEFAULT_AZURE_API_VERSION,
    headers: [],
    tls: '',
    proxy: '',
    ...defaults,
    timeout: '',
    retryTimeouts: false,
  };
}

// ---------------------------------------------------------------------------------------
// Layout

/**
 * Advance widths of printable ASCII in Arial (the metrics of Helvetica and of Liberation
 * Sans too), in 1/1000 em: the editor draws labels at 14px in "Helvetica Neue", Arial,
 * Helvetica, sans-serif. Other characters count as an "n".
 */
const ARIAL = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
  556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

function labelWidth(label: string): number {
  let units = 0;
  for (const ch of label) {
    const code = ch.codePointAt(0)!;
    units += code >= 32 && code < 127 ? ARIAL[code - 32] : 556;
  }
  return (units * 14) / 1000;
}

/**
 * The width the editor gives a node: its label as a span's offsetWidth (whole pixels),
 * icon and padding, in steps of 20, at least 100. `slack` moves the label's width by so
 * many pixels, as another font's metrics might.
 */
export function nodeWidth(label: string, hasInput: boolean, slack = 0): number {
  return Math.max(100, 20 * Math.ceil((Math.round(labelWidth(label) + slack) + 50 + (hasInput ? 7 : 0)) / 20));
}

/** A label whose node would change width with a pixel or two more or less: it cannot be lined up reliably. */
function onAStep(label: string, hasInput: boolean): boolean {
  return nodeWidth(label, hasInput, -3) !== nodeWidth(label, hasInput, 3);
}

const TYPES_WITHOUT_INPUT = new Set(['inject', 'catch', 'comment', 'status', 'complete']);

function widthOf(node: FlowNode): number {
  return nodeWidth(String(node.name ?? ''), !TYPES_WITHOUT_INPUT.has(node.type));
}

/** A node placed on the grid: column and row (rows may be fractions); `free` nodes (comments) do not widen their column. */
export interface Placed {
  node: FlowNode;
  col: number;
  row: number;
  free?: boolean;
}

export interface Grid {
  /**
   * `deployed`: a flow the editor loads from the runtime, which draws a node centred on
   * its x. `imported`: a flow imported from the clipboard or Import → Examples, whose
   * nodes the editor first draws 100 wide around x and then widens to their labels
   * keeping the left edge: there the left edge is x - 50, whatever the label and font.
   */
  as: 'deployed' | 'imported';
  /** The tab the nodes go on; none for an example, which the editor imports into the tab in view. */
  tab?: string;
  /** Left edge of the first column. */
  left?: number;
  /** Centre of row 0. */
  top?: number;
  rowHeight?: number;
  /** Space between a column's widest node and the next column. */
  gap?: number;
}

/**
 * Lays the nodes out: each column starts where the widest node of the one before it
 * ends, plus the gap, and every node's left edge sits on its column's. A deployed flow
 * stores a node's centre, so its x is the left edge plus half the width the editor will
 * give it: there a label within a few pixels of a width step is refused, since another
 * font could tip it over and out of line.
 */
export function layOut(grid: Grid, placed: Placed[]): FlowNode[] {
  const { as, tab, left = 40, top = 40, rowHeight = 60, gap = 60 } = grid;
  const columns = Math.max(...placed.map((p) => p.col)) + 1;
  if (as === 'deployed') {
    const unsure = placed.filter((p) => !p.free && onAStep(String(p.node.name ?? ''), !TYPES_WITHOUT_INPUT.has(p.node.type))).map((p) => `"${p.node.name}"`);
    if (unsure.length > 0) {
      throw new Error(`labels within 3 pixels of a width step of the editor: ${unsure.join(', ')}. Make them a little longer or shorter, so that they line up in every font.`);
    }
  }
  const widths = new Array<number>(columns).fill(100);
  for (const p of placed) if (!p.free) widths[p.col] = Math.max(widths[p.col], widthOf(p.node));
  const edges = [left];
  for (let c = 1; c < columns; c++) edges.push(edges[c - 1] + widths[c - 1] + gap);
  const half = (node: FlowNode) => (as === 'deployed' ? widthOf(node) / 2 : 50);
  return placed.map(({ node, col, row }) => ({ ...node, ...(tab ? { z: tab } : {}), x: edges[col] + half(node), y: Math.round(top + row * rowHeight) }));
}

// ---------------------------------------------------------------------------------------
// Nodes, with every property their dialogs store, so an import looks like a saved flow

type Wires = string[][];

/** The fields of a create-completion dialog; blank is not sent, so the server's default applies. */
export interface CompletionFields {
  model?: string;
  prompt?: string;
  resultFormat?: 'raw' | 'text' | 'choices';
  best_of?: string;
  echo?: '' | 'true' | 'false';
  frequency_penalty?: string;
  logit_bias?: Array<{ token: string; bias: string }>;
  logprobs?: string;
  max_tokens?: string;
  n_completions?: string;
  presence_penalty?: string;
  seed?: string;
  stop?: string[];
  stream?: '' | 'true' | 'false';
  include_usage?: '' | 'true' | 'false';
  suffix?: string;
  temperature?: string;
  top_p?: string;
  user?: string;
  extra?: string;
}

export function completion(id: string, name: string, fields: CompletionFields, wires: Wires): FlowNode {
  return {
    id, type: 'create-completion', name, api: CONNECTION_ID,
    model: DEMO_MODEL, modelType: 'str', prompt: '', promptType: 'str', resultFormat: 'raw',
    best_of: '', echo: '', frequency_penalty: '', logit_bias: [], logprobs: '', max_tokens: '', n_completions: '', presence_penalty: '',
    seed: '', stop: [], stream: '', include_usage: '', suffix: '', temperature: '', top_p: '', user: '', extra: '',
    ...fields, wires,
  };
}

/** An inject node sending `payload` (a string, a JSON value, or the timestamp when undefined). */
export function inject(id: string, name: string, payload: unknown, wires: string[]): FlowNode {
  const [value, type] = payload === undefined ? ['', 'date'] : typeof payload === 'string' ? [payload, 'str'] : [JSON.stringify(payload), 'json'];
  return {
    id, type: 'inject', name,
    props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '',
    payload: value, payloadType: type, wires: [wires],
  };
}

/** A debug node showing `property` of the message, or the complete message when it is `true`. */
export function debug(id: string, name: string, property = 'payload'): FlowNode {
  return {
    id, type: 'debug', name, active: true, tosidebar: true, console: false, tostatus: false,
    complete: property, targetType: property === 'true' ? 'full' : 'msg', statusVal: '', statusType: 'auto', wires: [],
  };
}

export function comment(id: string, name: string, info: string): FlowNode {
  return { id, type: 'comment', name, info, wires: [] };
}

/** A join in automatic mode: it puts back the sequences create-completion marks with msg.parts. */
export function join(id: string, name: string, wires: string[]): FlowNode {
  return {
    id, type: 'join', name, mode: 'auto', build: 'object', property: 'payload', propertyType: 'msg', key: 'topic',
    joiner: '\\n', joinerType: 'str', useparts: false, accumulate: false, timeout: '', count: '', reduceRight: false,
    reduceExp: '', reduceInit: '', reduceInitType: '', reduceFixup: '', wires: [wires],
  };
}

export function fn(id: string, name: string, func: string, wires: string[]): FlowNode {
  return { id, type: 'function', name, func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [wires] };
}

export interface ChangeRule {
  t: 'set' | 'delete' | 'move' | 'change';
  p: string;
  pt?: 'msg';
  to?: string;
  tot?: 'str' | 'num' | 'json' | 'jsonata' | 'msg' | 'bool';
}

export function change(id: string, name: string, rules: ChangeRule[], wires: string[]): FlowNode {
  return {
    id, type: 'change', name, rules: rules.map((r) => ({ pt: 'msg', ...r })),
    action: '', property: '', from: '', to: '', reg: false, wires: [wires],
  };
}

/** A template node; `output: 'json'` parses what it writes, so it can build a request object. */
export function template(id: string, name: string, text: string, output: 'str' | 'json', wires: string[]): FlowNode {
  return { id, type: 'template', name, field: 'payload', fieldType: 'msg', format: output === 'json' ? 'json' : 'handlebars', syntax: 'mustache', template: text, output, wires: [wires] };
}

export interface SwitchRule {
  t: 'eq' | 'btwn' | 'true' | 'false' | 'else' | 'nnull' | 'null';
  v?: string;
  vt?: 'str' | 'num';
  /** The upper bound of `btwn`. */
  v2?: string;
  v2t?: 'num';
}

export function switchNode(id: string, name: string, property: string, rules: SwitchRule[], wires: Wires): FlowNode {
  return { id, type: 'switch', name, property, propertyType: 'msg', rules, checkall: 'false', repair: false, outputs: rules.length, wires };
}

export function catchNode(id: string, name: string, scope: string[] | null, wires: string[]): FlowNode {
  return { id, type: 'catch', name, scope, uncaught: false, wires: [wires] };
}
