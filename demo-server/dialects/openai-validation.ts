// The request rules of OpenAI's /v1/completions: enough to exercise a client's error
// handling. Azure's deployments run the same service, so they validate the same way.

import { MODEL_IDS } from '../models';
import { apiError, type ApiError } from './openai-errors';
import { isInt } from './common';

/** How the validation is relaxed or extended for a server. */
export interface ValidationOptions {
  /** Accept any model name. */
  anyModel?: boolean;
  /** Highest `logprobs` accepted (OpenAI: 5). */
  maxLogprobs?: number;
  /** Most stop sequences accepted (OpenAI: 4). */
  maxStops?: number;
  /** The answer for a model name, checked before the list of models; null: go on. */
  modelRefusal?: (model: string) => ApiError | null;
}

/** Guard against requests that would take the server down: prompts x n x max_tokens. */
export const MAX_TOTAL_TOKENS = 4_000_000;
export const MAX_TOKENS_PER_CHOICE = 1_000_000;

const absent = (x: unknown): boolean => x === undefined || x === null;

function typeError(param: string, expected: string, value: unknown): ApiError {
  return apiError(400, `Invalid type for '${param}': expected ${expected}, but got ${JSON.stringify(value) ?? String(value)}.`, param, 'invalid_type');
}

function validPrompt(prompt: unknown): boolean {
  if (absent(prompt) || typeof prompt === 'string') return true;
  if (!Array.isArray(prompt)) return false;
  if (prompt.every((p) => typeof p === 'string')) return true;
  const tokenId = (t: unknown): boolean => isInt(t) && t >= 0;
  if (prompt.every(tokenId)) return true;
  return prompt.every((p) => Array.isArray(p) && p.length > 0 && p.every(tokenId));
}

/** How many prompts a request has (a flat token-id list is one). */
export function promptCount(prompt: unknown): number {
  if (typeof prompt === 'string' || absent(prompt)) return 1;
  if (!Array.isArray(prompt)) return 1;
  return prompt.every(isInt) ? 1 : prompt.length;
}

/** The cost guard every dialect applies: refuse what would keep the process busy for long. */
export function costRefusal(prompts: number, n: number, maxTokens: number): ApiError | null {
  if (maxTokens > MAX_TOKENS_PER_CHOICE) {
    return apiError(400, `'max_tokens' is too large: ${maxTokens}. This server allows at most ${MAX_TOKENS_PER_CHOICE}.`, 'max_tokens', 'invalid_value');
  }
  const total = prompts * n * maxTokens;
  if (total > MAX_TOTAL_TOKENS) {
    return apiError(400, `This request asks for ${total} completion tokens in all (prompts x n x max_tokens); this server allows at most ${MAX_TOTAL_TOKENS}.`, 'max_tokens', 'invalid_value');
  }
  return null;
}

export function validateCompletionRequest(body: unknown, options?: ValidationOptions): ApiError | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return apiError(400, 'Invalid request body: expected a JSON object.');
  }
  const r = body as Record<string, unknown>;
  if (absent(r.model) || r.model === '') return apiError(400, 'You must provide a model parameter.', 'model');
  if (typeof r.model !== 'string') return typeError('model', 'a string', r.model);
  const refused = options?.modelRefusal?.(r.model);
  if (refused) return refused;
  if (!MODEL_IDS.has(r.model) && options?.anyModel !== true) {
    return apiError(404, `The model \`${r.model}\` does not exist or you do not have access to it.`, null, 'model_not_found');
  }
  if (!validPrompt(r.prompt)) {
    return apiError(400, 'Invalid prompt: expected a string, an array of strings, an array of token ids (integers >= 0) or an array of non-empty token-id arrays.', 'prompt');
  }
  if (!absent(r.n) && !(isInt(r.n) && r.n >= 1 && r.n <= 128)) {
    return apiError(400, `Invalid 'n': expected an integer from 1 to 128, got ${JSON.stringify(r.n)}.`, 'n', 'invalid_value');
  }
  if (!absent(r.max_tokens) && !(isInt(r.max_tokens) && r.max_tokens >= 0)) {
    return apiError(400, `Invalid 'max_tokens': expected an integer >= 0, got ${JSON.stringify(r.max_tokens)}.`, 'max_tokens', 'invalid_value');
  }
  if (isInt(r.max_tokens) && r.max_tokens > MAX_TOKENS_PER_CHOICE) {
    return apiError(400, `'max_tokens' is too large: ${r.max_tokens}. This server allows at most ${MAX_TOKENS_PER_CHOICE}.`, 'max_tokens', 'invalid_value');
  }
  if (!absent(r.best_of) && !(isInt(r.best_of) && r.best_of >= 0 && r.best_of <= 20)) {
    return apiError(400, `Invalid 'best_of': expected an integer from 0 to 20, got ${JSON.stringify(r.best_of)}.`, 'best_of', 'invalid_value');
  }
  if (!absent(r.logprobs)) {
    const maxLogprobs = options?.maxLogprobs ?? 5;
    if (!isInt(r.logprobs) || r.logprobs < 0) return typeError('logprobs', `an integer from 0 to ${maxLogprobs}`, r.logprobs);
    if (r.logprobs > maxLogprobs) return apiError(400, `${r.logprobs} is greater than the maximum of ${maxLogprobs} - 'logprobs'`, 'logprobs', 'invalid_value');
  }
  for (const flag of ['echo', 'stream'] as const) {
    if (!absent(r[flag]) && typeof r[flag] !== 'boolean') return typeError(flag, 'a boolean', r[flag]);
  }
  if (!absent(r.stop)) {
    const s = r.stop;
    const ok = typeof s === 'string' || (Array.isArray(s) && s.every((x) => typeof x === 'string'));
    if (!ok) return typeError('stop', 'a string or an array of strings', s);
    if (Array.isArray(s) && s.length > (options?.maxStops ?? 4)) return apiError(400, `Invalid 'stop': at most 4 stop sequences are allowed, got ${s.length}.`, 'stop', 'invalid_value');
  }
  if (!absent(r.stream_options)) {
    if (r.stream !== true) return apiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
    if (typeof r.stream_options !== 'object' || Array.isArray(r.stream_options)) return typeError('stream_options', 'an object', r.stream_options);
  }
  const n = isInt(r.n) ? r.n : 1;
  if (isInt(r.best_of) && r.best_of < n) return apiError(400, 'best_of must be greater than or equal to n.', 'best_of');
  if (isInt(r.best_of) && r.best_of > 1 && r.stream === true) {
    return apiError(400, 'Cannot stream results with best_of > 1: set best_of to 1 or stream to false.', 'best_of');
  }
  return costRefusal(promptCount(r.prompt), n, isInt(r.max_tokens) ? r.max_tokens : 16);
}
