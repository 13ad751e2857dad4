import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { freePort, repositoryRoot } from '../support/installed-node-red';

interface DebugMessage {
  name?: string;
  msg?: string;
  format?: string;
}

/** `npm start` as a user runs it: Node-RED, the package from the working tree, the demo flow and the demo server. */
describe('npm start: the embedded demo', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let url = '';
  let output = '';
  let socket: WebSocket;
  const debug: DebugMessage[] = [];
  const statuses = new Map<string, { fill?: string; text?: string }>();

  before(async function () {
    this.timeout(60_000);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.OPENAI_API_KEY;
    child = spawn(process.execPath, [path.join(repositoryRoot(), 'dist', 'scripts', 'start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor(() => output.includes('demo flow deployed'), 45_000, () => output);
    socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.on('message', (data) => {
      for (const event of JSON.parse(String(data)) as { topic: string; data: any }[]) {
        if (event.topic === 'debug') debug.push(event.data);
        if (event.topic.startsWith('status/')) statuses.set(event.topic.slice('status/'.length), event.data);
      }
    });
    socket.send(JSON.stringify({ subscribe: 'debug' }));
    socket.send(JSON.stringify({ subscribe: 'status/#' }));
  });

  after(async () => {
    socket?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  const press = async (inject: string) => {
    const answer = await fetch(`${url}/inject/${inject}`, { method: 'POST' });
    assert.equal(answer.status, 200);
  };
  const debugFrom = async (name: string) => {
    await waitFor(() => debug.some((d) => d.name === name), 15_000, () => JSON.stringify(debug.map((d) => d.name)));
    return debug.find((d) => d.name === name)!;
  };

  it('says that it talks to the deterministic demo server, not a model', () => {
    assert.match(output, /demo completion server \(a deterministic stand-in, not a language model\) on http:\/\/127\.0\.0\.1:\d+\/v1/);
  });

  it('deploys the demo flow with its create-completion nodes', async () => {
    const flows = (await (await fetch(`${url}/flows`)).json()) as { type: string }[];
    assert.ok(flows.filter((n) => n.type === 'create-completion').length >= 6);
    assert.ok(flows.some((n) => n.type === 'completion-api'));
  });

  it('answers the prompt-string inject with a Raw Response', async () => {
    await press('demo-inject-basic');
    const shown = await debugFrom('body and status');
    const payload = JSON.parse(shown.msg!);
    assert.equal(payload.status, 200);
    assert.equal(payload.body.object, 'text_completion');
  });

  it('streams into a join that shows the whole text, and the node status says done', async () => {
    await press('demo-inject-stream');
    const joined = await debugFrom('joined text');
    assert.ok(joined.msg!.length > 20);
    assert.ok(debug.filter((d) => d.name === 'each delta').length > 10);
    // Done: the tokens used and their rate; the demo's answer is cut at its max_tokens, which the status says first.
    await waitFor(() => /200 · \d+ tokens/.test(String(statuses.get('demo-stream')?.text)), 5000, () => JSON.stringify(statuses.get('demo-stream')));
    assert.match(String(statuses.get('demo-stream')?.text), /^(cut at max_tokens · )?200 · \d+ tokens · [\d.]+ tok\/s$/);
  });

  it('chains two nodes through the passthrough', async () => {
    await press('demo-inject-chain');
    await debugFrom('first result');
    await debugFrom('second result');
  });

  it('catches the invalid request with every bad field named', async () => {
    await press('demo-inject-invalid');
    const shown = await debugFrom('error');
    const error = JSON.parse(shown.msg!);
    assert.equal(error.code, 'INVALID_REQUEST');
    assert.match(error.message, /temperature/);
    assert.match(error.message, /\bn\b/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
