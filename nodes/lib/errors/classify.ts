import type { ErrorCode } from './errors';

export interface ApiError {
  message?: string;
  type?: string;
  code?: string | number | null;
}

/** A kind of failure a flow can act on, and what to do about it, in words. */
export interface Classified {
  code: ErrorCode;
  /** Short, for the node status: "model not found". */
  words: string;
  hint: string;
}

/**
 * What a server's error answer means, across the servers' own ways of saying it. Each
 * pattern cites where the words come from (servers/profiles.ts has the sources in full).
 */
const RULES: Array<{ code: ErrorCode; words: string; hint: string; test(status: number, e: ApiError, text: string): boolean }> = [
  {
    code: 'CHAT_MODEL', words: 'chat model', hint: 'this model takes chat messages only: choose a completion model',
    // OpenAI: "This is a chat model and not supported in the v1/completions endpoint…"
    test: (_s, _e, text) => /chat model and not supported in the v1\/completions endpoint/i.test(text),
  },
  {
    code: 'CONTEXT_TOO_LONG', words: 'prompt too long for the context', hint: 'shorten the prompt or lower max_tokens',
    test: (_s, e, text) =>
      e.type === 'exceed_context_size_error' // llama.cpp server-common.cpp
      || /maximum context length|context length is only|exceeds the available context size|longer than the model's context length|exceeds model's maximum context length|greater than the context length|must be <= .*max_total_tokens|`inputs` tokens \+ `max_new_tokens` must be <=/i.test(text),
  },
  {
    code: 'MODEL_LOADING', words: 'model still loading', hint: 'the server is loading the model: try again in a moment',
    // llama.cpp "Loading model" (unavailable_error), LocalAI model_loading (503 with Retry-After).
    test: (status, e, text) => status === 503 && (e.type === 'unavailable_error' || e.code === 'model_loading' || /loading model|model .* is loading/i.test(text)),
  },
  {
    code: 'QUOTA_EXCEEDED', words: 'quota used up', hint: 'the account has no quota or credit left',
    // OpenAI insufficient_quota (429), OpenRouter 402 insufficient credits.
    test: (status, e) => e.type === 'insufficient_quota' || e.code === 'insufficient_quota' || status === 402,
  },
  {
    code: 'MODEL_NOT_FOUND', words: 'model not found', hint: 'check the model name (the dialog lists the server\'s models); OpenAI shut down its completion models on 2026-09-28',
    test: (status, e, text) =>
      e.code === 'model_not_found' || e.code === 'DeploymentNotFound'
      || /the model `[^`]*` (does not exist|has been deprecated)|model '[^']*' not found|model "[^"]*" not found|invalid model identifier|deployment for this resource does not exist/i.test(text)
      || (status === 404 && /model/i.test(text)),
  },
];

export function classify(status: number, api: ApiError | undefined): Classified | undefined {
  const e = api ?? {};
  const text = e.message ?? '';
  const rule = RULES.find((r) => r.test(status, e, text));
  return rule && { code: rule.code, words: rule.words, hint: rule.hint };
}
