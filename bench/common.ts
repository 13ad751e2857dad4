import path from 'node:path';

/** The package root this build belongs to (dist/bench/ → ../..). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Sent by every client; the demo server does not check it, but the node's secret scrubbing is then active, as for a real user. */
export const BENCH_API_KEY = 'sk-bench-0123456789abcdef';

/** The one request of the throughput scenarios. */
export const REQUEST = { model: 'demo-instruct', prompt: 'Say this is a test', max_tokens: 8 } as const;

export const okBody = (body: unknown): boolean => Array.isArray((body as { choices?: unknown } | null)?.choices);
