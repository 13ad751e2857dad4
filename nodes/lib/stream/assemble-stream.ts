/**
 * Builds, chunk by chunk, the response a streamed completion amounts to: the same
 * shape as a non-streamed body (text per choice index, concatenated logprobs, the
 * final finish_reason, usage when the server sent it).
 */

interface Logprobs {
  tokens: unknown[];
  token_logprobs: unknown[];
  top_logprobs: unknown[];
  text_offset: unknown[];
  /** A chat-style server's own token entries (normalize-logprobs.ts), when it sent them. */
  content?: unknown[];
}

interface AssembledChoice {
  text: string;
  index: number;
  logprobs: Logprobs | null;
  finish_reason: unknown;
}

const LOGPROB_ARRAYS = ['tokens', 'token_logprobs', 'top_logprobs', 'text_offset', 'content'] as const;

export class StreamAssembler {
  private readonly head: Record<string, unknown> = {};
  private readonly choices = new Map<number, AssembledChoice>();
  private usage: unknown;
  private readonly choiceUsage = new Map<number, Record<string, unknown>>();

  /**
   * `usagePerChoice`: each choice reports its own task's usage in its last event
   * (llama.cpp), for a request of this `n`; the response's usage is then their sum, with
   * each prompt counted once. Otherwise the last usage sent is the response's.
   */
  constructor(private readonly usagePerChoice?: number) {}

  add(chunk: unknown): void {
    if (chunk === null || typeof chunk !== 'object') return;
    const c = chunk as Record<string, unknown>;
    for (const key of ['id', 'object', 'created', 'model', 'system_fingerprint']) {
      if (this.head[key] === undefined && c[key] !== undefined && c[key] !== null) this.head[key] = c[key];
    }
    if (c.usage !== undefined && c.usage !== null) {
      const own = this.usagePerChoice !== undefined && Array.isArray(c.choices) && c.choices.length === 1 && typeof c.usage === 'object';
      const index = own ? (c.choices as Array<{ index?: unknown } | null>)[0]?.index : undefined;
      if (typeof index === 'number') this.choiceUsage.set(index, c.usage as Record<string, unknown>);
      else this.usage = c.usage;
    }
    if (!Array.isArray(c.choices)) return;
    for (const raw of c.choices) {
      if (raw === null || typeof raw !== 'object') continue;
      const delta = raw as Record<string, unknown>;
      const index = typeof delta.index === 'number' ? delta.index : 0;
      let choice = this.choices.get(index);
      if (!choice) {
        choice = { text: '', index, logprobs: null, finish_reason: null };
        this.choices.set(index, choice);
      }
      if (typeof delta.text === 'string') choice.text += delta.text;
      if (delta.finish_reason !== undefined && delta.finish_reason !== null) choice.finish_reason = delta.finish_reason;
      appendLogprobs(choice, delta.logprobs);
    }
  }

  /** Text held back from the events (scrub.ts, StreamTextScrubber), added once the stream has ended. */
  appendText(index: number, text: string): void {
    const choice = this.choices.get(index);
    if (choice) choice.text += text;
  }

  /** Whether every choice seen has had its finish_reason: how a stream without [DONE] may still be whole. */
  allFinished(): boolean {
    if (this.choices.size === 0) return false;
    for (const choice of this.choices.values()) if (choice.finish_reason === null) return false;
    return true;
  }

  /** The assembled body; choices ordered by index. */
  result(): Record<string, unknown> {
    const body: Record<string, unknown> = { object: 'text_completion', ...this.head };
    body.choices = [...this.choices.values()].sort((a, b) => a.index - b.index);
    const usage = this.usage ?? this.summedChoiceUsage();
    if (usage !== undefined) body.usage = usage;
    return body;
  }

  private summedChoiceUsage(): Record<string, unknown> | undefined {
    if (this.choiceUsage.size === 0) return undefined;
    const perPrompt = Math.max(1, this.usagePerChoice ?? 1);
    const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
    let completion = 0;
    let prompt = 0;
    let cached = 0;
    const promptsSeen = new Set<number>();
    for (const [index, usage] of [...this.choiceUsage].sort((a, b) => a[0] - b[0])) {
      completion += count(usage.completion_tokens);
      // The n choices of one prompt each report that prompt: it counts once, as OpenAI counts it.
      const prompted = Math.floor(index / perPrompt);
      if (promptsSeen.has(prompted)) continue;
      promptsSeen.add(prompted);
      prompt += count(usage.prompt_tokens);
      cached += count((usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens);
    }
    const summed: Record<string, unknown> = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    if (cached > 0) summed.prompt_tokens_details = { cached_tokens: cached };
    return summed;
  }
}

function appendLogprobs(choice: AssembledChoice, logprobs: unknown): void {
  if (logprobs === null || typeof logprobs !== 'object') return;
  const source = logprobs as Record<string, unknown>;
  if (!choice.logprobs) choice.logprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const key of LOGPROB_ARRAYS) {
    const part = source[key];
    if (!Array.isArray(part)) continue;
    const into = (choice.logprobs[key] ??= []);
    for (const item of part) into.push(item);
  }
}
