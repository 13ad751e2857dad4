import type { AgentOptions } from 'node:https';
import { accountingOf, type Accounting } from '../accounting/accounting';
import { Budget, type Spend } from '../accounting/budget';
import { reportedUsage } from '../accounting/usage';
import { abortError, CompletionError } from '../errors/errors';
import { scrubText } from '../errors/scrub';
import { attempt, type CompletionResponse, type OnEvent } from '../http/attempt';
import { readBody } from '../http/read-body';
import { decide } from '../http/retry-policy';
import { Transport } from '../http/transport';
import { choicesPerPrompt, expectedChoices, promptsOf } from '../request/prompts';
import { contextProblems, generationLimit } from '../tokens/context-guard';
import { ContextLengths } from '../tokens/context-length';
import { TokenCounter } from '../tokens/token-counter';
import { Limiter } from './limiter';
import { ResponseCache } from './response-cache';
import { connectionSettings, type ConnectionConfig, type ConnectionCredentials, type ConnectionSettings } from './settings';
import type { CancelSignal } from '../errors/cancellation';

export type { CompletionResponse } from '../http/attempt';

/** An answer, with what it cost and how long it took. */
export type Completed = CompletionResponse & { accounting: Accounting };

export interface CompleteOptions {
  signal: CancelSignal;
  /** The request must wait for a free slot. */
  onQueued?(): void;
  /** The request got its slot and is about to be sent. */
  onStart?(): void;
  /** A retry is about to wait `delayMs`; `reason` says what failed. */
  onRetry?(retry: number, reason: string, delayMs: number): void;
  onEvent?: OnEvent;
  /** Sent as it is, with no cache, context guard or budget in between: the connection's Check. */
  plain?: boolean;
}

const MODEL_LIST_MAX_BYTES = 4 * 2 ** 20;

/**
 * Everything the nodes using one `completion-api` share: its settings, one HTTP
 * client with keep-alive sockets, and the limit on requests in flight. It completes
 * requests: through the limit and its queue, the retries, and the transport.
 */
export class Connection {
  readonly transport: Transport;
  private readonly limiter: Limiter;
  /** Strings that must never leave the node in any text. */
  readonly secrets: string[];
  readonly tokens: TokenCounter;
  readonly contexts: ContextLengths;
  readonly budget: Budget;
  private readonly cache?: ResponseCache;

  /** `proxyEnv`: proxy variables that replace the process environment's (a Node-RED http proxy node). */
  constructor(readonly settings: ConnectionSettings, tls: AgentOptions = {}, proxyEnv?: NodeJS.ProcessEnv) {
    this.transport = new Transport(settings, tls, proxyEnv);
    this.limiter = new Limiter(settings.maxInFlight, settings.maxQueue, settings.maxQueueBytes);
    this.secrets = settings.secrets;
    const { profile } = settings.kind;
    this.tokens = new TokenCounter(profile, this.transport, settings.idleTimeoutMs);
    this.contexts = new ContextLengths(profile, this.transport, settings.idleTimeoutMs, settings.contextLength);
    this.budget = new Budget(settings.budget);
    if (settings.cache) this.cache = new ResponseCache(settings.cache);
  }

  static fromConfig(config: ConnectionConfig, credentials: ConnectionCredentials | undefined, tls?: AgentOptions, proxyEnv?: NodeJS.ProcessEnv): Connection {
    return new Connection(connectionSettings(config, credentials ?? {}), tls, proxyEnv);
  }

  /**
   * Sends a built request and returns the server's answer with what it cost, after any
   * retries (one policy, retry-policy.ts). Before anything is sent: the cache (an equal
   * deterministic request answered before), the context guard (a prompt that cannot fit),
   * the budget. A request that must wait for a slot lets go of its body and is weighed by
   * it against the queue's limit in bytes, so waiting messages cannot fill the memory.
   */
  complete(request: Record<string, unknown>, body: string, options: CompleteOptions): Promise<Completed> {
    // The body goes in a holder the waiting request can empty: an async function keeps
    // its parameters for as long as it runs, which would keep every waiting body.
    return this.completeHeld(request, { body }, options);
  }

  private async completeHeld(request: Record<string, unknown>, held: { body?: string }, options: CompleteOptions): Promise<Completed> {
    const startedAt = Date.now();
    const streamed = request.stream === true;
    const cacheKey = this.cache && !options.plain && ResponseCache.cacheable(request) ? ResponseCache.keyOf(request) : undefined;
    const hit = cacheKey !== undefined ? this.cache!.get(cacheKey) : undefined;
    if (hit) return Object.assign(hit, { accounting: accountingOf(hit, { startedAt, slotAt: startedAt, streamed, cached: true }) });

    let promptTokens: number[] | undefined;
    let settle: ((actual: Spend | undefined) => void) | undefined;
    let response: CompletionResponse;
    let slotAt = startedAt;
    let ready: string | undefined = held.body;
    let weight = 0;
    let contextLength: number | undefined;
    if (this.limiter.full) {
      weight = held.body?.length ?? 0;
      ready = undefined;
      held.body = undefined;
      options.onQueued?.();
    }
    // A free slot is taken at once; only a request that must wait waits a turn.
    const waiting = this.limiter.enter(options.signal, weight);
    if (waiting) await waiting;
    // Counting asks the server too: it happens within the request's slot, so the limit
    // on requests in flight holds for it as well.
    try {
      slotAt = Date.now();
      options.onStart?.();
      if (!options.plain) {
        // Counted and known already (the usual case for a repeated prompt): no wait.
        const counted = this.checkContextNow(request);
        promptTokens = counted === STILL_TO_COUNT ? await this.checkContext(request, options.signal) : counted;
        if (this.budget.active) {
          contextLength = await this.contextForEstimate(request, options.signal);
          settle = this.budget.reserve(this.estimate(request, promptTokens, contextLength));
        }
      }
      const text = ready ?? JSON.stringify(request);
      ready = undefined;
      response = await this.tryUntilDone(request, text, options);
    } catch (error) {
      settle?.(undefined);
      throw error;
    } finally {
      this.limiter.leave();
    }
    const { profile } = this.settings.kind;
    const answered = response.status >= 200 && response.status < 300;
    // llama.cpp's usage of a non-streamed answer covers its first task only: the node counts them all.
    const firstTaskOnly = answered && profile.usage.firstTaskOnly === true && response.events === 0 && expectedChoices(request) > 1;
    if (firstTaskOnly && !promptTokens) promptTokens = await this.countPromptsIfPossible(request, options.signal);
    const accounting = accountingOf(response, {
      startedAt, slotAt, streamed, prices: this.settings.prices, promptTokens,
      completionTokens: this.answerNeedsCounting(response, promptTokens, firstTaskOnly) ? await this.countAnswer(response, request, promptTokens, options.signal) : undefined,
      firstTaskOnly, zeroUnlessStreamed: profile.usage.zeroUnlessStreamed,
    });
    // A refused request generated nothing: its reservation goes back whole.
    settle?.(answered ? { tokens: accounting.usage?.total_tokens ?? this.estimate(request, promptTokens, contextLength).tokens, cost: accounting.cost?.total ?? 0 } : { tokens: 0, cost: 0 });
    if (cacheKey !== undefined) this.cache!.put(cacheKey, response);
    // After the cache took its copy: the accounting is this message's alone.
    return Object.assign(response, { accounting });
  }

  /**
   * checkContext without waiting, where everything it needs is known: the prompt's
   * counts in the token cache and the model's context length. STILL_TO_COUNT otherwise.
   */
  private checkContextNow(request: Record<string, unknown>): number[] | undefined | typeof STILL_TO_COUNT {
    const needed = (this.settings.contextGuard || this.budget.active) && this.tokens.available;
    if (!needed) return undefined;
    const model = modelOf(request);
    const counts = this.tokens.countedNow(request.prompt, model);
    if (!counts) return STILL_TO_COUNT;
    if (this.settings.contextGuard) {
      const context = this.contexts.now(model);
      if (!context.known) return STILL_TO_COUNT;
      this.guard(counts, request, context.length);
    }
    return counts;
  }

  private guard(counts: number[], request: Record<string, unknown>, length: number | undefined): void {
    const problems = length ? contextProblems(counts, generationLimit(request, this.settings.kind.profile), length) : [];
    if (problems.length > 0) {
      throw new CompletionError('INVALID_REQUEST', `invalid request: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`, { fields: problems });
    }
  }

  /**
   * The prompt's tokens, counted where a guard or a budget needs them and the server can
   * count; a prompt that with max_tokens cannot fit the model's context fails here,
   * naming both numbers. Counting that fails lets the request go on, and the server then
   * has the last word: the server cannot say, or the prompt has media whose tokens only the
   * server knows (MEDIA_NOT_COUNTED).
   */
  private async checkContext(request: Record<string, unknown>, signal: CancelSignal): Promise<number[] | undefined> {
    const needed = (this.settings.contextGuard || this.budget.active) && this.tokens.available;
    if (!needed) return undefined;
    const model = modelOf(request);
    let counts: number[];
    try {
      counts = await this.tokens.countPrompts(request.prompt, model, signal);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      return undefined;
    }
    if (this.settings.contextGuard) this.guard(counts, request, await this.contexts.of(model, signal));
    return counts;
  }

  /** The model's context length, where the request may generate until it is full and the budget must know how far that is. */
  private contextForEstimate(request: Record<string, unknown>, signal: CancelSignal): Promise<number | undefined> | undefined {
    if (generationLimit(request, this.settings.kind.profile) !== 'context') return undefined;
    const model = modelOf(request);
    const known = this.contexts.now(model);
    return known.known ? Promise.resolve(known.length) : this.contexts.of(model, signal);
  }

  /**
   * What a request may spend at most: its prompt and, for every choice, the tokens it may
   * generate; generation without a limit, as far as the model's context goes, where it is known.
   */
  private estimate(request: Record<string, unknown>, promptTokens: number[] | undefined, contextLength: number | undefined): Spend {
    const prompt = promptTokens?.reduce((a, b) => a + b, 0) ?? 0;
    const n = choicesPerPrompt(request);
    // Each prompt's tokens; 0 where they are not counted.
    const counts = promptTokens?.length ? promptTokens : promptsOf(request.prompt).map(() => 0);
    if (counts.length === 0) counts.push(0);
    const limit = generationLimit(request, this.settings.kind.profile);
    const generated = (count: number) => (typeof limit === 'object' ? limit.tokens : limit === 'context' && contextLength ? Math.max(0, contextLength - count) : 0);
    const tokens = prompt + n * counts.reduce((sum, count) => sum + generated(count), 0);
    const prices = this.settings.prices;
    const cost = prices ? (prompt * prices.prompt + (tokens - prompt) * prices.completion) / 1e6 : 0;
    return { tokens, cost };
  }

  /** The prompts' tokens after the answer, where nothing needed them before; undefined where the server cannot say. */
  private async countPromptsIfPossible(request: Record<string, unknown>, signal: CancelSignal): Promise<number[] | undefined> {
    if (!this.tokens.available) return undefined;
    try {
      return await this.tokens.countPrompts(request.prompt, modelOf(request), signal);
    } catch {
      return undefined;
    }
  }

  /**
   * Whether countAnswer has anything to do: the server reported no tokens, or only
   * part of them (`partial`), and the node can count them. Asked first, so that most
   * answers wait for nothing.
   */
  private answerNeedsCounting(response: CompletionResponse, promptTokens: number[] | undefined, partial: boolean): promptTokens is number[] {
    const reported = reportedUsage(response.body)?.total_tokens;
    if (typeof reported === 'number' && reported > 0 && !partial) return false;
    return promptTokens !== undefined && this.tokens.available && response.status >= 200 && response.status < 300;
  }

  /** The answer's tokens, counted by the node, once answerNeedsCounting has said it should. */
  private async countAnswer(response: CompletionResponse, request: Record<string, unknown>, promptTokens: number[], signal: CancelSignal): Promise<number | undefined> {
    const choices = (response.body as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return undefined;
    const model = modelOf(request);
    const maxTokens = typeof request.max_tokens === 'number' && request.max_tokens > 0 ? request.max_tokens : undefined;
    // Generation until the context is full (llama.cpp's blank or -1): a choice cut for its
    // length filled the context, which is exact where there is one prompt.
    const fillsContext = maxTokens === undefined && promptTokens.length === 1 && generationLimit(request, this.settings.kind.profile) === 'context';
    const contextLength = fillsContext ? this.contexts.now(model).length : undefined;
    try {
      let total = 0;
      for (const choice of choices as ({ text?: unknown; finish_reason?: unknown; logprobs?: { tokens?: unknown } | null } | null)[]) {
        // Exact counts first: a choice cut at max_tokens generated max_tokens tokens, and
        // one with logprobs lists its tokens. Text generated from random or odd tokens
        // often tokenizes back to another count.
        const listed = choice?.logprobs?.tokens;
        if (choice?.finish_reason === 'length' && maxTokens !== undefined) total += maxTokens;
        else if (choice?.finish_reason === 'length' && contextLength !== undefined) total += Math.max(0, contextLength - promptTokens[0]);
        else if (Array.isArray(listed) && request.echo !== true) total += listed.length;
        else if (typeof choice?.text === 'string' && choice.text !== '') total += (await this.tokens.tokenIds(choice.text, model, signal)).length;
      }
      return total;
    } catch {
      return undefined;
    }
  }

  private async tryUntilDone(request: Record<string, unknown>, body: string, options: CompleteOptions): Promise<CompletionResponse> {
    const { kind, apiVersion } = this.settings;
    const call = {
      path: kind.completionsPath(request.model, apiVersion), body, stream: request.stream === true,
      usagePerChoice: kind.profile.usage.perChoiceWhenStreamed ? choicesPerPrompt(request) : undefined,
    };
    for (let tries = 1; ; tries++) {
      const outcome = await attempt(this.transport, this.settings, call, options.signal, options.onEvent);
      const decision = decide(outcome, tries, this.settings);
      if (!decision.retry) {
        if (outcome.kind === 'failure') {
          outcome.error.cause.attempts = tries;
          throw outcome.error;
        }
        // The answer is this try's own object: it is completed in place, not copied.
        const response = outcome.response!;
        response.attempts = tries;
        return response;
      }
      options.onRetry?.(tries, decision.reason, decision.delayMs);
      await sleep(decision.delayMs, options.signal);
    }
  }

  /** The model ids the server lists at `GET /models`. */
  async listModels(signal: CancelSignal): Promise<string[]> {
    const response = await this.transport.open(this.settings.kind.modelsPath(this.settings.apiVersion), undefined, false, signal);
    const raw = await readBody(response.body, { maxBytes: MODEL_LIST_MAX_BYTES, idleMs: this.settings.idleTimeoutMs }, signal);
    if (response.status < 200 || response.status >= 300) {
      throw new CompletionError('HTTP_ERROR', `HTTP ${response.status} from GET /models`, { status: response.status });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new CompletionError('BAD_RESPONSE', 'GET /models did not answer JSON');
    }
    const data = (body as { data?: unknown; models?: unknown } | null)?.data ?? (body as { models?: unknown } | null)?.models;
    if (!Array.isArray(data)) return [];
    // The editor's user may only read flows: a server that lists the key as a model
    // must not hand it to them.
    return data
      .map((m) => (typeof m === 'string' ? m : (m as { id?: unknown; name?: unknown })?.id ?? (m as { name?: unknown })?.name))
      .filter((id): id is string => typeof id === 'string')
      .map((id) => scrubText(id, this.secrets))
      .sort();
  }

  /**
   * Takes the waiting requests of `signals` out of the queue: a closing node aborts its
   * messages a few at a time, and none of them may be sent when a slot frees meanwhile.
   */
  withdraw(signals: ReadonlySet<CancelSignal>): void {
    this.limiter.withdraw(signals);
  }

  close(): void {
    this.transport.close();
  }

}

/** checkContextNow's answer when the counts or the context length must be asked for first. */
const STILL_TO_COUNT = Symbol('still to count');

function sleep(ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The model a request names; '' where it names none (a server that answers with its loaded one). */
function modelOf(request: Record<string, unknown>): string {
  return typeof request.model === 'string' ? request.model : '';
}
