/**
 * Runs create-completion in the real Node-RED runtime (node-red-node-test-helper on
 * the project's node-red dev dependency) inside a flow that records everything a
 * user could observe: both outputs, Catch, Complete and Status nodes.
 */
import helper from 'node-red-node-test-helper';
import completionApi from '../../nodes/completion-api';
import createCompletion from '../../nodes/create-completion';
import catchNode from '@node-red/nodes/core/common/25-catch.js';
import completeNode from '@node-red/nodes/core/common/24-complete.js';
import statusNode from '@node-red/nodes/core/common/25-status.js';
import splitJoinNodes from '@node-red/nodes/core/sequence/17-split.js';

helper.init(require.resolve('node-red'));

export type Msg = Record<string, any>;
export type EventKind = 'result' | 'pass' | 'error' | 'complete' | 'status' | 'joined';
export interface FlowEvent {
  kind: EventKind;
  node: string;
  msg: Msg;
}

export interface FlowOptions {
  /** completion-api fields (baseUrl is required). */
  api: Record<string, unknown>;
  credentials?: Record<string, string>;
  /** create-completion fields; override per test. */
  node?: Record<string, unknown>;
  /** A second create-completion node fed by the first one's passthrough. */
  chained?: Record<string, unknown>;
  /** A join node (automatic mode) after output 1. */
  join?: boolean;
  /** More config nodes (a tls-config, say), and credentials by node id. */
  configNodes?: Msg[];
  configCredentials?: Record<string, Record<string, string>>;
  /** More node modules the flow needs. */
  modules?: unknown[];
  /**
   * Nodes in front of create-completion, the way users build requests (an inject node's
   * JSON, a function node, a change node, a template node): each on the tab, wired by
   * the test; the nodes their module needs go in `modules`.
   */
  upstream?: Msg[];
  /** The nodes the Complete node watches (default: the create-completion nodes). */
  completeScope?: string[];
}

export interface Outcome {
  results: Msg[];
  pass: Msg[];
  errors: Msg[];
  completes: Msg[];
  /** Every event of the flow in the order it happened. */
  events: FlowEvent[];
}

export class FlowHarness {
  readonly events: FlowEvent[] = [];
  private listeners: (() => void)[] = [];

  static async load(options: FlowOptions): Promise<FlowHarness> {
    const harness = new FlowHarness();
    const tab = 'tab';
    const ccWires: string[][] = [['out'], options.chained ? ['pass', 'cc2'] : ['pass']];
    const outWires = options.join ? ['out', 'joiner'] : ['out'];
    ccWires[0] = outWires;
    const flow: Msg[] = [
      { id: tab, type: 'tab', label: 'test' },
      { id: 'api', type: 'completion-api', name: 'test server', timeout: '5', maxRetries: '2', maxInFlight: '4', maxQueue: '100', maxResponseMB: '16', ...options.api },
      { id: 'cc', z: tab, type: 'create-completion', name: 'first completion', api: 'api', model: 'demo-instruct', prompt: '', promptType: 'str', resultFormat: 'raw', wires: ccWires, ...options.node },
      { id: 'out', z: tab, type: 'helper' },
      { id: 'pass', z: tab, type: 'helper' },
      { id: 'catcher', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: tab, type: 'helper' },
      { id: 'completer', z: tab, type: 'complete', scope: options.completeScope ?? ['cc', 'cc2'], uncaught: false, wires: [['completed']] },
      { id: 'completed', z: tab, type: 'helper' },
      { id: 'status-watch', z: tab, type: 'status', scope: null, wires: [['statuses']] },
      { id: 'statuses', z: tab, type: 'helper' },
    ];
    if (options.chained) {
      flow.push(
        { id: 'cc2', z: tab, type: 'create-completion', name: 'second completion', api: 'api', model: 'demo-instruct', prompt: '', promptType: 'str', resultFormat: 'raw', wires: [['out2'], ['pass2']], ...options.chained },
        { id: 'out2', z: tab, type: 'helper' },
        { id: 'pass2', z: tab, type: 'helper' },
      );
    }
    if (options.join) {
      flow.push(
        { id: 'joiner', z: tab, type: 'join', mode: 'auto', build: 'object', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '', count: '', reduceRight: false, wires: [['joined']] },
        { id: 'joined', z: tab, type: 'helper' },
      );
    }
    flow.push(...(options.upstream ?? []).map((n) => ({ z: tab, ...n })));
    flow.push(...(options.configNodes ?? []));
    await helper.load(
      [completionApi, createCompletion, catchNode, completeNode, statusNode, splitJoinNodes, ...(options.modules ?? [])],
      flow,
      { api: options.credentials ?? {}, ...options.configCredentials },
    );
    const watch = (id: string, kind: EventKind) => {
      const n = helper.getNode(id);
      if (!n) return;
      n.on('input', (msg: Msg) => {
        harness.events.push({ kind, node: id, msg });
        for (const listener of harness.listeners) listener();
      });
    };
    watch('out', 'result');
    watch('pass', 'pass');
    watch('out2', 'result');
    watch('pass2', 'pass');
    watch('caught', 'error');
    watch('completed', 'complete');
    watch('statuses', 'status');
    watch('joined', 'joined');
    return harness;
  }

  node(id = 'cc'): any {
    return helper.getNode(id);
  }

  /** Sends a message into the node and waits until it has ended (Complete or Catch fired). */
  async run(input: Msg, options: { settleMs?: number; timeoutMs?: number; node?: string } = {}): Promise<Outcome> {
    const msg: Msg = { _msgid: helper._RED?.util?.generateId?.() ?? `m${Math.random()}`, ...input };
    const ended = () => this.events.some((e) => (e.kind === 'complete' || e.kind === 'error') && e.msg._msgid === msg._msgid && e.node !== 'x');
    const wait = this.waitFor(ended, options.timeoutMs ?? 15_000);
    this.node(options.node).receive(msg);
    await wait;
    // Give a second outcome time to show up if the node wrongly produced one.
    await new Promise((r) => setTimeout(r, options.settleMs ?? 30));
    return this.outcome(msg._msgid);
  }

  /**
   * Triggers an inject node (which makes a message of its own, with a new id) and waits
   * until the first message it caused has ended at create-completion.
   */
  async inject(id: string, options: { settleMs?: number; timeoutMs?: number } = {}): Promise<Outcome> {
    const before = this.events.length;
    const ended = () => this.events.slice(before).some((e) => e.kind === 'complete' || e.kind === 'error');
    const wait = this.waitFor(ended, options.timeoutMs ?? 15_000);
    helper.getNode(id).receive({});
    await wait;
    await new Promise((r) => setTimeout(r, options.settleMs ?? 30));
    const end = this.events.slice(before).find((e) => e.kind === 'complete' || e.kind === 'error')!;
    return this.outcome(end.msg._msgid);
  }

  outcome(msgid: string): Outcome {
    const mine = this.events.filter((e) => e.msg._msgid === msgid);
    return {
      results: mine.filter((e) => e.kind === 'result').map((e) => e.msg),
      pass: mine.filter((e) => e.kind === 'pass').map((e) => e.msg),
      errors: mine.filter((e) => e.kind === 'error').map((e) => e.msg),
      completes: mine.filter((e) => e.kind === 'complete').map((e) => e.msg),
      events: mine,
    };
  }

  waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (condition()) return resolve();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms; events: ${this.events.map((e) => `${e.node}:${e.kind}`).join(', ')}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  statuses(): Msg[] {
    return this.events.filter((e) => e.kind === 'status').map((e) => e.msg.status);
  }

  /** Every line Node-RED logged during the test. */
  logLines(): string[] {
    const spy = helper.log();
    return spy.args.map((args: unknown[]) => JSON.stringify(args));
  }

  async unload(): Promise<void> {
    await helper.unload();
  }
}

export { helper };
