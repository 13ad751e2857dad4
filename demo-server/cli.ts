// Runs the local OpenAI-compatible demo completion server (a deterministic stand-in, not a
// model) until SIGINT/SIGTERM.
//   DEMO_SERVER_PORT, or PORT   port to listen on, on 127.0.0.1 (default 8089: the demo
//                   address npm start, the demo flow and every example use)
//   TOKEN_DELAY_MS  delay between streamed events (default 0)
//   REQUIRE_API_KEY when set, requests must carry this key (Authorization: Bearer ... or api-key)
//   DIALECT         which server to pass for (default openai): one of DIALECTS in dialects.ts
//   CONTEXT_LENGTH  the context window in tokens (default: the dialect's)

import { startCompletionServer } from './completion-server';
import { DIALECTS, isDialect } from './dialects';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, got "${raw}"`);
  return value;
}

export async function main(): Promise<void> {
  const port = numberFromEnv('DEMO_SERVER_PORT', numberFromEnv('PORT', 8089));
  const tokenDelayMs = numberFromEnv('TOKEN_DELAY_MS', 0);
  const requireApiKey = process.env.REQUIRE_API_KEY || undefined;
  const dialect = process.env.DIALECT || 'openai';
  if (!isDialect(dialect)) throw new Error(`DIALECT must be one of ${DIALECTS.join(', ')}, got "${dialect}"`);
  const contextLength = process.env.CONTEXT_LENGTH ? numberFromEnv('CONTEXT_LENGTH', 0) : undefined;
  const server = await startCompletionServer({ port, host: '127.0.0.1', tokenDelayMs, requireApiKey, record: false, dialect, contextLength });
  console.log(`demo completion server on ${server.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`demo completion server failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
