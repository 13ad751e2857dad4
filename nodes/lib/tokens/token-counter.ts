import { CompletionError } from '../errors/errors';
import { readBody } from '../http/read-body';
import { promptPieces, promptsOf } from '../request/prompts';
import type { Target, Transport } from '../http/transport';
import type { ServerProfile } from '../servers/profiles';
import { openaiTokenIds } from './openai-encoding';
import type { CancelSignal } from '../errors/cancellation';

const TOKENIZE_MAX_BYTES = 16 * 2 ** 20;
/** What the cache of counted texts may hold: entries, and characters of text in all. */
const CACHE_ENTRIES = 2000;
const CACHE_CHARS = 8 * 2 ** 20;

/**
 * Who counts a server's tokens: OpenAI's and Azure's models use OpenAI's encoding, which
 * the node has; other servers count with their own tokenize endpoint, if they have one.
 */
export function tokenCountingOf(profile: ServerProfile): 'encoding' | 'server' | null {
  if (profile.family === 'legacy') return 'encoding';
  return profile.tokenize ? 'server' : null;
}

/**
 * Counts tokens the way the connection's server does: OpenAI's encoding for OpenAI and
 * Azure, the server's own tokenize endpoint for servers that have one (llama.cpp,
 * vLLM, LocalAI, TGI; profiles.ts), nothing for those that have none (Ollama, LM
 * Studio, …): it says so rather than guess. Texts already counted are kept, per model,
 * in a cache bounded by entries and characters.
 */
export class TokenCounter {
  private readonly cache = new Map<string, number[]>();
  private cachedChars = 0;

  constructor(
    private readonly profile: ServerProfile,
    private readonly transport: Transport,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Whether this server's tokens can be counted at all. */
  get available(): boolean {
    return tokenCountingOf(this.profile) !== null;
  }

  /** How the tokens are counted, for messages and the Check report. */
  get method(): string {
    if (tokenCountingOf(this.profile) === 'encoding') return 'OpenAI cl100k_base';
    return this.profile.tokenize ? `the server's ${this.profile.tokenize.fromOrigin ? '' : '…/v1'}${this.profile.tokenize.path}` : 'none';
  }

  /**
   * The token ids of a text for a model. `asPrompt`: with the special tokens the server
   * puts before a prompt (llama.cpp's BOS), so the count matches its usage; otherwise the
   * text's own tokens (a generated answer, a logit bias by text).
   */
  async tokenIds(text: string, model: string, signal: CancelSignal, asPrompt = false): Promise<number[]> {
    const key = cacheKey(text, model, asPrompt);
    const hit = this.cached(key);
    if (hit) return hit;
    const ids = tokenCountingOf(this.profile) === 'encoding' ? await openaiTokenIds(text) : await this.askServer(text, model, signal, asPrompt);
    this.remember(key, text.length, ids);
    return ids;
  }

  private cached(key: string): number[] | undefined {
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh: the map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, hit);
    }
    return hit;
  }

  /**
   * Tokens per prompt, when every text of the prompt is already counted (or it is made
   * of token ids): no wait at all. Undefined when something is still to count, or cannot be.
   */
  countedNow(prompt: unknown, model: string): number[] | undefined {
    const counts: number[] = [];
    for (const one of promptsOf(prompt)) {
      const pieces = promptPieces(one);
      if (typeof pieces === 'string') return undefined;
      let count = pieces.ids;
      for (const { text, opens } of pieces.texts) {
        const hit = this.cached(cacheKey(text, model, opens));
        if (!hit) return undefined;
        count += hit.length;
      }
      counts.push(count);
    }
    return counts;
  }

  /**
   * Tokens per prompt of a request's prompt, in any form its server takes: texts are counted
   * (the one that opens a prompt with the tokens a prompt starts with), token ids count as
   * they are. A prompt the node cannot count (media) fails with the reason.
   */
  async countPrompts(prompt: unknown, model: string, signal: CancelSignal): Promise<number[]> {
    const counts: number[] = [];
    for (const one of promptsOf(prompt)) {
      const pieces = promptPieces(one);
      if (typeof pieces === 'string') throw new Error(`cannot count the tokens of ${pieces}`);
      let count = pieces.ids;
      for (const { text, opens } of pieces.texts) count += (await this.tokenIds(text, model, signal, opens)).length;
      counts.push(count);
    }
    return counts;
  }

  private remember(key: string, chars: number, ids: number[]): void {
    if (chars > CACHE_CHARS / 4) return;
    this.cache.set(key, ids);
    this.cachedChars += chars;
    for (const [oldest] of this.cache) {
      if (this.cache.size <= CACHE_ENTRIES && this.cachedChars <= CACHE_CHARS) break;
      this.cache.delete(oldest);
      this.cachedChars -= oldest.length - oldest.indexOf('\u0000') - 1;
    }
  }

  private async askServer(text: string, model: string, signal: CancelSignal, asPrompt: boolean): Promise<number[]> {
    const endpoint = this.profile.tokenize;
    if (!endpoint) throw new CompletionError('INVALID_REQUEST', `${this.profile.label} has no endpoint that counts tokens`);
    const target: Target = { path: endpoint.path, fromOrigin: endpoint.fromOrigin };
    const response = await this.transport.open(target, JSON.stringify(tokenizeBody(endpoint.shape, text, model, asPrompt)), false, signal);
    const raw = await readBody(response.body, { maxBytes: TOKENIZE_MAX_BYTES, idleMs: this.idleTimeoutMs }, signal);
    if (response.status < 200 || response.status >= 300) {
      throw new CompletionError('HTTP_ERROR', `HTTP ${response.status} from ${endpoint.path} while counting tokens`, { status: response.status });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CompletionError('BAD_RESPONSE', `${endpoint.path} did not answer JSON`);
    }
    const ids = tokenIdsOf(endpoint.shape, body);
    if (!ids) throw new CompletionError('BAD_RESPONSE', `${endpoint.path} answered without token ids`);
    return ids;
  }
}

/** A counted text's place in the cache: with a prompt's special tokens (`p`) or without (`t`), per model. */
function cacheKey(text: string, model: string, asPrompt: boolean): string {
  return `${asPrompt ? 'p' : 't'}${model}\u0000${text}`;
}

/** The request each server's tokenize endpoint reads; for a prompt, special tokens added as the completion adds them, so counts match its usage. */
function tokenizeBody(shape: 'llamacpp' | 'vllm' | 'localai' | 'tgi', text: string, model: string, asPrompt: boolean): unknown {
  switch (shape) {
    // tools/server/server-context.cpp@001d906a post_tokenize: add_special defaults to false, the completion adds BOS.
    case 'llamacpp': return { content: text, add_special: asPrompt };
    // vllm/entrypoints/serve/tokenize/protocol.py@030ea52e
    case 'vllm': return { model, prompt: text, add_special_tokens: asPrompt };
    // core/schema/tokenize.go (LocalAI v4.9.0)
    case 'localai': return { model, content: text };
    // router/src/server.rs:1300-1322 (TGI v3.3.7): a GenerateRequest
    case 'tgi': return { inputs: text };
  }
}

function tokenIdsOf(shape: 'llamacpp' | 'vllm' | 'localai' | 'tgi', body: unknown): number[] | undefined {
  const list = shape === 'tgi' ? body : (body as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) return undefined;
  // llama.cpp with_pieces and TGI answer objects with an id.
  const ids = list.map((t) => (typeof t === 'number' ? t : (t as { id?: unknown } | null)?.id));
  return ids.every((id): id is number => typeof id === 'number') ? ids : undefined;
}
