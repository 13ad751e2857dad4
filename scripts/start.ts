/**
 * `npm start`: Node-RED from the project's dev dependencies, with this package loaded
 * from the working tree. The first start (or `npm start -- --reset`) deploys the demo
 * flow into the user directory .node-red-demo/; later starts keep the flows found there.
 * By default the flows talk to the project's demo server (a deterministic stand-in, not
 * a model) on a fixed address; COMPLETION_BASE_URL names a real server instead.
 *
 *   PORT (1880), HOST (127.0.0.1)      where Node-RED listens
 *   DEMO_SERVER_PORT (8089)            where the demo server listens, on 127.0.0.1
 *   COMPLETION_BASE_URL                a real server, e.g. http://localhost:8080/v1
 *   COMPLETION_SERVER_KIND             its kind (guessed from the address when blank)
 *   COMPLETION_MODEL                   its model (the first it lists when blank)
 *   COMPLETION_API_KEY                 its key, if it wants one
 *   RESET=1 or --reset                 remove the kept flows, deploy the demo flow again
 *   DEMO_USER_DIR                      another user directory than .node-red-demo/
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import RED from 'node-red';
import { startCompletionServer, type CompletionServer } from '../demo-server/completion-server';
import { normalizeBaseUrl, resolveApiKey } from '../nodes/lib/connection/settings';
import { PROFILES } from '../nodes/lib/servers/profiles';
import { serverKind } from '../nodes/lib/servers/server-kinds';
import { DEMO_CONNECTION_NAME, demoFlow } from './demo-flow';
import { editorPort, resolveTarget, StartError, type Target } from './demo-target';
import { CONNECTION_ID, DEMO_MODEL } from './flow-nodes';

const MODULE = 'node-red-contrib-create-completion';
const root = path.resolve(__dirname, '..', '..');
const FLOW_FILE = 'flows.json';
/** The files of a user directory that hold its flows: what a reset removes, and nothing else. */
const FLOW_FILES = [FLOW_FILE, 'flows_cred.json', '.flows.json.backup', '.flows_cred.json.backup'];

const USAGE = `npm start [-- --reset | --help]

Starts Node-RED with ${MODULE} from this working tree. The first start deploys
a demo flow; later starts keep your flows. Environment:
  PORT=1880, HOST=127.0.0.1   where Node-RED listens
  DEMO_SERVER_PORT=8089       where the demo server listens (on 127.0.0.1)
  COMPLETION_BASE_URL         a real server instead, e.g. http://localhost:8080/v1
  COMPLETION_SERVER_KIND      its kind: ${Object.keys(PROFILES).join(', ')}
  COMPLETION_MODEL            its model (default: the first it lists)
  COMPLETION_API_KEY          its API key, if it wants one
  RESET=1 or --reset          start over: remove the kept flows, deploy the demo flow
  DEMO_USER_DIR               the user directory (default .node-red-demo/)`;

const say = (line: string) => console.log(`[npm start] ${line}`);

interface Options {
  reset: boolean;
  userDir: string;
  port: number;
  host: string;
}

function options(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  const unknown = argv.filter((a) => a !== '--reset' && a !== '--help' && a !== '-h');
  if (unknown.length > 0) throw new StartError(`unknown option ${unknown.join(' ')}\n\n${USAGE}`);
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const resetEnv = (env.RESET ?? '').trim().toLowerCase();
  return {
    reset: argv.includes('--reset') || (resetEnv !== '' && resetEnv !== '0' && resetEnv !== 'false' && resetEnv !== 'no'),
    userDir: env.DEMO_USER_DIR?.trim() ? path.resolve(env.DEMO_USER_DIR.trim()) : path.join(root, '.node-red-demo'),
    port: editorPort(env),
    host: env.HOST?.trim() || '127.0.0.1',
  };
}

/** Listens, or fails with what to do about it instead of Node's stack trace. */
function listen(server: http.Server, port: number, host: string, what: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      // A port suggested must be free now: the next one is often taken too (by the same
      // program's other port, or a server a user runs beside it).
      void freePortAfter(port, host).then((free) => reject(listenError(error, port, host, what, variable, free)));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The first port after `port` that can be listened on now, or the next one if none of the few tried is free. */
async function freePortAfter(port: number, host: string): Promise<number> {
  for (let candidate = port + 1; candidate <= Math.min(65535, port + 50); candidate++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = http.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, host, () => probe.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
  return port === 65535 ? port - 1 : port + 1;
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string, what: string, variable: string, other: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new StartError(
        `${what} cannot listen on ${host}:${port}: another program already uses that port` +
        (variable === 'PORT' ? ' (another Node-RED, or an npm start still running?)' : ' (another npm start, or the demo server started on its own?)') +
        `. Stop it, or choose another port: ${variable}=${other} npm start` +
        // A second npm start beside the first would also share its demo server's port and its flows.
        (variable === 'PORT' ? '. A second npm start beside a running one needs its own demo server port and folder as well: DEMO_SERVER_PORT=… DEMO_USER_DIR=… (see npm start -- --help)' : ''),
      );
    case 'EACCES':
      return new StartError(`${what} is not allowed to listen on port ${port} (ports below 1024 need extra rights). Choose another port: ${variable}=${other} npm start`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartError(`${what} cannot listen on ${host}: not an address of this machine. Set HOST=127.0.0.1 (this machine only) or HOST=0.0.0.0 (every network interface).`);
    default:
      return error;
  }
}

/** Node-RED loads modules from <userDir>/node_modules: the working tree is linked in there. */
function prepareUserDir(userDir: string, reset: boolean): void {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  if (reset) {
    const removed = FLOW_FILES.filter((f) => fs.existsSync(path.join(userDir, f)));
    for (const f of removed) fs.rmSync(path.join(userDir, f), { force: true });
    say(removed.length > 0 ? `reset: removed the flows kept in ${userDir} (${removed.join(', ')})` : `reset: no flows were kept in ${userDir}`);
  }
  const link = path.join(userDir, 'node_modules', MODULE);
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  // Nodes installed from the palette are listed here: written only once.
  const pkg = path.join(userDir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, `${JSON.stringify({ name: 'node-red-demo', private: true }, null, 2)}\n`);
}

/** The models a server lists, or why it could not be asked. */
async function listModels(target: Extract<Target, { mode: 'server' }>): Promise<{ models: string[] } | { error: string }> {
  try {
    const kind = serverKind(target.kind);
    const base = normalizeBaseUrl(target.baseUrl, kind);
    const apiKey = resolveApiKey(target.apiKey);
    const answer = await fetch(`${base}${kind.modelsPath('')}`, { headers: kind.authHeaders({ apiKey }), signal: AbortSignal.timeout(5000) });
    if (!answer.ok) return { error: `HTTP ${answer.status}` };
    const body = (await answer.json()) as { data?: Array<{ id?: unknown }>; models?: Array<{ id?: unknown }> };
    const list = Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : [];
    return { models: list.map((m) => m?.id).filter((id): id is string => typeof id === 'string') };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

/** The model of a real server: COMPLETION_MODEL, or the first the server lists. */
async function chooseModel(target: Extract<Target, { mode: 'server' }>): Promise<string> {
  const listed = await listModels(target);
  if (target.model !== undefined) {
    if ('error' in listed) say(`could not reach ${target.baseUrl} (${listed.error}): requests will fail until the server answers there.`);
    return target.model;
  }
  if ('error' in listed || listed.models.length === 0) {
    const why = 'error' in listed ? `could not list its models (${listed.error})` : 'it lists no models';
    throw new StartError(`COMPLETION_MODEL is not set and ${target.baseUrl} ${why}. Start the server first, or set COMPLETION_MODEL to the model it serves.`);
  }
  const [first, ...others] = listed.models;
  say(others.length === 0
    ? `model: ${first}, the one the server lists.`
    : `model: ${first}, the first of the ${listed.models.length} the server lists (${listed.models.slice(0, 8).join(', ')}${listed.models.length > 8 ? ', …' : ''}). Set COMPLETION_MODEL to choose.`);
  return first;
}

/** What the kept flows' connections point at, and a hint when none points at the server this start uses. */
function describeKeptFlows(userDir: string, serverUrl: string): void {
  let flows: Array<Record<string, unknown>> = [];
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(userDir, FLOW_FILE), 'utf8'));
    flows = Array.isArray(parsed) ? parsed : [];
  } catch {
    return;
  }
  const urls = [...new Set(flows.filter((n) => n?.type === 'completion-api').map((n) => String(n.baseUrl ?? '').replace(/\/+$/, '')))];
  if (urls.length === 0 || urls.includes(serverUrl)) return;
  say(`none of your connections points at ${serverUrl}; they point at ${urls.join(', ')}. Change them, or start over with npm start -- --reset (which replaces your flows with the demo flow).`);
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2), process.env);
  if (opts === 'help') {
    console.log(USAGE);
    return;
  }
  const target = resolveTarget(process.env);
  for (const note of target.notes) say(note);
  const fresh = opts.reset || !fs.existsSync(path.join(opts.userDir, FLOW_FILE));
  // Only a flow about to be deployed needs a model; kept flows have their own.
  const model = target.mode === 'demo' ? DEMO_MODEL : fresh ? await chooseModel(target) : target.model ?? '';

  const app = express();
  const server = http.createServer(app);
  await listen(server, opts.port, opts.host, 'Node-RED', 'PORT');

  let demo: CompletionServer | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await RED.stop();
    } catch {
      // not started
    }
    server.close();
    await demo?.close();
    process.exit(code);
  };
  let serverUrl: string;
  if (target.mode === 'demo') {
    try {
      demo = await startCompletionServer({ port: target.port, host: target.host, tokenDelayMs: 40, record: false });
    } catch (error) {
      server.close();
      throw listenError(error as NodeJS.ErrnoException, target.port, target.host, 'The demo server', 'DEMO_SERVER_PORT', await freePortAfter(target.port, target.host));
    }
    serverUrl = demo.url;
    console.log(`demo completion server (a deterministic stand-in, not a language model) on ${demo.url}`);
  } else {
    serverUrl = target.baseUrl.replace(/\/+$/, '');
  }

  prepareUserDir(opts.userDir, opts.reset);

  RED.init(server, {
    userDir: opts.userDir,
    flowFile: FLOW_FILE,
    flowFilePretty: true,
    credentialSecret: 'create-completion-demo',
    uiPort: opts.port,
    uiHost: opts.host,
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    // A clean editor on first open: no welcome tour, no question about update
    // notifications (telemetry), and the working tree's package never "updated" from
    // npm over its link by the palette manager.
    editorTheme: { tours: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { palette: { denyUpdateList: [MODULE] } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  } as Parameters<typeof RED.init>[1]);
  app.use('/', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  // A terminal or parent process that went away must not keep Node-RED from stopping.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

  // The flows have started when the runtime says so (Node-RED 5 starts them after setFlows resolves).
  const started = (isOurs: (flows: Array<{ id?: string }>) => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        RED.events.off('flows:started', onStarted);
        resolve(false);
      }, timeoutMs);
      const onStarted = (event: { config?: { flows?: Array<{ id?: string }> } }) => {
        if (!isOurs(event?.config?.flows ?? [])) return;
        clearTimeout(timer);
        RED.events.off('flows:started', onStarted);
        resolve(true);
      };
      RED.events.on('flows:started', onStarted);
    });

  const where = `Node-RED with ${MODULE} on http://${opts.host}:${opts.port}/`;
  const flowFile = path.join(opts.userDir, FLOW_FILE);
  if (fresh) {
    const deployed = started((flows) => flows.some((n) => n.id === CONNECTION_ID), 30_000);
    await RED.start();
    const name = target.mode === 'demo' ? DEMO_CONNECTION_NAME : '';
    const kind = target.mode === 'demo' ? 'other' : target.kind;
    const credentials = target.mode === 'server' && target.apiKey ? { [CONNECTION_ID]: { apiKey: target.apiKey } } : {};
    await (RED.runtime as unknown as { flows: { setFlows(opts: object): Promise<unknown> } }).flows.setFlows({
      flows: { flows: demoFlow(serverUrl, model, name, kind), credentials },
      deploymentType: 'full',
    });
    await deployed;
    console.log(`${where} (demo flow deployed)`);
    say(`your flows are saved in ${flowFile} and kept across starts; npm start -- --reset starts over with the demo flow.`);
  } else {
    const running = started(() => true, 15_000);
    await RED.start();
    await running;
    console.log(`${where} (your flows, kept from the last start)`);
    say(`flows: ${flowFile}. npm start -- --reset starts over with the demo flow.`);
    describeKeptFlows(opts.userDir, serverUrl);
  }
}

main().catch((error: unknown) => {
  if (error instanceof StartError) {
    console.error(`[npm start] ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
