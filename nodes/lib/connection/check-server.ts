import type { Connection } from './connection';
import { apiErrorOf } from '../errors/errors';
import { readBody } from '../http/read-body';
import { SERVER_KIND_IDS, type ServerKindId } from '../servers/profiles';
import type { CancelSignal } from '../errors/cancellation';

export type CheckId = 'models' | 'plain' | 'usage' | 'stream' | 'logprobs' | 'n' | 'echo' | 'tokens' | 'stop' | 'seed' | 'tokenize' | 'context';

export interface Check {
  id: CheckId;
  /** true: honoured; false: refused or ignored; null: could not tell. */
  ok: boolean | null;
  detail: string;
}

export interface CheckReport {
  kind: ServerKindId;
  /** The kind the answers look like, when they say; null when they do not tell. */
  suggestedKind: ServerKindId | null;
  model: string | null;
  checks: Check[];
}

type Answer = { status: number; body: unknown; events: number; error?: string };

/** Each probe waits at most this long: a local model answers a one-token request in seconds. */
const PROBE_TIMEOUT_MS = 60_000;

const firstChoice = (body: unknown) => ((body as { choices?: unknown } | null)?.choices as Array<Record<string, unknown>> | undefined)?.[0];
const ok2xx = (a: Answer) => a.status >= 200 && a.status < 300 && Array.isArray((a.body as { choices?: unknown } | null)?.choices);
const why = (a: Answer) => a.error ?? (apiErrorOf(a.body)?.message ? `HTTP ${a.status}: ${apiErrorOf(a.body)!.message}` : `HTTP ${a.status}`);

/**
 * Asks a server a handful of one-token requests and says what it honours: its model
 * list, a plain completion, streaming and how a stream ends, usage, the shape of its
 * logprobs, n, echo, token prompts, stop, seed, its tokenizer and its context length.
 * What the answers look like suggests the server kind that fits. The requests go as
 * they are, past the node's own checks, to see what the server itself does.
 */
export async function checkServer(connection: Connection, requestedModel?: string): Promise<CheckReport> {
  const checks: Check[] = [];
  const add = (id: CheckId, ok: boolean | null, detail: string) => checks.push({ id, ok, detail });
  const signal = () => AbortSignal.timeout(PROBE_TIMEOUT_MS);

  let listed: unknown;
  let models: string[] = [];
  try {
    listed = await rawModels(connection, signal());
    models = await connection.listModels(signal());
    add('models', models.length > 0, models.length > 0 ? `${models.length} listed: ${models.slice(0, 5).join(', ')}${models.length > 5 ? ', …' : ''}` : 'the list is empty');
  } catch (error) {
    add('models', false, (error as Error).message);
  }
  const model = requestedModel || models[0] || '';
  const ask = async (request: Record<string, unknown>): Promise<Answer> => {
    try {
      const response = await connection.complete({ model, ...request }, JSON.stringify({ model, ...request }), { signal: signal(), plain: true });
      return { status: response.status, body: response.body, events: response.events };
    } catch (error) {
      return { status: 0, body: undefined, events: 0, error: (error as Error).message };
    }
  };

  const plain = await ask({ prompt: 'Hello', max_tokens: 1 });
  add('plain', ok2xx(plain), ok2xx(plain) ? `HTTP ${plain.status}, finish_reason ${String(firstChoice(plain.body)?.finish_reason)}` : why(plain));
  const usage = (plain.body as { usage?: { total_tokens?: unknown } } | null)?.usage;
  add('usage', ok2xx(plain) ? typeof usage?.total_tokens === 'number' && usage.total_tokens > 0 : null,
    typeof usage?.total_tokens === 'number' ? `${usage.total_tokens} tokens reported` : 'no usage in the answer');

  const stream = await ask({ prompt: 'Hello', max_tokens: 2, stream: true });
  add('stream', stream.events > 0 && !stream.error, stream.error ?? (stream.events > 0 ? `${stream.events} events, ended as a stream should` : 'answered without streaming'));

  const logprobs = await ask({ prompt: 'Hello', max_tokens: 1, logprobs: 2 });
  const shape = firstChoice(logprobs.body)?.logprobs as { content?: unknown; tokens?: unknown } | null | undefined;
  add('logprobs', ok2xx(logprobs) ? Boolean(shape) : false,
    !ok2xx(logprobs) ? why(logprobs) : !shape ? 'none returned' : shape.content ? 'returned in the chat shape (converted to the classic one)' : 'returned in the classic shape');

  const n = await ask({ prompt: 'Hello', max_tokens: 1, n: 2 });
  const choices = ((n.body as { choices?: unknown[] } | null)?.choices ?? []).length;
  add('n', ok2xx(n) ? choices === 2 : false, ok2xx(n) ? `${choices} choice${choices === 1 ? '' : 's'} for n: 2` : why(n));

  const echo = await ask({ prompt: 'Echo me', max_tokens: 1, echo: true });
  const echoed = String(firstChoice(echo.body)?.text ?? '').startsWith('Echo me');
  add('echo', ok2xx(echo) ? echoed : false, ok2xx(echo) ? (echoed ? 'the prompt comes back' : 'accepted, but the prompt does not come back') : why(echo));

  const tokens = await ask({ prompt: [1, 2, 3], max_tokens: 1 });
  add('tokens', ok2xx(tokens), ok2xx(tokens) ? 'a prompt of token ids is answered' : why(tokens));

  const stop = await ask({ prompt: 'one, two, three, four, five,', max_tokens: 8, stop: [','] });
  const stopText = String(firstChoice(stop.body)?.text ?? '');
  // Only an answer that ended at the stop string tells: one cut at max_tokens may simply not have reached it.
  const stopReason = String(firstChoice(stop.body)?.finish_reason);
  const stopVerdict = stopText.includes(',') ? false : stopReason === 'stop' ? true : null;
  add('stop', ok2xx(stop) ? stopVerdict : false, ok2xx(stop) ? `finish_reason ${stopReason}${stopVerdict === false ? ', but the stop string is in the text' : stopVerdict === null ? ': the answer did not reach a stop string' : ''}` : why(stop));

  const seeded = [await ask({ prompt: 'Hello', max_tokens: 4, temperature: 1, seed: 42 }), await ask({ prompt: 'Hello', max_tokens: 4, temperature: 1, seed: 42 })];
  const same = seeded.every(ok2xx) && firstChoice(seeded[0].body)?.text === firstChoice(seeded[1].body)?.text;
  add('seed', seeded.every(ok2xx) ? same : false, seeded.every(ok2xx) ? (same ? 'the same seed gives the same text' : 'the same seed gave different texts') : why(seeded.find((a) => !ok2xx(a))!));

  if (connection.tokens.available) {
    try {
      const ids = await connection.tokens.tokenIds('Hello world', model, signal());
      add('tokenize', ids.length > 0, `"Hello world" is ${ids.length} tokens (${connection.tokens.method})`);
    } catch (error) {
      add('tokenize', false, (error as Error).message);
    }
  } else {
    add('tokenize', null, `${connection.settings.kind.label} has no endpoint that counts tokens`);
  }
  const context = await connection.contexts.of(model, signal()).catch(() => undefined);
  add('context', context ? true : null, context ? `${context} tokens` : 'the server does not say');

  return { kind: connection.settings.kind.id, suggestedKind: suggestKind(listed, plain.body), model: model || null, checks };
}

async function rawModels(connection: Connection, signal: CancelSignal): Promise<unknown> {
  const response = await connection.transport.open(connection.settings.kind.modelsPath(connection.settings.apiVersion), undefined, false, signal);
  const raw = await readBody(response.body, { maxBytes: 4 * 2 ** 20, idleMs: connection.settings.idleTimeoutMs }, signal);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What the answers tell of the software behind them (each sign is one the server's own answers carry). */
function suggestKind(models: unknown, completion: unknown): ServerKindId | null {
  const data = (models as { data?: Array<Record<string, unknown>> } | null)?.data;
  const first = Array.isArray(data) ? data[0] : undefined;
  const owner = first?.owned_by;
  if (first?.meta !== undefined || owner === 'llamacpp' || (completion as { timings?: unknown } | null)?.timings !== undefined) return 'llamacpp';
  if ((completion as { system_fingerprint?: unknown } | null)?.system_fingerprint === 'fp_ollama') return 'ollama';
  if (owner === 'vllm') return 'vllm';
  if (owner === 'sglang') return 'sglang';
  if (first?.context_length !== undefined && first?.pricing !== undefined) return 'openrouter';
  if (owner === 'organization_owner') return 'lmstudio';
  const guess = typeof owner === 'string' ? (SERVER_KIND_IDS as readonly string[]).find((id) => id === owner) : undefined;
  return (guess as ServerKindId | undefined) ?? null;
}
