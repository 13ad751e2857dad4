// vLLM's OpenAI-compatible server.
//
// Sources (the research notes, /work/notes/servers.md §1, read from the public index of
// vllm-project/vllm; "protocol.py" is vllm/entrypoints/openai/completion/protocol.py @002032ee,
// "renderer" is vllm/renderers/online_renderer.py @01063cd0), and vLLM answers quoted in
// public issues and tests where the notes mark the text unconfirmed.

import { MODELS, DEFAULT_MODEL } from '../models';
import type { CompletionBody, CompletionChunk, Generation } from '../generate';
import { BOS, countPieces, decode, encode, VOCAB_SIZE } from '../tokenizer';
import { bearerToken, DONE, isInt, isObject, matchedStops, present } from './common';
import type { DialectRules, DialectSettings, Incoming, Prepared, Reply, Route, StandardError } from './types';

/** max_model_len when ServerOptions.contextLength is not given. */
export const VLLM_CONTEXT_LENGTH = 4096;

// serving_engine create_error_response: err_type "BadRequestError" by default, "NotFoundError"
// for unknown models, "InternalServerError" for server errors.
function errorType(status: number): string {
  if (status === 404) return 'NotFoundError';
  if (status === 501) return 'NotImplementedError';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequestError';
}

// ErrorInfo/ErrorResponse (vllm@f1bf7bd0:vllm/entrypoints/serve/engine/protocol.py), nested
// since v0.10.1 (PR vllm-project/vllm#22099): {"error":{message,type,param,code:int}}, the
// HTTP status equal to code (serve/tokenize/api_router.py @045d7575).
function vllmError(status: number, message: string, param: string | null = null): Reply {
  return { status, body: { error: { message, type: errorType(status), param, code: status } } };
}

/** The count vLLM's tokenizer gives a prompt: text gets BOS when add_special_tokens (default
 * true, protocol.py CompletionRequest and TokenizeCompletionRequest); a token list is as given. */
function promptTokens(prompt: string | number[], addSpecial: boolean): number {
  return typeof prompt === 'string' ? (addSpecial ? 1 : 0) + countPieces(prompt) : prompt.length;
}

function prompts(prompt: unknown): Array<string | number[]> | null {
  if (typeof prompt === 'string') return [prompt];
  if (!Array.isArray(prompt)) return null;
  if (prompt.length > 0 && prompt.every((t) => isInt(t) && t >= 0)) return [prompt as number[]];
  const out: Array<string | number[]> = [];
  for (const p of prompt) {
    if (typeof p === 'string') out.push(p);
    else if (Array.isArray(p) && p.every((t) => isInt(t) && t >= 0)) out.push(p as number[]);
    else return null;
  }
  return out;
}

export function vllm(settings: DialectSettings): DialectRules {
  const ids = new Set(settings.models.map((m) => m.id));
  const maxModelLen = settings.contextLength ?? VLLM_CONTEXT_LENGTH;
  const maxLogprobs = settings.maxLogprobs;

  // _check_model (serving_engine, indexed copies; newer ones add param="model"): 404.
  const unknownModel = (model: string): Reply => vllmError(404, `The model \`${model}\` does not exist.`, 'model');

  function validate(body: Record<string, unknown>): Reply | { request: Record<string, unknown> } {
    // protocol.py: `model` is optional; the first served model answers.
    const model = present(body.model) ? body.model : DEFAULT_MODEL;
    if (typeof model !== 'string' || !ids.has(model)) return unknownModel(String(model));
    // renderer render_completion: "suffix is not currently supported", whatever its value.
    if (present(body.suffix)) return vllmError(400, 'suffix is not currently supported');
    // protocol.py validate_prompt_and_prompt_embeds: null or "" (and no embeds).
    const list = prompts(body.prompt);
    if (!present(body.prompt) || body.prompt === '' || (Array.isArray(body.prompt) && body.prompt.length === 0)) {
      return vllmError(400, 'Either prompt or prompt_embeds must be provided and non-empty.');
    }
    // Unconfirmed: pydantic's own text for a prompt of the wrong type; vLLM answers it 400.
    if (!list) return vllmError(400, 'Input should be a valid string, a list of strings, a list of token ids or a list of token-id lists', 'prompt');
    // protocol.py validate_stream_options.
    if (present(body.stream_options) && body.stream !== true) return vllmError(400, 'Stream options can only be defined when `stream=True`.');
    // protocol.py: prompt_logprobs cannot be streamed.
    if (present(body.prompt_logprobs) && body.stream === true) return vllmError(400, '`prompt_logprobs` are not available when `stream=True`.');
    if (present(body.logprobs)) {
      // protocol.py check_logprobs.
      if (!isInt(body.logprobs)) return vllmError(400, '`logprobs` must be an integer.');
      if (body.logprobs < -1) return vllmError(400, '`logprobs` must be a positive value or -1.');
      // SamplingParams.verify via v1/engine/input_processor.py _validate_params, default
      // --max-logprobs 20; -1 means the whole vocabulary. The text with VLLMValidationError's
      // suffix as quoted in public tests.
      const asked = body.logprobs === -1 ? VOCAB_SIZE : body.logprobs;
      if (maxLogprobs !== -1 && asked > maxLogprobs) {
        return vllmError(400, `Requested sample logprobs of ${asked}, which is greater than max allowed: ${maxLogprobs} (parameter=logprobs, value=${body.logprobs})`, 'logprobs');
      }
    }
    // SamplingParams._verify_args, texts as quoted in public tests (notes: unconfirmed).
    if (typeof body.min_p === 'number' && (body.min_p < 0 || body.min_p > 1)) return vllmError(400, `min_p must be in [0, 1], got ${body.min_p}.`, 'min_p');
    if (isInt(body.top_k) && body.top_k < -1) return vllmError(400, `top_k must be 0 (disable), or at least 1, got ${body.top_k}.`, 'top_k');
    if (present(body.n) && !(isInt(body.n) && body.n >= 1)) return vllmError(400, `n must be at least 1, got ${JSON.stringify(body.n)}.`, 'n');
    // protocol.py normalize_null_max_tokens: null or absent is 16.
    const maxTokens = isInt(body.max_tokens) ? body.max_tokens : 16;
    if (maxTokens < 0) return vllmError(400, `max_tokens must be at least 0, got ${maxTokens}.`, 'max_tokens');
    // vllm@017638d7:vllm/renderers/params.py _token_len_check; the texts of the newest
    // releases, with the parameter suffix as quoted in public issues.
    if (maxTokens > maxModelLen) {
      return vllmError(400, `max_tokens=${maxTokens}cannot be greater than max_model_len=max_total_tokens=${maxModelLen}. Please request fewer output tokens.`, 'max_tokens');
    }
    const addSpecial = body.add_special_tokens !== false;
    for (const p of list) {
      const n = promptTokens(p, addSpecial);
      if (n + maxTokens > maxModelLen) {
        return vllmError(
          400,
          `You passed ${n} input tokens and requested ${maxTokens} output tokens. However, the model's context length is only ${maxModelLen} tokens, resulting in a maximum input length of ${maxModelLen - maxTokens} tokens. Please reduce the length of the input prompt. (parameter=input_tokens, value=${n})`,
          'input_tokens',
        );
      }
    }
    // best_of is no longer a field and unknown fields are ignored (extra="allow"); vLLM's own
    // sampling parameters (top_k, min_p, repetition_penalty, stop_token_ids, min_tokens, ...)
    // are accepted; the rest of the request is OpenAI's, echo included.
    const request: Record<string, unknown> = { ...body, model, max_tokens: maxTokens };
    delete request.best_of;
    if (request.logprobs === -1) request.logprobs = maxLogprobs;
    return { request };
  }

  function shaper(request: Record<string, unknown>) {
    const addSpecial = request.add_special_tokens !== false;
    const list = prompts(request.prompt) ?? [];
    const promptTotal = list.reduce((s, p) => s + promptTokens(p, addSpecial), 0);
    // protocol.py UsageInfo: prompt_tokens, total_tokens, completion_tokens, prompt_tokens_details.
    const usage = (u: CompletionBody['usage']) => ({ prompt_tokens: promptTotal, total_tokens: promptTotal + u.completion_tokens, completion_tokens: u.completion_tokens, prompt_tokens_details: null });
    return {
      // protocol.py CompletionResponse; each choice has vLLM's stop_reason.
      body(body: CompletionBody, g: Generation): unknown {
        const reasons = matchedStops(request, g);
        return {
          id: body.id,
          object: 'text_completion',
          created: body.created,
          model: body.model,
          choices: body.choices.map((c, i) => ({ index: c.index, text: c.text, logprobs: c.logprobs, finish_reason: c.finish_reason, stop_reason: reasons[i] })),
          usage: usage(body.usage),
          system_fingerprint: null,
        };
      },
      // completion_stream_generator: usage only with include_usage, in a last chunk with no
      // choices (the generator's chunks already do this).
      events(chunk: CompletionChunk, g: Generation): unknown[] {
        const reasons = chunk.choices.some((c) => c.finish_reason === 'stop') ? matchedStops(request, g) : [];
        const out: Record<string, unknown> = {
          id: chunk.id,
          object: 'text_completion',
          created: chunk.created,
          model: chunk.model,
          choices: chunk.choices.map((c) => ({ index: c.index, text: c.text, logprobs: c.logprobs, finish_reason: c.finish_reason, stop_reason: c.finish_reason === 'stop' ? (reasons[c.index] ?? null) : null })),
        };
        if (chunk.usage !== undefined) out.usage = chunk.usage ? usage(chunk.usage) : null;
        return [out];
      },
      // serving.py: the stream always ends with [DONE] ...
      end: DONE,
      // ... even after an error, which is sent as an ErrorResponse chunk.
      failure: (message: string) => ({ events: [{ error: { message, type: 'InternalServerError', param: null, code: 500 } }], end: DONE }),
    };
  }

  // serve/tokenize/protocol.py @030ea52e; api_router.py @045d7575: POST /tokenize and
  // /detokenize at the root, with the model check of the completions route.
  function tokenizeEndpoint(route: Route, incoming: Incoming): Reply {
    if (!incoming.parsed || !isObject(incoming.body)) return vllmError(400, 'JSON decode error');
    const body = incoming.body;
    if (present(body.model) && (typeof body.model !== 'string' || !ids.has(body.model))) return unknownModel(String(body.model));
    if (route.endpoint === 'detokenize') {
      const tokens = Array.isArray(body.tokens) ? body.tokens.filter((t): t is number => isInt(t)) : [];
      return { status: 200, body: { prompt: decode(tokens) } };
    }
    // Unconfirmed: the text of the pydantic error when neither prompt nor messages is given.
    if (typeof body.prompt !== 'string') return vllmError(400, 'prompt: Field required', 'prompt');
    const addSpecial = body.add_special_tokens !== false;
    const tokens = [...(addSpecial ? [BOS.id] : []), ...encode(body.prompt)];
    return { status: 200, body: { count: tokens.length, max_model_len: maxModelLen, tokens, token_strs: null } };
  }

  return {
    id: 'vllm',
    basePath: '/v1',
    jsonType: 'application/json',
    route(method, pathname): Route {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      if (method === 'GET' && pathname === '/v1/models') return { kind: 'models' };
      if (method === 'POST' && pathname === '/tokenize') return { kind: 'endpoint', endpoint: 'tokenize' };
      if (method === 'POST' && pathname === '/detokenize') return { kind: 'endpoint', endpoint: 'detokenize' };
      if (method === 'GET' && pathname === '/health') return { kind: 'endpoint', endpoint: 'health' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    // api_server.py --api-key middleware: every /v1 path needs exactly "Bearer <key>"; the
    // root paths (/health, /tokenize) are not checked.
    auth(headers, key, route) {
      if (key === undefined || route.kind === 'endpoint' || route.kind === 'unknown' || bearerToken(headers) === key) return null;
      return { status: 401, body: { error: 'Unauthorized' } };
    },
    // FastAPI's answer to a route it does not have.
    notFound: () => ({ status: 404, body: { detail: 'Not Found' } }),
    prepare(incoming): Prepared {
      // Unconfirmed (notes §1): the body of FastAPI's validation handler for bad JSON.
      if (!incoming.parsed && !incoming.empty) return { reply: vllmError(400, 'JSON decode error') };
      const body = incoming.empty ? {} : incoming.body;
      if (!isObject(body)) return { reply: vllmError(400, 'Input should be a valid dictionary or object to extract fields from') };
      const checked = validate(body);
      if (!('request' in checked)) return { reply: checked };
      return { request: checked.request, shaper: shaper(checked.request) };
    },
    error: (e: StandardError) => vllmError(e.status, e.message, e.param),
    // ModelCard (serve/engine/protocol.py): owned_by "vllm", root, parent, max_model_len, permission.
    models: () => ({
      status: 200,
      body: {
        object: 'list',
        data: MODELS.filter((m) => ids.has(m.id)).map((m) => ({
          id: m.id,
          object: 'model',
          created: m.created,
          owned_by: 'vllm',
          root: m.id,
          parent: null,
          max_model_len: maxModelLen,
          permission: [
            {
              id: `modelperm-${m.id}`,
              object: 'model_permission',
              created: m.created,
              allow_create_engine: false,
              allow_sampling: true,
              allow_logprobs: true,
              allow_search_indices: false,
              allow_view: true,
              allow_fine_tuning: false,
              organization: '*',
              group: null,
              is_blocking: false,
            },
          ],
        })),
      },
    }),
    model: () => ({ status: 404, body: { detail: 'Not Found' } }),
    endpoint(route, incoming) {
      // serve/instrumentator/health.py @98b137c6: 200 with an empty body.
      if (route.endpoint === 'health') return { status: 200, body: '' };
      return tokenizeEndpoint(route, incoming);
    },
    headers: () => ({}),
    streamHeaders: () => ({}),
    // Notes §1 (unconfirmed): while loading, the HTTP server does not answer yet.
    loading: () => null,
    quota: () => null,
  };
}

