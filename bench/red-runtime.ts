/**
 * The real Node-RED runtime embedded in this process, as an application embeds it
 * (`RED.init(server, settings)`, `RED.start()`), with this package loaded from the
 * working tree through `<userDir>/node_modules` (the way `npm start` does it) and a
 * flow deployed through the runtime's flows API (a full deploy, as the editor's
 * Deploy button does). Nothing listens on a port: the flow needs no HTTP endpoint.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import RED from 'node-red';
import { probeHub, type ProbeHub } from './probe-hub';

import { ROOT } from './common';

export interface EmbeddedRed {
  hub: ProbeHub;
  getNode(id: string): any;
  /** Deploys `flow` as the editor's Deploy button does in the mode given; resolves once the flows have started again. */
  deploy(flow: object[], type: 'full' | 'flows' | 'nodes'): Promise<void>;
  stop(): Promise<void>;
}

export function nodeRedVersion(): string {
  const file = path.join(path.dirname(require.resolve('node-red')), '..', 'package.json');
  return String(JSON.parse(fs.readFileSync(file, 'utf8')).version);
}

let started = false;

export async function startRed(flow: object[], credentials: Record<string, Record<string, string>> = {}): Promise<EmbeddedRed> {
  if (started) throw new Error('one embedded Node-RED per process');
  started = true;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-red-'));
  // Removed by stop(); this covers a scenario that fails before it gets there.
  process.once('exit', () => fs.rmSync(userDir, { recursive: true, force: true }));
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  fs.symlinkSync(ROOT, path.join(modules, 'node-red-contrib-create-completion'), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'cc-bench', private: true }));
  const probeDir = path.join(userDir, 'bench-nodes');
  fs.mkdirSync(probeDir);
  fs.writeFileSync(path.join(probeDir, 'bench-probe.js'), `module.exports = require(${JSON.stringify(path.join(__dirname, 'nodes', 'probe.js'))});\n`);
  fs.writeFileSync(
    path.join(probeDir, 'bench-probe.html'),
    `<script type="text/javascript">
RED.nodes.registerType('bench-source', { category: 'common', defaults: {}, inputs: 0, outputs: 1 });
RED.nodes.registerType('bench-sink', { category: 'common', defaults: {}, inputs: 1, outputs: 0 });
RED.nodes.registerType('bench-http', { category: 'common', defaults: { url: {}, apiKey: {} }, inputs: 1, outputs: 2 });
</script>\n`,
  );

  const server = http.createServer();
  RED.init(server, {
    userDir,
    nodesDir: [probeDir],
    flowFile: 'flows.json',
    credentialSecret: 'create-completion-bench',
    httpAdminRoot: '/admin',
    httpNodeRoot: '/api',
    editorTheme: { tours: false },
    logging: { console: { level: process.env.BENCH_RED_LOG ?? 'error', metrics: false, audit: false } },
  } as unknown as Parameters<typeof RED.init>[1]);
  const events = RED.events as unknown as NodeJS.EventEmitter;
  const flowsStarted = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the flows did not start within 30 s')), 30_000);
      events.once('flows:started', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  // The (empty) flows of a fresh user directory start first; then the deploy restarts them.
  const initial = flowsStarted();
  await RED.start();
  await initial;
  const runtime = RED.runtime as unknown as { flows: { setFlows(opts: object): Promise<unknown> } };
  const deployed = flowsStarted();
  await runtime.flows.setFlows({ flows: { flows: flow, credentials }, deploymentType: 'full' });
  await deployed;
  const nodes = RED.nodes as unknown as { getNode(id: string): any };
  for (const node of flow as { id: string; type: string; z?: string }[]) {
    if (node.type !== 'tab' && !nodes.getNode(node.id)) throw new Error(`node ${node.id} (${node.type}) did not start`);
  }
  return {
    hub: probeHub(),
    getNode: (id: string) => nodes.getNode(id),
    deploy: async (next, type) => {
      const started = flowsStarted();
      await runtime.flows.setFlows({ flows: { flows: next, credentials }, deploymentType: type });
      await started;
    },
    stop: async () => {
      await RED.stop();
      server.close();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** A connection as the dialog stores it. */
export function apiConfig(id: string, baseUrl: string, fields: Record<string, string> = {}): object {
  return { id, type: 'completion-api', name: `connection ${id}`, baseUrl, timeout: '60', maxRetries: '2', maxInFlight: '16', maxQueue: '20000', maxResponseMB: '16', ...fields };
}

/** A create-completion node as the dialog stores it: every request field blank (the payload gives them). */
export function completionNode(id: string, api: string, z: string, wires: string[][], fields: Record<string, string> = {}): object {
  return {
    id, z, type: 'create-completion', name: `completion ${id}`, api,
    model: '', prompt: '', promptType: 'str', best_of: '', echo: '', frequency_penalty: '', logit_bias: [], logprobs: '',
    max_tokens: '', n_completions: '', presence_penalty: '', seed: '', stop: [], stream: '', include_usage: '', suffix: '', temperature: '',
    top_p: '', user: '', extra: '', resultFormat: 'raw', wires, ...fields,
  };
}
