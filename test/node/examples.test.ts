/**
 * The example flows users import from the editor (Import → Examples): written by
 * scripts/example-flows.ts, sharing one connection to the demo server's fixed address,
 * and each one run in a real Node-RED against the demo server, every inject pressed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { helper } from '../support/flow-harness';
import completionApi from '../../nodes/completion-api';
import createCompletion from '../../nodes/create-completion';
import catchNode from '@node-red/nodes/core/common/25-catch.js';
import injectNode from '@node-red/nodes/core/common/20-inject.js';
import commentNode from '@node-red/nodes/core/common/90-comment.js';
import switchNode from '@node-red/nodes/core/function/10-switch.js';
import functionNode from '@node-red/nodes/core/function/10-function.js';
import changeNode from '@node-red/nodes/core/function/15-change.js';
import templateNode from '@node-red/nodes/core/function/80-template.js';
import splitJoinNodes from '@node-red/nodes/core/sequence/17-split.js';
import { dialogDefaults } from '../../nodes/lib/request/dialog-defaults';
import { startCompletionServer, type CompletionServer, type RecordedRequest } from '../../demo-server/completion-server';
import { exampleFlows, exampleText } from '../../scripts/example-flows';
import { CONNECTION_ID, DEMO_BASE_URL, DEMO_MODEL, DEMO_SERVER_PORT, REAL_SERVER_HELP } from '../../scripts/flow-nodes';
import { REPO_ROOT } from '../support/paths';

type FlowNode = Record<string, any>;

const examplesDir = path.join(REPO_ROOT, 'examples');
const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[];

/** What an inject should end in, where it is not "a 2xx result from every create-completion node it reaches". */
const EXPECTED: Record<string, { error?: string | RegExp; status?: number }> = {
  'invalid parameters': { error: 'INVALID_REQUEST' },
  // A 404 fails the message in text format (its code says what the server meant); in raw format it is a result.
  'unknown model': { error: /^[A-Z_]+$/, status: 404 },
};

/** The nodes an inject reaches, following wires. */
function reachable(flow: FlowNode[], from: string): Set<string> {
  const byId = new Map(flow.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const next of (byId.get(id)?.wires ?? []).flat() as string[]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** What pressing one inject caused: the results of each create-completion node, the errors caught, the requests the server got. */
interface Run {
  inject: FlowNode;
  results: Map<string, FlowNode[]>;
  errors: FlowNode[];
  requests: RecordedRequest[];
}

describe('example flows (Import → Examples)', function () {
  let server: CompletionServer;
  before(async () => {
    server = await startCompletionServer();
  });
  after(() => server.close());
  afterEach(() => helper.unload());

  it('are the flows scripts/example-flows.ts writes (node dist/scripts/example-flows.js rewrites them)', () => {
    const generated = exampleFlows();
    assert.deepEqual(files, Object.keys(generated).sort());
    for (const [file, nodes] of Object.entries(generated)) {
      assert.equal(fs.readFileSync(path.join(examplesDir, file), 'utf8'), exampleText(nodes), `${file} differs from what the script writes`);
    }
  });

  it('share one connection, the same id and settings in each, to the fixed address of npm start\'s demo server', () => {
    assert.equal(DEMO_BASE_URL, `http://127.0.0.1:${DEMO_SERVER_PORT}/v1`);
    const connections = files.map((file) => {
      const config = read(file).filter((n) => n.x === undefined);
      assert.equal(config.length, 1, `${file}: config nodes ${config.map((n) => n.type)}`);
      return config[0];
    });
    for (const [i, connection] of connections.entries()) {
      assert.equal(connection.type, 'completion-api', files[i]);
      assert.deepEqual(connection, connections[0], `${files[i]}: its connection differs from ${files[0]}'s`);
    }
    assert.equal(connections[0].id, CONNECTION_ID);
    assert.equal(connections[0].baseUrl, DEMO_BASE_URL);
    assert.equal(connections[0].serverKind, 'other');
    for (const file of files) {
      for (const n of read(file).filter((x) => x.type === 'create-completion')) {
        assert.equal(n.api, CONNECTION_ID, `${file} ${n.name}`);
        assert.equal(n.model, DEMO_MODEL, `${file} ${n.name}`);
      }
    }
  });

  it('cover a raw completion, stop and suffix, logprobs, a batch, streaming into a join, chaining and a catch node', () => {
    const all = files.map(read);
    const nodes = all.flat();
    const completions = nodes.filter((n) => n.type === 'create-completion');
    const feeds = (type: string) => nodes.filter((n) => n.type === type && n.wires.flat().some((id: string) => completions.some((c) => c.id === id)));
    assert.ok(completions.some((n) => n.resultFormat === 'raw'));
    assert.ok(completions.some((n) => n.stop.length > 0));
    assert.ok(feeds('function').some((n) => /msg\.payload = \{[\s\S]*suffix:/.test(n.func)), 'a function node builds a request with a suffix as an object literal');
    assert.ok(completions.some((n) => n.logprobs !== ''));
    assert.ok(completions.some((n) => n.resultFormat === 'choices'));
    assert.ok(completions.some((n) => n.stream === 'true'));
    assert.ok(completions.some((n) => n.wires[1].some((id: string) => completions.some((c) => c.id === id))), 'a chain through the passthrough');
    assert.ok(feeds('change').length > 0, 'a change node builds a request');
    assert.ok(feeds('template').length > 0, 'a template node builds a prompt');
    assert.ok(nodes.some((n) => n.type === 'catch'));
    assert.ok(nodes.some((n) => n.type === 'join'));
  });

  for (const file of files) {
    it(`${file}: says in a comment node what it shows and how to point it at a real server`, () => {
      const comments = read(file).filter((n) => n.type === 'comment');
      assert.equal(comments.length, 1);
      assert.ok(comments[0].name.length > 10);
      assert.ok(comments[0].info.includes(REAL_SERVER_HELP), 'the comment says how to point the connection at a real server');
    });

    it(`${file}: valid dialog fields, and its inject and catch nodes line up on one left edge`, () => {
      const flow = read(file);
      for (const n of flow.filter((x) => x.type === 'create-completion')) {
        assert.deepEqual(dialogDefaults(n).problems, [], `${n.name} dialog fields`);
      }
      for (const n of flow.filter((x) => x.x !== undefined)) assert.ok(Number.isFinite(n.x) && Number.isFinite(n.y), n.id);
      // An imported node keeps the left edge of a 100-wide node around its x as it widens to its label.
      const xs = flow.filter((n) => n.type === 'inject' || n.type === 'catch').map((n) => n.x);
      assert.ok(xs.length > 0);
      assert.equal(new Set(xs).size, 1, `x of the inject and catch nodes: ${xs}`);
    });

    it(`${file}: every inject ends in a result or a caught error, and every debug node shows something`, async () => {
      const flow = read(file);
      const runs = await runExample(flow);
      const debugs = flow.filter((n) => n.type === 'debug');
      for (const run of runs) {
        const name = run.inject.name as string;
        const expected = EXPECTED[name] ?? {};
        const failed = new Map(run.errors.map((e) => [e.error.source?.id as string, e.error as FlowNode]));
        if (expected.error) assert.ok(failed.size > 0, `${name}: no error`);
        const reached = reachable(flow, run.inject.id);
        for (const node of flow.filter((n) => n.type === 'create-completion' && reached.has(n.id))) {
          const error = failed.get(node.id);
          if (error) {
            assert.ok(expected.error, `${name}: ${node.name} failed: ${error.code} ${error.message}`);
            assert.match(error.code, typeof expected.error === 'string' ? new RegExp(`^${expected.error}$`) : expected.error, `${name}: ${node.name}`);
            continue;
          }
          const results = run.results.get(node.id) ?? [];
          assert.ok(results.length > 0, `${name}: no result from ${node.name}`);
          for (const r of results) assert.equal(r.statusCode, expected.status ?? 200, `${name}: ${node.name}`);
        }
        assert.equal(run.errors.length, failed.size, `${name}: more than one error from a node`);
        for (const id of failed.keys()) assert.ok(reached.has(id) && flow.some((n) => n.id === id && n.type === 'create-completion'), `${name}: an error from ${id}`);
      }
      for (const d of debugs) assert.ok(shown.get(d.id)?.length, `debug "${d.name}" showed nothing`);
      checkWhatWasSent(file, runs);
    });
  }

  /** Messages each debug node (stood in for by a helper node) received in the last run. */
  const shown = new Map<string, FlowNode[]>();

  /** Loads the example on a tab as Node-RED would after an import, and presses each inject in turn. */
  async function runExample(flow: FlowNode[]): Promise<Run[]> {
    const tab = 'example-tab';
    const completions = flow.filter((n) => n.type === 'create-completion').map((n) => n.id);
    // Errors are seen through the example's own catch nodes, or through one added for the
    // test; one that no catch node gets shows in the log (checked after the run).
    const hasCatch = flow.some((n) => n.type === 'catch');
    const runnable: FlowNode[] = [
      { id: tab, type: 'tab', label: 'example' },
      ...flow.map((n) => {
        if (n.x === undefined) return { ...n, baseUrl: server.url };
        // A debug node becomes a helper node of the same id, so the test sees what it would show.
        if (n.type === 'debug') return { id: n.id, type: 'helper', z: tab, wires: [] };
        const copy: FlowNode = { ...n, z: tab };
        if (n.type === 'create-completion') copy.wires = [[...n.wires[0], `probe-${n.id}`], n.wires[1]];
        if (n.type === 'catch') copy.wires = [[...n.wires[0], 'probe-errors']];
        return copy;
      }),
      ...completions.map((id) => ({ id: `probe-${id}`, type: 'helper', z: tab, wires: [] })),
      ...(hasCatch ? [] : [{ id: 'probe-catch', type: 'catch', z: tab, scope: null, uncaught: false, wires: [['probe-errors']] }]),
      { id: 'probe-errors', type: 'helper', z: tab, wires: [] },
    ];
    await helper.load([completionApi, createCompletion, catchNode, injectNode, commentNode, switchNode, functionNode, changeNode, templateNode, splitJoinNodes], runnable);

    shown.clear();
    let lastActivity = Date.now();
    for (const d of flow.filter((n) => n.type === 'debug')) {
      shown.set(d.id, []);
      helper.getNode(d.id).on('input', (msg: FlowNode) => {
        lastActivity = Date.now();
        shown.get(d.id)!.push(msg);
      });
    }
    let run: Run | undefined;
    for (const id of completions) {
      helper.getNode(`probe-${id}`).on('input', (msg: FlowNode) => {
        // The final message of a sequence (or a message of none) is the result.
        if (msg.parts && !msg.complete && !(msg.parts.count !== undefined && msg.parts.index === msg.parts.count - 1)) return;
        const list = run!.results.get(id) ?? [];
        list.push(msg);
        run!.results.set(id, list);
      });
    }
    helper.getNode('probe-errors').on('input', (msg: FlowNode) => run!.errors.push(msg));

    const runs: Run[] = [];
    for (const inject of flow.filter((n) => n.type === 'inject')) {
      const reached = completions.filter((id) => reachable(flow, inject.id).has(id));
      const requestsBefore = server.requests.length;
      lastActivity = Date.now();
      run = { inject, results: new Map(), errors: [], requests: [] };
      helper.getNode(inject.id).receive({});
      const deadline = Date.now() + 10_000;
      const settled = () => reached.every((id) => run!.results.has(id) || run!.errors.some((e) => e.error.source?.id === id));
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Then whatever else the inject causes (a debug after a join or a switch, a passthrough) lands.
      while (Date.now() - lastActivity < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      run.requests = server.requests.slice(requestsBefore);
      runs.push(run);
    }
    const logged = helper.log().args.map((args: Array<{ level?: number; msg?: unknown }>) => args[0]).filter((entry: { level?: number }) => entry.level !== undefined && entry.level <= 20);
    assert.deepEqual(logged.map((e: { msg?: unknown }) => String(e.msg)), [], 'errors no catch node got');
    return runs;
  }
});

/** A few examples promise what the server receives: check that it does. */
function checkWhatWasSent(file: string, runs: Run[]): void {
  const bodies = (inject: string) => runs.find((r) => r.inject.name === inject)!.requests.map((r) => r.body as FlowNode);
  if (file.startsWith('02')) {
    const [question] = bodies('a question');
    assert.equal(question.prompt, 'Q: What is the capital of France?\nA:');
    assert.deepEqual(question.stop, ['\n', 'Q:']);
    // The function node's object literal (another realm) reaches the server as written.
    const [fill] = bodies('fill in');
    assert.deepEqual(fill, { model: DEMO_MODEL, prompt: 'def is_even(n):\n    ', suffix: '\n\nprint(is_even(4))', max_tokens: 48, temperature: 0, stop: ['\ndef ', '\nclass '] });
  }
  if (file.startsWith('03')) {
    const [scored] = bodies('review');
    assert.equal(scored.prompt, 'Review: The battery died after two days.\nSentiment (positive or negative):');
    assert.equal(scored.logprobs, 5);
  }
  if (file.startsWith('04')) {
    assert.deepEqual(bodies('products')[0].prompt, ['A one-line slogan for lemonade:', 'A one-line slogan for umbrella:', 'A one-line slogan for bicycle bell:']);
  }
  if (file.startsWith('06')) {
    // The passthrough carries the payload's parameters to the second node; each node keeps its own prompt.
    const [outline, title] = bodies('shared parameters');
    assert.equal(outline.prompt, 'Write a three-point outline for a talk about bees.');
    assert.equal(title.prompt, 'Write a title for a talk about bees.');
    for (const body of [outline, title]) {
      assert.equal(body.max_tokens, 24);
      assert.equal(body.temperature, 0);
    }
    // The first answer goes into the second prompt.
    const [fact, headline] = bodies('a fact');
    assert.equal(fact.prompt, 'Tell me one surprising fact about bees.');
    assert.match(String(headline.prompt), /^Write a headline for this fact:\n.+\nHeadline:$/s);
    assert.equal(headline.max_tokens, 16);
  }
}
