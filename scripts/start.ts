/**
 * `npm start`: Node-RED from the project's dev dependencies, with this package
 * loaded from the working tree and a demo flow deployed. Without OPENAI_API_KEY it
 * talks to the project's local demo server (a deterministic stand-in, not a model).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import RED from 'node-red';
import { startCompletionServer } from '../demo-server/completion-server';
import { demoFlow } from './demo-flow';

const root = path.resolve(__dirname, '..', '..');
const userDir = path.join(root, '.node-red-demo');
const port = Number(process.env.PORT ?? 1880);
const host = process.env.HOST ?? '127.0.0.1';

/** Node-RED loads modules from <userDir>/node_modules: link the working tree in. */
function linkWorkingTree(): void {
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, 'node-red-contrib-create-completion');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-demo', private: true }, null, 2));
}

async function main(): Promise<void> {
  const apiKey = process.env.OPENAI_API_KEY;
  let baseUrl: string;
  let model: string;
  let connectionName: string;
  let closeDemoServer: (() => Promise<void>) | undefined;
  if (apiKey) {
    baseUrl = process.env.COMPLETION_BASE_URL ?? 'https://api.openai.com/v1';
    model = process.env.COMPLETION_MODEL ?? 'gpt-3.5-turbo-instruct';
    connectionName = 'OpenAI';
  } else {
    const demo = await startCompletionServer({ port: Number(process.env.DEMO_SERVER_PORT ?? 0), tokenDelayMs: 40, record: false });
    closeDemoServer = () => demo.close();
    baseUrl = demo.url;
    model = 'demo-instruct';
    connectionName = 'local demo server';
    console.log(`demo completion server (a deterministic stand-in, not a language model) on ${demo.url}`);
  }

  fs.rmSync(userDir, { recursive: true, force: true });
  linkWorkingTree();

  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'create-completion-demo',
    uiPort: port,
    uiHost: host,
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  } as Parameters<typeof RED.init>[1]);
  app.use('/', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  await RED.start();
  // setFlows resolves before the new flows run; the demo is ready when they have started.
  const started = new Promise<void>((resolve) => {
    const onStarted = (event: { config?: { flows?: { id?: string }[] } }) => {
      if (!event?.config?.flows?.some((n) => n.id === 'demo-api')) return;
      RED.events.off('flows:started', onStarted);
      resolve();
    };
    RED.events.on('flows:started', onStarted);
  });
  await (RED.runtime as unknown as { flows: { setFlows(opts: object): Promise<unknown> } }).flows.setFlows({
    flows: { flows: demoFlow(baseUrl, model, connectionName), credentials: apiKey ? { 'demo-api': { apiKey } } : {} },
    deploymentType: 'full',
  });
  await started;
  console.log(`Node-RED with node-red-contrib-create-completion on http://${host}:${port}/ (demo flow deployed)`);

  const stop = async () => {
    await RED.stop();
    server.close();
    await closeDemoServer?.();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
