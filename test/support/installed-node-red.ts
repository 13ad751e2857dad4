/**
 * Installed-package harness: the package as a user gets it.
 *
 * `packPackage()` runs `npm pack` in the repository root (once per process) and
 * `startInstalledNodeRed()` installs that tarball with npm into a fresh, temporary
 * Node-RED user directory and starts the real Node-RED of the project's dev
 * dependency on it, as a child process on 127.0.0.1. Nothing here loads the node
 * files from the working tree: Node-RED finds the package in
 * `<userDir>/node_modules` exactly as it would after "Manage palette → Install".
 *
 * Typical use (one install per mocha file; measured here: pack 0.5 s when dist/ is fresh,
 * 3-5 s with the build, npm install 1.5-2.5 s with a warm npm cache, Node-RED start ~1 s):
 *
 *   let red: InstalledNodeRed;
 *   before(async function () {
 *     this.timeout(180_000);
 *     red = await startInstalledNodeRed({ tarball: await packPackage() });
 *   });
 *   after(() => red?.stop());
 *
 * How a flow reports back to a test: `completionFlow()` builds
 * `http in (POST /<path>) → create-completion → function "collect" → http response`
 * plus a `catch` on the tab that answers the same HTTP request with the error.
 * A test calls `red.run(route, payload)`, which POSTs the input `msg.payload` (JSON, or
 * text/plain for a prompt string) to `<url>/<route>` and gets back one JSON answer
 * (see `RunResult`): the final result message of output 1 and, for a
 * streamed request, every chunk message that came before it. The "collect"
 * function is needed because (a) `http response` can answer a request only once,
 * while a stream sends many messages, and (b) `http response` would copy the
 * upstream `msg.headers`/`msg.statusCode` of the raw result onto the answer
 * (a stale content-length breaks the answer); "collect" puts them in the body and
 * answers 200. Failures (`done(err)`) reach the `catch` node and come back with
 * status 500 and `{ error }`, so a test never waits for a timeout to learn that
 * the message failed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Fixed credential secret of every test instance (flows_cred.json is encrypted with it). */
export const TEST_CREDENTIAL_SECRET = 'installed-node-red-test-secret';
export const MODULE_NAME = 'node-red-contrib-create-completion';

export interface InstalledNodeRed {
  /** http://127.0.0.1:PORT (no trailing slash); admin API and http-in routes share it. */
  url: string;
  userDir: string;
  port: number;
  /** Everything Node-RED wrote to stdout and stderr so far. */
  log(): string;
  /** Full deploy through the Admin API. `credentials` is keyed by node id, put into each node's `credentials` as the editor does. */
  deployFlow(flow: object[], credentials?: Record<string, Record<string, unknown>>): Promise<void>;
  /** `GET /flows` (API v2): `{ flows, rev }`. */
  getFlows(): Promise<any>;
  /** The raw flows.json followed by the raw flows_cred.json (joined by a newline). */
  exportFlowFile(): string;
  /** One file of the user directory, '' when missing. */
  readUserFile(name: string): string;
  /** fetch() relative to `url`. */
  request(pathname: string, init?: RequestInit): Promise<Response>;
  /** POST `payload` (JSON, or text/plain for a string) as the input msg.payload to an http-in route of a `completionFlow()` and return the parsed answer. */
  run(route: string, payload: unknown, timeoutMs?: number): Promise<RunHttpAnswer>;
  /** SIGTERM, SIGKILL after 5 s, then remove the user directory. */
  stop(): Promise<void>;
  /** Milliseconds spent in `npm install` and in starting Node-RED. */
  timings: { installMs: number; startMs: number };
}

export interface StartOptions {
  tarball: string;
  env?: Record<string, string>;
  /** Merged over the default settings (top level; `editorTheme` and `logging` one level deeper). Must be JSON-serialisable. */
  settings?: Record<string, unknown>;
  /** Milliseconds to wait for `GET /settings`; default 60 000. */
  startTimeoutMs?: number;
}

/** One message of output 1 as the "collect" function saw it. */
export interface RunMessage {
  payload: any;
  statusCode?: number;
  headers?: Record<string, unknown>;
  parts?: { id: string; index: number; count?: number; type?: string };
  complete?: boolean;
  completion?: unknown;
}

/** Body of the answer of a `completionFlow()` route. */
export interface RunResult {
  /** The last message of output 1 (the assembled one for a stream). */
  result?: RunMessage;
  /** The messages before it (stream chunks, or the earlier choices in `choices` format). */
  chunks?: RunMessage[];
  /** Set when the message failed (`done(err)` → catch node). */
  error?: { message: string; source?: unknown };
}

export interface RunHttpAnswer {
  status: number;
  headers: Headers;
  /** The raw answer text, for leak checks. */
  text: string;
  body: RunResult;
}

const repoRoot = findRepoRootFrom(__dirname) ?? findRepoRootFrom(process.cwd()) ?? fail(`cannot find the ${MODULE_NAME} repository`);
const cleanups = new Set<() => void>();
process.on('exit', () => {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      /* best effort at exit */
    }
  }
});

function findRepoRootFrom(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === MODULE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function fail(message: string): never {
  throw new Error(message);
}

export function repositoryRoot(): string {
  return repoRoot;
}

/** Environment for child npm processes: without the npm_* variables of an enclosing `npm test`. */
function npmEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(config|package|lifecycle)_/i.test(key) || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: npmEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

function npmCommand(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/**
 * True when dist/nodes was built from the current sources: each nodes/**.ts has a
 * newer .js, and each .html, icon and locale file has an identical copy.
 */
export function distIsFresh(): boolean {
  const src = path.join(repoRoot, 'nodes');
  const out = path.join(repoRoot, 'dist', 'nodes');
  if (!fs.existsSync(out)) return false;
  for (const file of listFiles(src)) {
    const rel = path.relative(src, file);
    if (file.endsWith('.d.ts')) continue;
    if (file.endsWith('.ts')) {
      const js = path.join(out, rel.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(file).mtimeMs) return false;
    } else if (file.endsWith('.html')) {
      if (!sameContent(file, path.join(out, rel))) return false;
    }
  }
  for (const folder of ['icons', 'locales']) {
    const from = path.join(repoRoot, folder);
    for (const file of listFiles(from)) {
      if (!sameContent(file, path.join(out, folder, path.relative(from, file)))) return false;
    }
  }
  return true;
}

function sameContent(a: string, b: string): boolean {
  return fs.existsSync(b) && fs.readFileSync(a).equals(fs.readFileSync(b));
}

let packed: Promise<string> | undefined;

/**
 * `npm pack` of the repository, once per process; resolves to the tarball path.
 * When dist/ is fresh (as right after `npm test`'s build) the pack skips the
 * `prepare` build (`--ignore-scripts`), which rebuilds dist/ byte for byte and
 * would wipe the running tests' own dist/test meanwhile; otherwise plain
 * `npm pack` runs `prepare`. Set PACK_REBUILD=1 to force the build.
 */
export function packPackage(): Promise<string> {
  if (!packed) {
    packed = (async () => {
      const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ccc-pack-'));
      cleanups.add(() => fs.rmSync(dest, { recursive: true, force: true }));
      const args = ['pack', '--json', '--pack-destination', dest];
      if (process.env.PACK_REBUILD !== '1' && distIsFresh()) args.push('--ignore-scripts');
      const { stdout } = await run(npmCommand(), args, repoRoot, 240_000);
      const info = JSON.parse(stdout.slice(stdout.indexOf('[')));
      const tarball = path.join(dest, info[0].filename);
      if (!fs.existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}:\n${stdout}`);
      return tarball;
    })();
    packed.catch(() => {
      packed = undefined;
    });
  }
  return packed;
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function defaultSettings(port: number): Record<string, any> {
  return {
    uiPort: port,
    uiHost: '127.0.0.1',
    credentialSecret: TEST_CREDENTIAL_SECRET,
    flowFile: 'flows.json',
    flowFilePretty: true,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
}

function mergeSettings(base: Record<string, any>, extra: Record<string, unknown> = {}): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    if (
      current && typeof current === 'object' && !Array.isArray(current) &&
      value && typeof value === 'object' && !Array.isArray(value)
    ) {
      out[key] = { ...current, ...(value as object) };
    } else {
      out[key] = value;
    }
  }
  return out;
}

async function installTarball(userDir: string, tarball: string): Promise<void> {
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2),
  );
  await run(
    npmCommand(),
    ['install', '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline', '--no-update-notifier', '--loglevel=error', tarball],
    userDir,
    240_000,
  );
  const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8')).dependencies ?? {});
  if (deps.length !== 1 || !fs.existsSync(path.join(userDir, 'node_modules', deps[0], 'package.json'))) {
    throw new Error(`npm install did not install ${tarball} into ${userDir}`);
  }
}

export async function startInstalledNodeRed(options: StartOptions): Promise<InstalledNodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccc-nodered-'));
  const removeDir = () => fs.rmSync(userDir, { recursive: true, force: true });
  cleanups.add(removeDir);
  let child: ChildProcess | undefined;
  let logText = '';
  try {
    const installStart = Date.now();
    await installTarball(userDir, options.tarball);
    const installMs = Date.now() - installStart;

    const port = await freePort();
    const settings = mergeSettings(defaultSettings(port), options.settings);
    const settingsFile = path.join(userDir, 'settings.js');
    fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

    const startStart = Date.now();
    const redJs = require.resolve('node-red/red.js', { paths: [repoRoot] });
    child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
      cwd: userDir,
      env: { ...npmEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    const killAtExit = () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    cleanups.add(killAtExit);
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logText += chunk));
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (logText += chunk));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

    const url = `http://127.0.0.1:${port}`;
    await waitForSettings(url, proc, () => logText, options.startTimeoutMs ?? 60_000);
    const startMs = Date.now() - startStart;

    const request = (pathname: string, init?: RequestInit) => fetch(url + pathname, init);

    const red: InstalledNodeRed = {
      url,
      userDir,
      port,
      timings: { installMs, startMs },
      log: () => logText,
      request,
      async deployFlow(flow, credentials) {
        const startedBefore = countStarted(logText);
        const flows = flow.map((node: any) =>
          credentials && credentials[node.id] ? { ...node, credentials: { ...credentials[node.id] } } : node,
        );
        const res = await request('/flows', {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Node-RED-API-Version': 'v2',
            'Node-RED-Deployment-Type': 'full',
          },
          body: JSON.stringify({ flows }),
        });
        if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}\n${logText.slice(-4000)}`);
        await res.arrayBuffer();
        // POST /flows answers before the new flows have started (flows/index.js setFlows):
        // wait for the runtime's "Started flows" line (logging level info is the default here).
        const deadline = Date.now() + 15_000;
        while (countStarted(logText) <= startedBefore) {
          if (Date.now() > deadline) throw new Error(`flows did not start within 15 s after deploy\n${logText.slice(-4000)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      async getFlows() {
        const res = await request('/flows', { headers: { 'Node-RED-API-Version': 'v2', Accept: 'application/json' } });
        if (!res.ok) throw new Error(`GET /flows failed: ${res.status} ${await res.text()}`);
        return res.json();
      },
      readUserFile(name: string) {
        const file = path.join(userDir, name);
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      },
      exportFlowFile() {
        return `${red.readUserFile('flows.json')}\n${red.readUserFile('flows_cred.json')}`;
      },
      async run(route, payload, timeoutMs = 20_000) {
        const res = await request(`/${route.replace(/^\//, '')}`, {
          method: 'POST',
          // http in sets msg.payload to the parsed body: JSON for objects, text/plain for a prompt string.
          headers: { 'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json' },
          body: typeof payload === 'string' ? payload : JSON.stringify(payload),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        let body: RunResult;
        try {
          body = JSON.parse(text);
        } catch {
          throw new Error(`${route} answered ${res.status} with no JSON: ${text.slice(0, 500)}`);
        }
        return { status: res.status, headers: res.headers, text, body };
      },
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        cleanups.delete(killAtExit);
        removeDir();
        cleanups.delete(removeDir);
      },
    };
    return red;
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    removeDir();
    cleanups.delete(removeDir);
    if (err instanceof Error && logText) err.message += `\n--- Node-RED log ---\n${logText.slice(-6000)}`;
    throw err;
  }
}

function countStarted(log: string): number {
  return log.split('] Started flows').length - 1;
}

async function waitForSettings(url: string, proc: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`Node-RED exited (${proc.exitCode ?? proc.signalCode}) before answering /settings`);
    }
    try {
      const res = await fetch(`${url}/settings`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`Node-RED did not answer ${url}/settings within ${timeoutMs} ms\n${log().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** The function node "collect": see the comment at the top of this file. */
const COLLECT_FUNCTION = `
const events = context.get('events') || {};
const key = msg._msgid;
const list = events[key] || [];
const entry = {
  payload: msg.payload,
  statusCode: msg.statusCode,
  headers: msg.headers,
  parts: msg.parts,
  complete: msg.complete,
  completion: msg.completion,
};
const last = !msg.parts || msg.complete === true ||
  (typeof msg.parts.count === 'number' && list.length + 1 >= msg.parts.count);
if (!last) {
  list.push(entry);
  events[key] = list;
  context.set('events', events);
  return null;
}
delete events[key];
context.set('events', events);
msg.payload = { result: entry, chunks: list };
msg.statusCode = 200;
msg.headers = { 'content-type': 'application/json' };
return msg;
`;

const CATCH_FUNCTION = `
msg.payload = { error: { message: String((msg.error && msg.error.message) || msg.error), source: msg.error && msg.error.source } };
msg.statusCode = 500;
msg.headers = { 'content-type': 'application/json' };
return msg;
`;

export interface CompletionFlowOptions {
  /** Route of the http-in node, without the leading slash; default 'run'. Also prefixes the node ids. */
  route?: string;
  /** Properties of the completion-api config node (merged over sensible defaults). */
  api: Record<string, unknown>;
  /** Credentials of the completion-api node: `{ apiKey, organization, project }`. */
  apiCredentials?: Record<string, unknown>;
  /** Properties of the create-completion node (merged over defaults: model 'demo-instruct', resultFormat 'raw'). */
  node?: Record<string, unknown>;
}

/**
 * A deployable flow `http in (POST /route) → create-completion → collect → http response`
 * (plus catch → answer) on one tab, and the credentials to pass to `deployFlow`.
 */
export function completionFlow(options: CompletionFlowOptions): { flow: object[]; credentials: Record<string, Record<string, unknown>>; ids: Record<string, string> } {
  const route = (options.route ?? 'run').replace(/^\//, '');
  const p = route.replace(/[^a-z0-9]/gi, '_');
  const ids = {
    tab: `${p}_tab`,
    api: `${p}_api`,
    httpIn: `${p}_in`,
    completion: `${p}_cc`,
    collect: `${p}_collect`,
    response: `${p}_out`,
    catcher: `${p}_catch`,
    catchAnswer: `${p}_catch_answer`,
  };
  const flow: object[] = [
    { id: ids.tab, type: 'tab', label: `test ${route}`, disabled: false, info: '' },
    {
      id: ids.api,
      type: 'completion-api',
      name: `test api ${route}`,
      baseUrl: '',
      timeout: '120',
      maxRetries: '2',
      maxInFlight: '4',
      maxQueue: '10000',
      maxResponseMB: '16',
      ...options.api,
    },
    {
      id: ids.httpIn, type: 'http in', z: ids.tab, name: '', url: `/${route}`, method: 'post',
      upload: false, swaggerDoc: '', x: 120, y: 100, wires: [[ids.completion]],
    },
    {
      id: ids.completion,
      type: 'create-completion',
      z: ids.tab,
      name: '',
      api: ids.api,
      model: 'demo-instruct',
      prompt: '',
      promptType: 'str',
      resultFormat: 'raw',
      x: 320,
      y: 100,
      ...options.node,
      wires: [[ids.collect], []],
    },
    {
      id: ids.collect, type: 'function', z: ids.tab, name: 'collect', func: COLLECT_FUNCTION, outputs: 1,
      timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 520, y: 100, wires: [[ids.response]],
    },
    { id: ids.response, type: 'http response', z: ids.tab, name: '', statusCode: '', headers: {}, x: 700, y: 100, wires: [] },
    { id: ids.catcher, type: 'catch', z: ids.tab, name: '', scope: null, uncaught: false, x: 120, y: 200, wires: [[ids.catchAnswer]] },
    {
      id: ids.catchAnswer, type: 'function', z: ids.tab, name: 'answer error', func: CATCH_FUNCTION, outputs: 1,
      timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 320, y: 200, wires: [[ids.response]],
    },
  ];
  const credentials = options.apiCredentials ? { [ids.api]: options.apiCredentials } : {};
  return { flow, credentials, ids };
}
