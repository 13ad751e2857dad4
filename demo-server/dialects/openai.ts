// OpenAI's own API (api.openai.com/v1): the default dialect.

import type { IncomingHttpHeaders } from 'node:http';
import { MODELS, isChatModel, isShutDown } from '../models';
import { countPieces } from '../tokenizer';
import { isInt, plainShaper, promptList } from './common';
import {
  apiError,
  chatModelError,
  contextLengthError,
  insufficientQuotaError,
  openaiShape,
  PARSE_ERROR_MESSAGE,
  retiredModelError,
  type ApiError,
} from './openai-errors';
import { validateCompletionRequest } from './openai-validation';
import type { DialectRules, DialectSettings, Incoming, Route } from './types';

// The response headers of the API reference ("Rate limits", "Debugging requests").
const RATE_LIMIT_REQUESTS = 10000;
const RATE_LIMIT_TOKENS = 2_000_000;
const RATE_WINDOW_MS = 60_000;
/** gpt-3.5-turbo-instruct's context window; the demo model gets the same. */
export const OPENAI_CONTEXT_LENGTH = 4096;

/** Mask a key like OpenAI does: "sk-ab***yz"; never the whole key. */
export function maskKey(key: string): string {
  return key.length >= 10 ? `${key.slice(0, 5)}***${key.slice(-2)}` : '***';
}

/** The 401s of a missing or wrong key (api.openai.com; Bearer, or api-key as Azure clients send). */
export function openaiKeyRefusal(headers: IncomingHttpHeaders, key: string | undefined): ApiError | null {
  if (key === undefined) return null;
  const auth = headers.authorization;
  let given: string | undefined;
  if (typeof auth === 'string') given = /^\s*Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  const apiKey = headers['api-key'];
  if (given === key || apiKey === key) return null;
  const shown = given ?? (typeof apiKey === 'string' ? apiKey : undefined);
  if (shown === undefined || shown === '') {
    return apiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      null,
      'invalid_api_key',
    );
  }
  return apiError(401, `Incorrect API key provided: ${maskKey(shown)}. You can find your API key in your account settings.`, null, 'invalid_api_key');
}

/** Prompt tokens of one prompt (a string's pieces, a token list's length). */
export function promptTokens(prompt: string | number[]): number {
  return typeof prompt === 'string' ? countPieces(prompt) : prompt.length;
}

/** The first prompt whose tokens and max_tokens do not fit the context window. */
export function contextRefusal(request: Record<string, unknown>, contextLength: number): ApiError | null {
  const maxTokens = isInt(request.max_tokens) ? request.max_tokens : 16;
  const prompts = promptList(request.prompt ?? '<|endoftext|>');
  for (const p of prompts) {
    const n = promptTokens(p);
    if (n + maxTokens > contextLength) return contextLengthError(contextLength, n, maxTokens);
  }
  return null;
}

/** OpenAI's lifecycle answers for a model name: chat-only models, shut-down models. */
export function lifecycleRefusal(model: string, now: Date): ApiError | null {
  if (isChatModel(model)) return chatModelError();
  if (isShutDown(model, now)) return retiredModelError(model);
  return null;
}

// The generator's body and chunks are OpenAI's; a failed stream gets an error event.
const OPENAI_SHAPER = plainShaper({ failure: (message) => ({ error: { message, type: 'server_error', param: null, code: null } }) });

export function openai(settings: DialectSettings): DialectRules {
  const contextLength = settings.contextLength ?? OPENAI_CONTEXT_LENGTH;
  let windowStart = Date.now();
  let windowRequests = 0;
  let windowTokens = 0;
  // Rate-limit headers count every request, as the API's do.
  const tick = (now: number): void => {
    if (now - windowStart >= RATE_WINDOW_MS) {
      windowStart = now;
      windowRequests = 0;
      windowTokens = 0;
    }
  };
  const listed = () => MODELS.filter((m) => !isShutDown(m.id, settings.now()));
  let lastHeaderRequest = 0;

  return {
    id: 'openai',
    basePath: '/v1',
    jsonType: 'application/json',
    route(method, pathname): Route {
      if (method === 'POST' && pathname.endsWith('/completions') && !pathname.endsWith('/chat/completions')) return { kind: 'completions' };
      if (method === 'GET') {
        const m = /(?:^|\/)models(?:\/([^/]+))?$/.exec(pathname);
        if (m) {
          if (m[1] === undefined) return { kind: 'models' };
          let id = m[1];
          try {
            id = decodeURIComponent(id);
          } catch {
            /* keep it as sent */
          }
          return { kind: 'model', modelId: id };
        }
      }
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    auth(headers, key, route) {
      if (route.kind === 'unknown') return null;
      const refused = openaiKeyRefusal(headers, key);
      return refused ? openaiShape(refused) : null;
    },
    notFound: (method, pathname) => openaiShape(apiError(404, `Invalid URL (${method} ${pathname})`)),
    prepare(incoming: Incoming) {
      if (!incoming.parsed && !incoming.empty) return { reply: openaiShape(apiError(400, PARSE_ERROR_MESSAGE)) };
      const body = incoming.empty ? {} : incoming.body;
      const invalid = validateCompletionRequest(body, { modelRefusal: (model) => lifecycleRefusal(model, settings.now()) });
      if (invalid) return { reply: openaiShape(invalid) };
      const request = body as Record<string, unknown>;
      const tooLong = contextRefusal(request, contextLength);
      if (tooLong) return { reply: openaiShape(tooLong) };
      const n = isInt(request.n) ? request.n : 1;
      const max = isInt(request.max_tokens) ? request.max_tokens : 16;
      const promptLength = typeof request.prompt === 'string' ? request.prompt.length : 0;
      windowTokens += Math.ceil(promptLength / 4) + n * max;
      return { request, shaper: OPENAI_SHAPER };
    },
    error: openaiShape,
    models: () => ({ status: 200, body: { object: 'list', data: listed() } }),
    model(id) {
      const model = listed().find((m) => m.id === id);
      return model ? { status: 200, body: model } : openaiShape(apiError(404, `The model '${id}' does not exist`, 'model', 'model_not_found'));
    },
    headers(requestNumber, start) {
      const now = Date.now();
      if (requestNumber !== lastHeaderRequest) {
        lastHeaderRequest = requestNumber;
        tick(start);
        windowRequests++;
      }
      const resetMs = Math.max(0, windowStart + RATE_WINDOW_MS - now);
      return {
        'x-request-id': `req_${requestNumber}`,
        'openai-processing-ms': now - start,
        'openai-version': '2020-10-01',
        'x-ratelimit-limit-requests': RATE_LIMIT_REQUESTS,
        'x-ratelimit-remaining-requests': Math.max(0, RATE_LIMIT_REQUESTS - windowRequests),
        'x-ratelimit-limit-tokens': RATE_LIMIT_TOKENS,
        'x-ratelimit-remaining-tokens': Math.max(0, RATE_LIMIT_TOKENS - windowTokens),
        'x-ratelimit-reset-requests': `${resetMs}ms`,
        'x-ratelimit-reset-tokens': `${resetMs}ms`,
      };
    },
    streamHeaders: () => ({}),
    loading: () => null,
    quota: () => openaiShape(insufficientQuotaError()),
  };
}

