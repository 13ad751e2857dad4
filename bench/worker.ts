/**
 * One benchmark scenario in a fresh process (so CPU time, heap and JIT state belong
 * to that scenario alone): `node --expose-gc dist/bench/worker.js <scenario> '<json args>'`.
 * Prints one line `BENCH_RESULT <json>` and exits.
 */
import type { LoopOptions } from './loop';

export interface WorkerArgs {
  baseUrl: string;
  loop?: LoopOptions;
  concurrency?: number;
  iterations?: number;
  latencyEvents?: number;
  longTokens?: number;
  queueCount?: number;
  soakCount?: number;
  warmupMs?: number;
}

// Each scenario loads only what it uses (the client scenarios never load Node-RED).
const clients = () => require('./scenarios/clients') as typeof import('./scenarios/clients');
const flows = () => require('./scenarios/flows') as typeof import('./scenarios/flows');
const memory = () => require('./scenarios/memory') as typeof import('./scenarios/memory');

async function run(scenario: string, args: WorkerArgs): Promise<unknown> {
  switch (scenario) {
    case 'http':
      return clients().bareHttp(args.baseUrl, args.loop!);
    case 'bare':
      return clients().bareAxios(args.baseUrl, args.loop!);
    case 'sdk':
      return clients().openaiSdk(args.baseUrl, args.loop!);
    case 'node':
      return flows().createCompletionFlow(args.baseUrl, args.loop!, args.concurrency!);
    case 'httpreq':
      return flows().httpRequestFlow(args.baseUrl, args.loop!);
    case 'own-cost':
      return (require('./scenarios/own-cost') as typeof import('./scenarios/own-cost')).ownCost(args.baseUrl, args.iterations!);
    case 'streaming':
      return (require('./scenarios/streaming') as typeof import('./scenarios/streaming')).streaming(args.baseUrl, args.latencyEvents!, args.longTokens!);
    case 'queue':
      return memory().queuedHeap(args.queueCount!);
    case 'soak':
      return memory().soak(args.baseUrl, args.soakCount!, args.warmupMs!);
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

if (require.main === module) {
  const [scenario, json] = process.argv.slice(2);
  run(scenario, JSON.parse(json ?? '{}') as WorkerArgs).then(
    (result) => {
      process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      console.error(`scenario ${scenario} failed:`, error);
      process.exit(1);
    },
  );
}
