import { readBody } from '../http/read-body';
import type { Transport } from '../http/transport';
import type { ServerProfile } from '../servers/profiles';
import type { CancelSignal } from '../errors/cancellation';

const ANSWER_MAX_BYTES = 4 * 2 ** 20;
/** A server's context length changes only when it is restarted: asked again after this long. */
const KEEP_MS = 10 * 60_000;

/**
 * The context lengths of the models OpenAI and Azure still serve on this endpoint
 * (https://platform.openai.com/docs/models, as the models were documented before their
 * shutdown; fine-tunes keep their base model's).
 */
const KNOWN_MODELS: Array<[RegExp, number]> = [
  [/(^|:)gpt-3\.5-turbo-instruct/, 4096],
  [/(^|:)davinci-002/, 16384],
  [/(^|:)babbage-002/, 16384],
];

/**
 * How many tokens a model's context holds, as the server says: llama.cpp's
 * `meta.n_ctx` (per slot) and vLLM's or SGLang's `max_model_len` in `GET /models`, TGI's
 * `max_total_tokens` in `GET /info`, OpenRouter's `context_length`, or OpenAI's documented
 * lengths. A length set on the connection wins over them all. Kept per model for a while.
 */
export class ContextLengths {
  private readonly known = new Map<string, { length: number | undefined; until: number }>();

  constructor(
    private readonly profile: ServerProfile,
    private readonly transport: Transport,
    private readonly idleTimeoutMs: number,
    private readonly configured?: number,
  ) {}

  /** The length when it is known without asking (configured, or asked lately); `known: false` when it must be asked. */
  now(model: string): { known: boolean; length?: number } {
    if (this.configured) return { known: true, length: this.configured };
    const kept = this.known.get(model);
    return kept && kept.until > Date.now() ? { known: true, length: kept.length } : { known: false };
  }

  async of(model: string, signal: CancelSignal): Promise<number | undefined> {
    if (this.configured) return this.configured;
    const kept = this.known.get(model);
    if (kept && kept.until > Date.now()) return kept.length;
    const length = await this.ask(model, signal).catch(() => undefined);
    this.known.set(model, { length, until: Date.now() + KEEP_MS });
    return length;
  }

  private async ask(model: string, signal: CancelSignal): Promise<number | undefined> {
    switch (this.profile.contextLength) {
      case 'known-models':
        return KNOWN_MODELS.find(([pattern]) => pattern.test(model))?.[1];
      case 'models-meta-n_ctx':
        return numberOf(pick(await this.get('/models', false, signal), model)?.meta, 'n_ctx');
      case 'models-max_model_len':
        return numberOf(pick(await this.get('/models', false, signal), model), 'max_model_len');
      case 'models-context_length':
        return numberOf(pick(await this.get('/models', false, signal), model), 'context_length');
      case 'tgi-info':
        return numberOf(await this.get('/info', true, signal), 'max_total_tokens');
      default:
        return undefined;
    }
  }

  private async get(path: string, fromOrigin: boolean, signal: CancelSignal): Promise<unknown> {
    const response = await this.transport.open({ path, fromOrigin }, undefined, false, signal);
    const raw = await readBody(response.body, { maxBytes: ANSWER_MAX_BYTES, idleMs: this.idleTimeoutMs }, signal);
    if (response.status < 200 || response.status >= 300) return undefined;
    return JSON.parse(raw.toString('utf8'));
  }
}

/** The model's entry of a model list; a server with one model (llama.cpp) answers for it whatever the name. */
function pick(list: unknown, model: string): Record<string, unknown> | undefined {
  const data = (list as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const entries = data.filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
  return entries.find((m) => m.id === model) ?? (entries.length === 1 ? entries[0] : undefined);
}

function numberOf(source: unknown, key: string): number | undefined {
  const value = (source as Record<string, unknown> | null | undefined)?.[key];
  return typeof value === 'number' && value > 0 ? value : undefined;
}
