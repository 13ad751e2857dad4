import type { Node } from 'node-red';
import type { Accounting } from '../accounting/accounting';
import { classify } from '../errors/classify';
import { apiErrorOf } from '../errors/errors';
import { StatusPace } from './status-pace';

type Fill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
type Translate = (key: string, values?: Record<string, string | number>) => string;

const TEXT_MAX = 60;

/**
 * What a create-completion node shows under itself. Fixed texts go out as catalogue
 * keys, which the editor translates into its user's language; texts with numbers in
 * them are translated here, once per template (i18next costs microseconds a call).
 * Statuses go out at a pace an open editor can take (status-pace.ts).
 */
export class NodeStatus {
  private closed = false;
  /** Each template once translated, as its literal pieces with the places of its values (their index) between them. */
  private readonly templates = new Map<string, Array<string | number>>();

  private readonly pace: StatusPace<{ fill: Fill; shape: 'dot' | 'ring'; text: string }>;

  constructor(private readonly node: Node, private readonly translate: Translate) {
    this.pace = new StatusPace((status) => node.status(status));
  }

  /** A text with values, e.g. "queued: 3": the template is looked up once, then filled. */
  private text(key: string, values: Record<string, string | number>): string {
    const filling = Object.values(values);
    let pieces = this.templates.get(key);
    if (pieces === undefined) {
      const marks = Object.fromEntries(Object.keys(values).map((name, i) => [name, `\u0001${i}\u0002`]));
      // split with a capture group: literal pieces at even indexes, value indexes at odd ones.
      pieces = this.translate(`create-completion.${key}`, marks)
        .split(/\u0001(\d+)\u0002/)
        .map((piece, i) => (i % 2 === 1 ? Number(piece) : piece));
      this.templates.set(key, pieces);
    }
    let out = '';
    for (const piece of pieces) out += typeof piece === 'number' ? String(filling[piece]) : piece;
    return out;
  }

  private show(fill: Fill, shape: 'dot' | 'ring', text: string): void {
    if (!this.closed) this.pace.push({ fill, shape, text: text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text });
  }

  /** A fixed text, as a key the editor translates. */
  private key(fill: Fill, shape: 'dot' | 'ring', key: string): void {
    this.show(fill, shape, `create-completion.${key}`);
  }

  /** Messages of this node waiting for a slot on the connection. */
  private waiting = 0;

  /** A message starts to wait for a slot ("queued: 3"); what comes back is called once it leaves the queue, started or not. */
  queued(): () => void {
    this.show('yellow', 'ring', this.text('status.queued', { count: ++this.waiting }));
    let left = false;
    return () => {
      if (!left) this.waiting--;
      left = true;
    };
  }

  requesting(): void {
    this.key('blue', 'dot', 'status.requesting');
  }

  retrying(attempt: number, reason: string): void {
    this.show('yellow', 'ring', this.text('status.retrying', { attempt, reason }));
  }

  /** While streaming: the events so far and, once a second has passed, events (about tokens) per second. */
  streaming(count: number): void {
    const now = Date.now();
    if (count === 1 || this.streamStart === undefined) this.streamStart = now;
    const seconds = (now - this.streamStart) / 1000;
    if (seconds >= 1) this.show('blue', 'dot', this.text('status.streamingRate', { count, rate: Math.round(count / seconds) }));
    else this.show('blue', 'dot', this.text(count === 1 ? 'status.streamingOne' : 'status.streaming', { count }));
  }

  private streamStart: number | undefined;

  /** Done: the status and the tokens used (and their rate); yellow when the answer was cut at max_tokens; what is left of a budget. */
  done(status: number, accounting: Accounting, budgetLeft?: { tokens?: number; cost?: number }): void {
    const tokens = accounting.usage?.total_tokens;
    let text = tokens === undefined ? this.text('status.doneNoUsage', { status }) : this.text('status.done', { status, tokens });
    if (accounting.cached) text += ` · ${this.text('status.cached', {})}`;
    // What is left of a budget matters more than the rate, which goes last (the status may be cut).
    if (budgetLeft?.tokens !== undefined) text += ` · ${this.text('status.budgetTokens', { left: budgetLeft.tokens })}`;
    else if (budgetLeft?.cost !== undefined) text += ` · ${this.text('status.budgetCost', { left: Math.round(budgetLeft.cost * 100) / 100 })}`;
    if (accounting.timing.tokensPerSecond !== undefined && !accounting.cached) text += ` · ${this.text('status.tokensPerSecond', { rate: accounting.timing.tokensPerSecond })}`;
    // An answer cut short is worth a look: it leads, so the status does not cut it off.
    if (accounting.truncated.length > 0) this.show('yellow', 'dot', `${this.text('status.truncated', {})} · ${text}`);
    else this.show('green', 'dot', text);
  }

  /** An answer that became results: done, or a non-2xx answer (raw format). */
  answered(response: { status: number; body: unknown; accounting: Accounting }, budgetLeft?: { tokens?: number; cost?: number }): void {
    if (response.status >= 200 && response.status < 300) {
      this.done(response.status, response.accounting, budgetLeft);
      return;
    }
    const api = apiErrorOf(response.body);
    this.answeredWithError(response.status, classify(response.status, api)?.words, api?.message);
  }

  /** A non-2xx answer given as a result (raw format): red, with what it means and the server's own words. */
  answeredWithError(status: number, words: string | undefined, message: string | undefined): void {
    const what = [words, message].filter(Boolean).join(': ');
    this.show('red', 'dot', what ? `${status} ${what}` : String(status));
  }

  budgetReset(left: { tokens?: number; cost?: number }): void {
    this.show('grey', 'ring', this.text('status.budgetReset', { left: left.tokens ?? left.cost ?? '' }));
  }

  invalid(fields: string[]): void {
    this.show('red', 'ring', this.text('status.invalid', { fields: fields.join(', ') }));
  }

  failed(reason: string): void {
    this.show('red', 'ring', this.text('status.failed', { reason }));
  }

  /** Nothing after close: the node is going away. */
  close(): void {
    this.closed = true;
    this.pace.stop();
    this.node.status({});
  }
}
