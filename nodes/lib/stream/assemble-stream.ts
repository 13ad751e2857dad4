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

  add(chunk: unknown): void {
    if (chunk === null || typeof chunk !== 'object') return;
    const c = chunk as Record<string, unknown>;
    for (const key of ['id', 'object', 'created', 'model', 'system_fingerprint']) {
      if (this.head[key] === undefined && c[key] !== undefined && c[key] !== null) this.head[key] = c[key];
    }
    if (c.usage !== undefined && c.usage !== null) this.usage = c.usage;
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
    if (this.usage !== undefined) body.usage = this.usage;
    return body;
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
