// LM Studio's OpenAI-compatible server (closed source).
//
// Sources: the lmstudio-ai/docs snapshot at c6854fb (1_developer/3_openai-compat/*,
// 1_developer/0_core/authentication.mdx, api-changelog.md), the research notes §3, and the
// server's answers quoted in public issues (named per rule). What neither says (how `n`,
// `best_of`, `echo`, `logprobs`, `suffix` and `user` are treated on /v1/completions) is
// left as OpenAI's, and marked unconfirmed.

import { DEFAULT_MODEL } from '../models';
import { countPieces } from '../tokenizer';
import { bearerToken, isObject, plainShaper, present, promptList } from './common';
import { validateCompletionRequest } from './openai-validation';
import type { DialectRules, DialectSettings, Incoming, Prepared, Reply, Route, StandardError } from './types';

/** The loaded context length when ServerOptions.contextLength is not given. */
export const LMSTUDIO_CONTEXT_LENGTH = 4096;
// lmstudio-bug-tracker#618: Express ("X-Powered-By: Express"), JSON with a charset.
const EXPRESS_JSON = 'application/json; charset=utf-8';

// The nested shape of newer builds (lmstudio-bug-tracker#1730, 0.4.8; gpt-researcher#1556).
function lmError(status: number, message: string, param: string | null = null, code: string | null = null): Reply {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

export function lmstudio(settings: DialectSettings): DialectRules {
  const ids = settings.models.map((m) => m.id);
  const known = new Set(ids);
  const contextLength = settings.contextLength ?? LMSTUDIO_CONTEXT_LENGTH;

  function prepare(incoming: Incoming): Prepared {
    // Unconfirmed: the answer to a body that is not JSON (the log says "Received request for
    // ... with invalid JSON: <V8's message>"); a 400 with that message.
    if (!incoming.parsed && !incoming.empty) {
      let message = 'Unexpected end of JSON input';
      try {
        JSON.parse(incoming.text);
      } catch (e) {
        message = (e as Error).message;
      }
      return { reply: { status: 400, body: { error: `Received request with invalid JSON: ${message}` } } };
    }
    const body = incoming.empty ? {} : incoming.body;
    if (!isObject(body)) return { reply: lmError(400, "'prompt' field is required", 'prompt') };
    // lmstudio-bug-tracker#619 (0.3.14): with one model loaded the name is not checked;
    // with Just-In-Time loading (the default) every downloaded model can be named, and an
    // unknown one is a 400 listing some that exist (gpt-researcher#1556, 0.4.5:
    // icereed/paperless-gpt#908). Unconfirmed: a missing model picks the loaded one.
    const model = present(body.model) ? String(body.model) : DEFAULT_MODEL;
    if (!known.has(model)) {
      return { reply: lmError(400, `Invalid model identifier "${model}". Please specify a valid downloaded model (e.g., ${ids.slice(0, 3).join(', ')}).`, 'model', 'model_not_found') };
    }
    // The docs' chat parameters (model, top_p, top_k, temperature, max_tokens, stream, stop,
    // presence_penalty, frequency_penalty, logit_bias, repeat_penalty, seed) and `ttl`
    // (0_core/ttl-and-auto-evict.md) are accepted; the rest of the request is checked as
    // OpenAI does (unconfirmed), errors in LM Studio's nested shape.
    const request: Record<string, unknown> = { ...body, model };
    delete request.ttl;
    const invalid = validateCompletionRequest(request, { anyModel: true, maxLogprobs: 20, maxStops: Infinity });
    if (invalid) return { reply: lmError(invalid.status, invalid.message, invalid.param, invalid.code) };
    // tinyhumansai/openhuman#3550 and Gitlawb/openclaude#353 (2026): the prompt (the tokens to
    // keep) must fit the loaded context, else a flat 400. Newer builds are reported to answer
    // 200 instead (lmstudio-bug-tracker#2322, #2339); the error is the documented one.
    for (const p of promptList(request.prompt ?? '')) {
      const nKeep = typeof p === 'string' ? countPieces(p) : p.length;
      if (nKeep >= contextLength) {
        return {
          reply: {
            status: 400,
            body: { error: `The number of tokens to keep from the initial prompt is greater than the context length (n_keep: ${nKeep}>= n_ctx: ${contextLength}). Try to load the model with a larger context length, or provide a shorter input.` },
          },
        };
      }
    }
    // "Prompt template is not applied" (openai-compat/completions.mdx): raw completion; usage in
    // streams with stream_options.include_usage since 0.3.18 (api-changelog.md:112).
    return { request, shaper: plainShaper({ failure: (message) => ({ error: { message, type: 'server_error', param: null, code: null } }) }) };
  }

  return {
    id: 'lmstudio',
    basePath: '/v1',
    jsonType: EXPRESS_JSON,
    route(method, pathname): Route {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      if (method === 'GET' && pathname === '/v1/models') return { kind: 'models' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    // 0_core/authentication.mdx (0.4.0+): with "Require Authentication" every request needs
    // "Authorization: Bearer <token>"; the refusal as logged in agustif/opencode-lmstudio#41
    // (0.4.18). Unconfirmed: the text for a wrong token; the one known text is used.
    auth(headers, key) {
      if (key === undefined || bearerToken(headers) === key) return null;
      return {
        status: 401,
        body: {
          error: {
            type: 'invalid_request',
            code: 'invalid_api_key',
            message:
              "An LM Studio API token is required to make requests to this server, but none was provided using the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer $LM_API_TOKEN'). Learn more at: https://lmstudio.ai/docs/developer/core/authentication.",
          },
        },
      };
    },
    // lmstudio-bug-tracker#618, #1323: an unknown endpoint or method is answered 200 anyway.
    notFound: (method, pathname) => ({ status: 200, body: { error: `Unexpected endpoint or method. (${method} ${pathname})` } }),
    prepare,
    error: (e: StandardError) => lmError(e.status, e.message, e.param, e.code),
    // openai-compat/models.md: the models visible to the server (all downloaded ones with JIT
    // loading); each only {id, object, owned_by} (tinyhumansai/openhuman#3550), owned_by
    // "organization_owner" as in every published answer.
    models: () => ({ status: 200, body: { data: ids.map((id) => ({ id, object: 'model', owned_by: 'organization_owner' })), object: 'list' } }),
    model: (id) => ({ status: 200, body: { error: `Unexpected endpoint or method. (GET /v1/models/${id})` } }),
    headers: () => ({ 'x-powered-by': 'Express' }),
    streamHeaders: () => ({}),
    // Notes §3: JIT loading makes the request wait; no loading answer is known.
    loading: () => null,
    quota: () => null,
  };
}
