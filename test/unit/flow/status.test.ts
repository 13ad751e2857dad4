import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node } from 'node-red';
import { NodeStatus } from '../../../nodes/lib/flow/status';
import type { Accounting } from '../../../nodes/lib/accounting/accounting';
import { REPO_ROOT } from '../../support/paths';

const catalog = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'locales', 'en-US', 'create-completion.json'), 'utf8'));
/** Translates as Node-RED's i18next would with the en-US catalogue. */
const translate = (key: string, values: Record<string, string | number> = {}) => {
  const text = key.split('.').reduce((node: Record<string, unknown>, part) => node[part] as Record<string, unknown>, catalog) as unknown as string;
  return text.replace(/__(\w+)__/g, (_all, name: string) => String(values[name]));
};

function reporter() {
  const shown: Array<{ fill?: string; text?: string }> = [];
  const node = { status: (s: { fill?: string; text?: string }) => shown.push(s) } as unknown as Node;
  return { status: new NodeStatus(node, translate), shown };
}

const accounting = (extra: Partial<Accounting> = {}): Accounting => ({
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, source: 'server' },
  timing: { queuedMs: 0, firstByteMs: 5, firstTokenMs: 5, totalMs: 40, tokensPerSecond: 175 },
  truncated: [],
  ...extra,
});

describe('unit: what the node status says', () => {
  it('done: status and tokens, what is left of a budget before the rate; a cut answer leads, in yellow', () => {
    const { status, shown } = reporter();
    status.done(200, accounting(), { tokens: 88 });
    assert.deepEqual(shown.at(-1), { fill: 'green', shape: 'dot', text: '200 · 12 tokens · 88 tokens left · 175 tok/s' });
    status.done(200, accounting({ truncated: [0] }));
    assert.deepEqual(shown.at(-1), { fill: 'yellow', shape: 'dot', text: 'cut at max_tokens · 200 · 12 tokens · 175 tok/s' });
    status.done(200, accounting({ cached: true }));
    assert.equal(shown.at(-1)?.text, '200 · 12 tokens · from the cache');
  });

  it('queued: the count of the node\'s waiting messages, each leaving once however often it says so', () => {
    const { status, shown } = reporter();
    const first = status.queued();
    status.queued();
    assert.equal(shown.at(-1)?.text, 'queued: 2');
    first();
    first();
    status.queued();
    assert.equal(shown.at(-1)?.text, 'queued: 2');
  });

  it('fixed texts go as catalogue keys, for the editor to translate; one chunk is one chunk', () => {
    const { status, shown } = reporter();
    status.requesting();
    assert.equal(shown.at(-1)?.text, 'create-completion.status.requesting');
    status.streaming(1);
    assert.equal(shown.at(-1)?.text, 'streaming: 1 chunk');
  });

  it('a non-2xx answer in raw format: red, with what it means and the server\'s words, cut to 60 characters', () => {
    const { status, shown } = reporter();
    status.answeredWithError(404, 'model not found', 'The model `llama-3-8b-instruct-q4` does not exist or you have no access to it');
    assert.equal(shown.at(-1)?.fill, 'red');
    assert.equal(shown.at(-1)?.text?.length, 60);
    assert.match(shown.at(-1)?.text ?? '', /^404 model not found: The model/);
  });
});
