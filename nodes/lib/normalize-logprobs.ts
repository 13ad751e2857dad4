/**
 * Some servers (llama.cpp) answer the completions endpoint with chat-style logprobs,
 * `{ content: [{ token, logprob, top_logprobs: [{ token, logprob }] }] }`. Flows are
 * written against the classic shape, so choices are given that shape in place.
 * `text_offset` then counts from the start of the completion: the prompt's length is
 * not in the answer.
 */
interface ChatToken {
  token?: unknown;
  logprob?: unknown;
  top_logprobs?: unknown;
}

export function normalizeChoicesLogprobs(body: unknown): void {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return;
  for (const choice of choices) {
    if (choice === null || typeof choice !== 'object') continue;
    const logprobs = (choice as { logprobs?: unknown }).logprobs as { content?: unknown; tokens?: unknown } | null | undefined;
    if (!logprobs || typeof logprobs !== 'object' || !Array.isArray(logprobs.content) || logprobs.tokens !== undefined) continue;
    (choice as { logprobs: unknown }).logprobs = classicLogprobs(logprobs.content as ChatToken[]);
  }
}

function classicLogprobs(content: ChatToken[]) {
  const tokens: string[] = [];
  const tokenLogprobs: (number | null)[] = [];
  const topLogprobs: Record<string, number>[] = [];
  const textOffset: number[] = [];
  let offset = 0;
  for (const entry of content) {
    const token = typeof entry?.token === 'string' ? entry.token : '';
    tokens.push(token);
    tokenLogprobs.push(typeof entry?.logprob === 'number' ? entry.logprob : null);
    const top: Record<string, number> = {};
    if (Array.isArray(entry?.top_logprobs)) {
      for (const alt of entry.top_logprobs as ChatToken[]) {
        if (typeof alt?.token === 'string' && typeof alt.logprob === 'number') top[alt.token] = alt.logprob;
      }
    }
    topLogprobs.push(top);
    textOffset.push(offset);
    offset += token.length;
  }
  return { tokens, token_logprobs: tokenLogprobs, top_logprobs: topLogprobs, text_offset: textOffset };
}
