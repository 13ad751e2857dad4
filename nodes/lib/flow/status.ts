import type { Node } from 'node-red';

type Fill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
type Translate = (key: string, values?: Record<string, string | number>) => string;

const TEXT_MAX = 60;

/**
 * What a create-completion node shows under itself. Fixed texts go out as catalogue
 * keys, which the editor translates into its user's language; texts with numbers in
 * them are translated here, once per template (i18next costs microseconds a call).
 */
export class NodeStatus {
  private closed = false;
  private readonly templates = new Map<string, string>();

  constructor(private readonly node: Node, private readonly translate: Translate) {}

  /** A text with values, e.g. "queued: 3": the template is looked up once, then filled. */
  private text(key: string, values: Record<string, string | number>): string {
    let template = this.templates.get(key);
    if (template === undefined) {
      const marks = Object.fromEntries(Object.keys(values).map((name, i) => [name, `\u0001${i}\u0002`]));
      template = this.translate(`create-completion.${key}`, marks);
      this.templates.set(key, template);
    }
    let out = template;
    Object.values(values).forEach((value, i) => {
      out = out.split(`\u0001${i}\u0002`).join(String(value));
    });
    return out;
  }

  private show(fill: Fill, shape: 'dot' | 'ring', text: string): void {
    if (!this.closed) this.node.status({ fill, shape, text: text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text });
  }

  /** A fixed text, as a key the editor translates. */
  private key(fill: Fill, shape: 'dot' | 'ring', key: string): void {
    this.show(fill, shape, `create-completion.${key}`);
  }

  queued(count: number): void {
    this.show('yellow', 'ring', this.text('status.queued', { count }));
  }

  requesting(): void {
    this.key('blue', 'dot', 'status.requesting');
  }

  retrying(attempt: number, reason: string): void {
    this.show('yellow', 'ring', this.text('status.retrying', { attempt, reason }));
  }

  streaming(count: number): void {
    this.show('blue', 'dot', this.text(count === 1 ? 'status.streamingOne' : 'status.streaming', { count }));
  }

  done(status: number, tokens: number | undefined): void {
    if (tokens === undefined) this.show('green', 'dot', this.text('status.doneNoUsage', { status }));
    else this.show('green', 'dot', this.text('status.done', { status, tokens }));
  }

  /** A non-2xx answer given as a result (raw format): red, with the server's own words. */
  answeredWithError(status: number, message: string | undefined): void {
    this.show('red', 'dot', message ? `${status}: ${message}` : String(status));
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
    this.node.status({});
  }
}
