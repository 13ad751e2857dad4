/**
 * One benchmark scenario in a fresh process (so CPU time, heap and JIT state belong
 * to that scenario alone): `node --expose-gc dist/bench/worker.js <scenario> '<json args>'`.
 * Prints one line `BENCH_RESULT <json>` and exits.
 */
import type { LoopOptions } from './loop';
import type { ThroughputOptions } from './scenarios/throughput';
import type { StreamingOptions } from './scenarios/streaming';
import type { TokensOptions } from './scenarios/tokens';

export interface WorkerArgs {
  baseUrl: string;
  benchUrl?: string;
  iterations?: number;
  queueCount?: number;
  promptBytes?: number;
  soakCount?: number;
  warmupMs?: number;
  lineSizes?: number[];
  loop?: LoopOptions;
  throughput?: ThroughputOptions;
  streaming?: StreamingOptions;
  tokens?: TokensOptions;
}

// Each scenario loads only what it uses.
const memory = () => require('./scenarios/memory') as typeof import('./scenarios/memory');

async function run(scenario: string, args: WorkerArgs): Promise<unknown> {
  switch (scenario) {
    case 'throughput':
      return (require('./scenarios/throughput') as typeof import('./scenarios/throughput')).throughput(args.baseUrl, args.throughput!);
    case 'own-cost':
      return (require('./scenarios/own-cost') as typeof import('./scenarios/own-cost')).ownCost(args.baseUrl, args.iterations!);
    case 'streaming':
      return (require('./scenarios/streaming') as typeof import('./scenarios/streaming')).streaming(args.streaming!);
    case 'tokens':
      return (require('./scenarios/tokens') as typeof import('./scenarios/tokens')).tokens(args.tokens!);
    case 'queue':
      return memory().queuedHeap(`${args.benchUrl}/hang/v1`, args.queueCount!, args.promptBytes!);
    case 'settle':
      return memory().settleQueue(`${args.benchUrl}/hang/v1`);
    case 'long-line':
      return memory().longLines(args.benchUrl!, args.lineSizes!);
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
