/**
 * Where the benchmark meets the flow: `bench-source` nodes register here so the
 * benchmark can send messages from them (as an upstream node would), and every
 * `bench-sink` node hands what it receives to `onSink`.
 */
export interface SourceNode {
  id: string;
  send(msg: Record<string, unknown>): void;
}

export interface ProbeHub {
  sources: Map<string, SourceNode>;
  onSink: (sinkId: string, msg: Record<string, any>) => void;
}

const KEY = '__createCompletionBenchHub';

export function probeHub(): ProbeHub {
  const g = globalThis as unknown as Record<string, ProbeHub | undefined>;
  let hub = g[KEY];
  if (!hub) {
    hub = { sources: new Map(), onSink: () => {} };
    g[KEY] = hub;
  }
  return hub;
}
