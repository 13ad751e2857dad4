import { startCompletionServer, type CompletionServer, type ServerOptions } from '../../demo-server/completion-server';
import type { FlowHarness } from './flow-harness';

export interface DemoServerSuite {
  /** The suite's demo server, cleared of its requests and script before each test. */
  readonly server: CompletionServer;
  /** The flow a test loaded; unloaded after each test. */
  flow: FlowHarness | undefined;
}

/**
 * Registers the hooks every suite of node tests against the demo server needs: one
 * server for the suite, reset before each test, and the test's flow unloaded after it.
 */
export function useDemoServer(options: ServerOptions = {}): DemoServerSuite {
  let server: CompletionServer | undefined;
  const suite = {
    get server(): CompletionServer {
      if (!server) throw new Error('the demo server starts in the suite\'s before hook');
      return server;
    },
    flow: undefined as FlowHarness | undefined,
  };
  before(async () => {
    server = await startCompletionServer(options);
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => server?.reset());
  afterEach(async () => {
    await suite.flow?.unload();
    suite.flow = undefined;
  });
  return suite;
}
