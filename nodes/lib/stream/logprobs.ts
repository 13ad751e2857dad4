/**
 * Some servers (llama.cpp) answer the completions endpoint with chat-style logprobs,
 * `{ content: [{ id, token, bytes, logprob, top_logprobs: [{ token, logprob }] }] }`,
 * or, with llama.cpp's `post_sampling_probs`, probabilities in `prob` / `top_probs`.
 * Flows are written against the classic shape, so each such choice gets the classic
 * arrays (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`), with
 * probabilities turned into their natural logarithm; the server's own `content` stays
 * beside them, so no number it sent (token ids, bytes) is lost.
 *
 * `text_offset` counts from the start of the completion (the server does not report the
 * prompt's length). A streamed answer sends one token per event: the converter keeps
 * each choice's running offset, so the events' offsets continue and the assembled
 * response equals the one the same request gives without streaming.
 */
interface ChatToken {
  token?: unknown;
  logprob?: unknown;
  prob?: unknown;
  top_logprobs?: unknown;
  top_probs?: unknown;
}

export interface ClassicLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
  content: unknown[];
}

export class LogprobsConverter {
  /** Characters of completion text each choice has had so far. */
  private readonly offsets = new Map<number, number>();

  /** Converts, in place, the chat-style logprobs of a body's (or a stream event's) choices. */
  convert(body: unknown): void {
    const choices = (body as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return;
    for (const choice of choices) {
      if (choice === null || typeof choice !== 'object') continue;
      const c = choice as { index?: unknown; logprobs?: unknown };
      const logprobs = c.logprobs as { content?: unknown; tokens?: unknown } | null | undefined;
      if (!logprobs || typeof logprobs !== 'object' || !Array.isArray(logprobs.content) || logprobs.tokens !== undefined) continue;
      const index = typeof c.index === 'number' ? c.index : 0;
      const start = this.offsets.get(index) ?? 0;
      const converted = classicLogprobs(logprobs.content as ChatToken[], start);
      this.offsets.set(index, converted.end);
      c.logprobs = converted.logprobs;
    }
  }
}

/** A one-off conversion, for a body that is not part of a stream. */
export function normalizeChoicesLogprobs(body: unknown): void {
  new LogprobsConverter().convert(body);
}

function logOf(entry: { logprob?: unknown; prob?: unknown } | undefined): number | null {
  if (typeof entry?.logprob === 'number') return entry.logprob;
  if (typeof entry?.prob === 'number' && entry.prob >= 0) return Math.log(entry.prob);
  return null;
}

function classicLogprobs(content: ChatToken[], start: number): { logprobs: ClassicLogprobs; end: number } {
  const tokens: string[] = [];
  const tokenLogprobs: (number | null)[] = [];
  const topLogprobs: Record<string, number>[] = [];
  const textOffset: number[] = [];
  let offset = start;
  for (const entry of content) {
    const token = typeof entry?.token === 'string' ? entry.token : '';
    tokens.push(token);
    tokenLogprobs.push(logOf(entry));
    const top: Record<string, number> = {};
    const alternatives = Array.isArray(entry?.top_logprobs) ? entry.top_logprobs : Array.isArray(entry?.top_probs) ? entry.top_probs : [];
    for (const alt of alternatives as ChatToken[]) {
      const value = logOf(alt);
      if (typeof alt?.token === 'string' && value !== null) top[alt.token] = value;
    }
    topLogprobs.push(top);
    textOffset.push(offset);
    offset += token.length;
  }
  return { logprobs: { tokens, token_logprobs: tokenLogprobs, top_logprobs: topLogprobs, text_offset: textOffset, content }, end: offset };
}
