import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { helper } from '../support/flow-harness';
import completionApi from '../../nodes/completion-api';
import createCompletion from '../../nodes/create-completion';
import catchNode from '@node-red/nodes/core/common/25-catch.js';
import injectNode from '@node-red/nodes/core/common/20-inject.js';
import debugNode from '@node-red/nodes/core/common/21-debug.js';
import commentNode from '@node-red/nodes/core/common/90-comment.js';
import switchNode from '@node-red/nodes/core/function/10-switch.js';
import splitJoinNodes from '@node-red/nodes/core/sequence/17-split.js';
import { dialogDefaults } from '../../nodes/lib/request/dialog-defaults';
import { startCompletionServer, type CompletionServer } from '../../demo-server/completion-server';
import { REPO_ROOT } from '../support/paths';

const examplesDir = path.join(REPO_ROOT, 'examples');
const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
type FlowNode = Record<string, any>;

describe('example flows (Import → Examples)', function () {
  let server: CompletionServer;
  before(async () => {
    server = await startCompletionServer();
  });
  after(() => server.close());
  afterEach(() => helper.unload());

  it('cover basic, token prompts, logprobs, streaming, chaining, a local server and error handling', () => {
    assert.equal(files.length, 7);
    const all = files.map((f) => JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as FlowNode[]);
    const nodes = all.flat().filter((n) => n.type === 'create-completion');
    assert.ok(nodes.some((n) => n.stream === 'true'));
    assert.ok(nodes.some((n) => n.logprobs !== '' && n.best_of !== ''));
    assert.ok(all.some((flow) => flow.some((n) => n.type === 'catch')));
    assert.ok(all.some((flow) => flow.some((n) => n.type === 'completion-api' && /localhost/.test(n.baseUrl))));
  });

  for (const file of files) {
    it(`${file}: valid dialog fields, and every inject ends in a result or a caught error`, async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[];
      for (const n of flow.filter((x) => x.type === 'create-completion')) {
        assert.deepEqual(dialogDefaults(n).problems, [], `${n.id} dialog fields`);
        assert.ok(n.x !== undefined && n.y !== undefined);
      }
      // Run it against the local server with the model it serves, keeping every other setting.
      const tab = 'example-tab';
      const runnable = [
        { id: tab, type: 'tab', label: file },
        ...flow.map((n) => {
          const copy: FlowNode = { ...n };
          if (copy.type === 'completion-api') copy.baseUrl = server.url;
          else copy.z = tab;
          if (copy.type === 'create-completion') copy.model = 'demo-instruct';
          if (copy.type === 'create-completion') copy.wires = copy.wires.map((w: string[], i: number) => (i === 0 ? [...w, 'probe-result'] : w));
          if (copy.type === 'catch') copy.wires = [[...copy.wires[0], 'probe-error']];
          return copy;
        }),
        { id: 'probe-result', type: 'helper', z: tab },
        { id: 'probe-error', type: 'helper', z: tab },
      ];
      await helper.load([completionApi, createCompletion, catchNode, injectNode, debugNode, commentNode, switchNode, splitJoinNodes], runnable);
      const outcomes: string[] = [];
      helper.getNode('probe-result').on('input', (msg: FlowNode) => {
        if (!msg.parts || msg.complete || (msg.parts.count !== undefined && msg.parts.index === msg.parts.count - 1)) outcomes.push('result');
      });
      helper.getNode('probe-error').on('input', (msg: FlowNode) => outcomes.push(`error:${msg.error.code}`));
      const injects = flow.filter((n) => n.type === 'inject');
      for (const inject of injects) {
        const before = outcomes.length;
        helper.getNode(inject.id).receive({});
        const deadline = Date.now() + 10_000;
        while (outcomes.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.ok(outcomes.length > before, `${inject.name} produced nothing`);
      }
      if (flow.some((n) => n.type === 'catch')) {
        assert.ok(outcomes.includes('error:INVALID_REQUEST'));
        assert.ok(outcomes.some((o) => /^error:(HTTP_ERROR|MODEL_NOT_FOUND)$/.test(o)), outcomes.join());
      } else {
        assert.ok(outcomes.every((o) => o === 'result'), outcomes.join());
      }
    });
  }
});
