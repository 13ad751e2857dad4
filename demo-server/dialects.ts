// The dialects of the OpenAI-compatible servers users run, for the local test server
// (completion-server.ts, option `dialect`). Everything that differs from the OpenAI API is
// here, one rule per comment with the documentation or source it follows. The default
// dialect, 'openai', has no rules object: the server keeps its own code path for it.
//
// Sources (stored copies read while writing this):
//  - Azure OpenAI: learn.microsoft.com "Azure OpenAI REST API reference" (completions:
//    POST {endpoint}/openai/deployments/{deployment-id}/completions?api-version=...; auth
//    header `api-key`), "Azure OpenAI v1 API" (POST {endpoint}/openai/v1/completions; the
//    OpenAI client with the key as Bearer), "Content filtering" (prompt_filter_results /
//    content_filter_results); error bodies as the service sends them, quoted in
//    MicrosoftDocs/azure-docs#114602 (404 without api-version) and many client issues
//    (e.g. ThinkInAIXYZ/deepchat#262, earendil-works/pi#2528 "400 API version not supported").
//  - vLLM: vllm/entrypoints/openai/serving_completion.py ("suffix is not currently
//    supported"), vllm/v1/engine/processor.py ("vLLM V1 does not yet support best_of."),
//    serving_engine.py _check_model (404 NotFoundError "The model `x` does not exist."),
//    protocol.py ErrorResponse (flat {object:"error",message,type,param,code:int} up to
//    v0.10.0; later releases nest it as {error:{message,type,param,code:int}}),
//    api_server.py --api-key middleware (401 {"error":"Unauthorized"}).
//  - llama.cpp: tools/server/server.cpp (routes, ex_wrapper: std::invalid_argument -> 400,
//    any other exception -> 500), tools/server/utils.hpp|server-common.cpp
//    oaicompat_completion_params_parse ("\"prompt\" is required", "Only no echo is
//    supported", "Unsupported param: best_of|suffix", thrown as std::runtime_error, i.e. 500
//    {"code":500,...,"type":"server_error"} as seen in ggml-org/llama.cpp#10920),
//    format_error_response (integer code), server-task.cpp to_json_oaicompat (logprobs as
//    {"content":[{id,token,bytes,logprob,top_logprobs:[...]}]}), the --api-key middleware
//    (Bearer only; /health, /models, /v1/models public; 401 "Invalid API Key").
//  - Ollama: docs/api/openai-compatibility.mdx (/v1/completions: prompt "currently only
//    accepts a string"; best_of, echo, logit_bias, user, n unsupported), openai/openai.go
//    (CompletionRequest.Prompt is a Go string; NewError; ToCompletion: one choice, no
//    logprobs, fp_ollama; ToListCompletion), middleware/openai.go (CompletionsMiddleware:
//    bind errors -> 400; CompleteWriter: usage, [DONE]), server/routes.go GenerateHandler
//    ("model '%s' not found", empty prompt -> done_reason "load").

import type { IncomingHttpHeaders } from 'node:http';
import {
  completionFor,
  fnv1a,
  generateChoices,
  planFor,
  promptsOf,
  tokenId,
  utf8Bytes,
  type CompletionBody,
  type CompletionChunk,
  type CompletionLogprobs,
  type CompletionUsage,
} from './generate';

export const DIALECTS = ['openai', 'azure', 'azure-v1', 'vllm', 'llamacpp', 'ollama'] as const;
export type Dialect = (typeof DIALECTS)[number];
export type ServerDialect = Exclude<Dialect, 'openai'>;

/** A validation error of the server's own (OpenAI) rules, before a dialect shapes it. */
export interface StandardError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An answer: an object body is sent as JSON, a string body as text/plain. */
export interface Reply {
  status: number;
  body: unknown;
}

/** How the server's own request validation is relaxed for a dialect. */
export interface ValidationOptions {
  /** Accept any model name (llama.cpp serves its one loaded model whatever the name). */
  anyModel?: boolean;
  /** Highest `logprobs` accepted (OpenAI: 5). */
  maxLogprobs?: number;
  /** Most stop sequences accepted (OpenAI: 4). */
  maxStops?: number;
}

export interface Route {
  kind: 'completions' | 'models' | 'model' | 'unknown';
  /** llama.cpp's own /completion(s) endpoint rather than /v1/completions. */
  native?: boolean;
  deployment?: string;
  modelId?: string;
  /** Azure: the api-version query parameter (null when absent). */
  apiVersion?: string | null;
}

export type Prepared = { reply: Reply } | { request: Record<string, unknown>; options: ValidationOptions };

export interface ModelInfo {
  id: string;
  created: number;
  owned_by: string;
}

export interface DialectRules {
  readonly id: ServerDialect;
  /** Path after the origin for the base URL a client is given. */
  readonly basePath: string;
  /** Content type of JSON answers. */
  readonly jsonType: string;
  /** Whether a finished stream ends with `data: [DONE]`. */
  readonly streamDone: boolean;
  route(method: string, pathname: string, query: string): Route;
  /** Refusals of the route itself, before authentication (Azure's api-version). */
  refuseRoute(route: Route): Reply | null;
  auth(headers: IncomingHttpHeaders, requireApiKey: string | undefined, route: Route): Reply | null;
  notFound(method: string, pathname: string): Reply;
  /** The answer to a body that is not JSON; null: the server's standard 400, shaped. */
  parseError(text: string): Reply | null;
  /** Dialect refusals, then the request the generator gets and how to validate it. */
  prepare(body: Record<string, unknown>, route: Route): Prepared;
  /** Shape an error of the standard validation (or a scripted status) the dialect's way. */
  error(e: StandardError): Reply;
  body(body: CompletionBody, request: Record<string, unknown>, route: Route): unknown;
  chunk(chunk: CompletionChunk, request: Record<string, unknown>, route: Route): unknown;
  models(): Reply;
  model(id: string): Reply;
  /** Response headers of every answer (fresh object). */
  headers(requestNumber: number): Record<string, string | number>;
}

// ---------------------------------------------------------------------------------------
// helpers

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const present = (x: unknown): boolean => x !== undefined && x !== null;
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

function queryParam(query: string, name: string): string | null {
  return query === '' ? null : new URLSearchParams(query).get(name);
}

/** The token of an `Authorization: Bearer <token>` header (prefix matched exactly, as
 * vLLM's and llama.cpp's middlewares do). */
function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function segment(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

function openaiShape(e: StandardError): Reply {
  return { status: e.status, body: { error: { message: e.message, type: e.type, param: e.param, code: e.code } } };
}

// ---------------------------------------------------------------------------------------
// Azure OpenAI (classic deployments API, and the v1 API)

// Azure REST reference: api-version is YYYY-MM-DD or YYYY-MM-DD-preview. Any well-formed
// version is accepted here (the service accepts only the versions it has shipped).
const AZURE_API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
// The service, quoted in MicrosoftDocs/azure-docs#114602 and client issues: a route it does
// not serve, or a deployments/models route without api-version -> 404 with a string code.
const azureNotFound = (): Reply => ({ status: 404, body: { error: { code: '404', message: 'Resource not found' } } });
// A malformed or unknown api-version -> 400 (quoted in earendil-works/pi#2528, mindsdb#11563).
const azureBadVersion = (): Reply => ({ status: 400, body: { error: { code: 'BadRequest', message: 'API version not supported' } } });
// 401 of the key check (api-key header missing or wrong).
export const AZURE_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
// 401 when only `Authorization: Bearer` is sent: Azure takes it for an Entra ID token.
export const AZURE_BAD_TOKEN =
  'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.';
// 404 of a deployment name the resource does not have.
export const AZURE_NO_DEPLOYMENT =
  'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';

// "Content filtering" doc: non-streamed completions carry prompt_filter_results (one per
// prompt) and content_filter_results on each choice.
const SAFE = (): Record<string, { filtered: boolean; severity: string }> => ({
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
});

function azureBody(body: CompletionBody, request: Record<string, unknown>): unknown {
  const prompts = Math.max(1, promptsOf(request.prompt).length);
  return {
    ...body,
    prompt_filter_results: Array.from({ length: prompts }, (_, i) => ({ prompt_index: i, content_filter_results: SAFE() })),
    choices: body.choices.map((c) => ({ ...c, content_filter_results: SAFE() })),
  };
}

function azureHeaders(n: number): Record<string, string | number> {
  const hex = (fnv1a(String(n)) >>> 0).toString(16).padStart(8, '0');
  return { 'apim-request-id': `${hex}-0000-4000-8000-${String(n).padStart(12, '0')}`, 'x-request-id': `req_${n}`, 'x-ms-region': 'Sweden Central' };
}

// GET /openai/models?api-version=... lists models with Azure's fields (capabilities,
// lifecycle_status, created_at) instead of OpenAI's created/owned_by.
function azureModel(m: ModelInfo): Record<string, unknown> {
  return {
    id: m.id,
    object: 'model',
    created_at: m.created,
    status: 'succeeded',
    capabilities: { fine_tune: false, inference: true, completion: true, chat_completion: false, embeddings: false },
    lifecycle_status: 'generally-available',
  };
}

function azure(models: readonly ModelInfo[]): DialectRules {
  const ids = new Set(models.map((m) => m.id));
  return {
    id: 'azure',
    basePath: '', // the resource endpoint, e.g. https://NAME.openai.azure.com
    jsonType: 'application/json',
    streamDone: true,
    route(method, pathname, query) {
      const apiVersion = queryParam(query, 'api-version');
      // REST reference: POST /openai/deployments/{deployment-id}/completions?api-version=
      const m = /^\/openai\/deployments\/([^/]+)\/completions$/.exec(pathname);
      if (m && method === 'POST') return { kind: 'completions', deployment: decodeURIComponent(m[1]), apiVersion };
      if (method === 'GET' && pathname === '/openai/models') return { kind: 'models', apiVersion };
      const id = method === 'GET' ? segment(pathname, '/openai/models/') : undefined;
      if (id !== undefined) return { kind: 'model', modelId: id, apiVersion };
      return { kind: 'unknown' };
    },
    refuseRoute(route) {
      if (route.apiVersion === null || route.apiVersion === undefined) return azureNotFound();
      if (!AZURE_API_VERSION.test(route.apiVersion)) return azureBadVersion();
      return null;
    },
    auth(headers, key) {
      // REST reference: the key goes in the `api-key` header. A Bearer header is read as an
      // Entra ID token, so an API key sent that way is refused.
      if (key === undefined) return null;
      const apiKey = headers['api-key'];
      if (apiKey === key) return null;
      const message = apiKey === undefined && bearerToken(headers) !== undefined ? AZURE_BAD_TOKEN : AZURE_DENIED;
      return { status: 401, body: { error: { code: '401', message } } };
    },
    notFound: azureNotFound,
    parseError: () => null,
    prepare(body, route) {
      if (!ids.has(route.deployment ?? '')) {
        return { reply: { status: 404, body: { error: { code: 'DeploymentNotFound', message: AZURE_NO_DEPLOYMENT } } } };
      }
      // The deployment in the path picks the model; the body's `model` is ignored. The answer
      // reports the deployment name as `model` (deployments here are named after the models;
      // the real service reports the underlying model, e.g. "gpt-35-turbo-instruct").
      return { request: { ...body, model: route.deployment }, options: {} };
    },
    // Request validation errors come from the OpenAI service behind, in OpenAI's shape.
    error: openaiShape,
    body: (body, request) => azureBody(body, request),
    chunk: (chunk) => chunk,
    models: () => ({ status: 200, body: { data: models.map(azureModel), object: 'list' } }),
    model(id) {
      const m = models.find((x) => x.id === id);
      return m ? { status: 200, body: azureModel(m) } : azureNotFound();
    },
    headers: azureHeaders,
  };
}

// Azure OpenAI v1 API: OpenAI's paths under /openai/v1, no api-version needed, `model` names
// the deployment, key as `api-key` or as Bearer (the docs use the plain OpenAI client).
function azureV1(models: readonly ModelInfo[]): DialectRules {
  const ids = new Set(models.map((m) => m.id));
  const base = '/openai/v1';
  return {
    id: 'azure-v1',
    basePath: base,
    jsonType: 'application/json',
    streamDone: true,
    route(method, pathname) {
      if (method === 'POST' && pathname === `${base}/completions`) return { kind: 'completions' };
      if (method === 'GET' && pathname === `${base}/models`) return { kind: 'models' };
      const id = method === 'GET' ? segment(pathname, `${base}/models/`) : undefined;
      if (id !== undefined) return { kind: 'model', modelId: id };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    auth(headers, key) {
      if (key === undefined || headers['api-key'] === key || bearerToken(headers) === key) return null;
      return { status: 401, body: { error: { message: AZURE_DENIED, type: 'invalid_request_error', param: null, code: '401' } } };
    },
    notFound: azureNotFound,
    parseError: () => null,
    prepare(body) {
      if (typeof body.model === 'string' && body.model !== '' && !ids.has(body.model)) {
        return {
          reply: { status: 404, body: { error: { message: AZURE_NO_DEPLOYMENT, type: 'invalid_request_error', param: null, code: 'DeploymentNotFound' } } },
        };
      }
      return { request: body, options: {} };
    },
    error: openaiShape,
    body: (body, request) => azureBody(body, request),
    chunk: (chunk) => chunk,
    models: () => ({ status: 200, body: { data: models.map(azureModel), object: 'list' } }),
    model(id) {
      const m = models.find((x) => x.id === id);
      return m ? { status: 200, body: azureModel(m) } : openaiShape({ status: 404, message: AZURE_NO_DEPLOYMENT, type: 'invalid_request_error', param: null, code: 'DeploymentNotFound' });
    },
    headers: azureHeaders,
  };
}

// ---------------------------------------------------------------------------------------
// vLLM

function vllmType(status: number): string {
  // serving_engine.py create_error_response: err_type "BadRequestError" by default,
  // "NotFoundError" for unknown models; server errors "InternalServerError".
  if (status === 404) return 'NotFoundError';
  if (status === 501) return 'NotImplementedError';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequestError';
}

/** protocol.py ErrorResponse (vLLM <= 0.10.0): flat, `code` is the HTTP status (integer). */
function vllmError(status: number, message: string): Reply {
  return { status, body: { object: 'error', message, type: vllmType(status), param: null, code: status } };
}

function vllm(models: readonly ModelInfo[]): DialectRules {
  const ids = new Set(models.map((m) => m.id));
  return {
    id: 'vllm',
    basePath: '/v1',
    jsonType: 'application/json',
    streamDone: true,
    route(method, pathname) {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      if (method === 'GET' && pathname === '/v1/models') return { kind: 'models' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    auth(headers, key) {
      // api_server.py: with --api-key, every /v1 path needs exactly "Bearer <key>".
      if (key === undefined || headers.authorization === `Bearer ${key}`) return null;
      return { status: 401, body: { error: 'Unauthorized' } };
    },
    // FastAPI's answer to a route it does not have.
    notFound: () => ({ status: 404, body: { detail: 'Not Found' } }),
    parseError: () => null,
    prepare(body) {
      // protocol.py CompletionRequest: model is optional (the first served model).
      const request: Record<string, unknown> = present(body.model) ? { ...body } : { ...body, model: models[0]?.id };
      // serving_engine.py _check_model: 404 NotFoundError.
      if (typeof request.model === 'string' && !ids.has(request.model)) return { reply: vllmError(404, `The model \`${request.model}\` does not exist.`) };
      // serving_completion.py: "suffix is not currently supported" (400), whatever its value.
      if (present(body.suffix)) return { reply: vllmError(400, 'suffix is not currently supported') };
      // v1/engine/processor.py _validate_supported_sampling_params: best_of > 1 -> ValueError -> 400.
      if (typeof body.best_of === 'number' && body.best_of > 1) return { reply: vllmError(400, 'vLLM V1 does not yet support best_of.') };
      // Extra sampling parameters (top_k, min_p, repetition_penalty, ...) are accepted; the
      // default --max-logprobs is 20; no limit on stop sequences.
      return { request, options: { maxLogprobs: 20, maxStops: Infinity } };
    },
    error: (e) => vllmError(e.status, e.message),
    body: (body) => body,
    chunk: (chunk) => chunk,
    models: () => ({
      status: 200,
      body: { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'vllm', root: m.id, parent: null, max_model_len: 4096 })) },
    }),
    model: () => ({ status: 404, body: { detail: 'Not Found' } }),
    headers: () => ({}),
  };
}

// ---------------------------------------------------------------------------------------
// llama.cpp server

// server.cpp format_error_response: {code:<int>, message, type}, wrapped in {"error": ...}.
function llamaType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 501:
      return 'not_supported_error';
    case 503:
      return 'unavailable_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

function llamaError(status: number, message: string): Reply {
  return { status, body: { error: { code: status, message, type: llamaType(status) } } };
}

// oaicompat_completion_params_parse throws std::runtime_error, which ex_wrapper (and the
// older exception handler) answers as 500 server_error: see ggml-org/llama.cpp#10920.
const llamaThrown = (message: string): Reply => llamaError(500, message);

/** DEFAULT_OAICOMPAT_MODEL: the model reported when the request names none. */
export const LLAMA_DEFAULT_MODEL = 'gpt-3.5-turbo';
/** system_fingerprint is the build, "b<number>-<commit>". */
export const LLAMA_FINGERPRINT = 'b5000-0demo000';

interface ChatTokenLogprob {
  id: number;
  token: string;
  bytes: number[];
  logprob: number;
  top_logprobs: Array<{ id: number; token: string; bytes: number[]; logprob: number }>;
}

/** server-task.cpp to_json_oaicompat: logprobs of /v1/completions in the chat style,
 * {content: [{id, token, bytes, logprob, top_logprobs: [{id, token, bytes, logprob}]}]},
 * with the numbers of the generator's classic logprobs; null without logprobs (n_probs 0). */
export function chatStyleLogprobs(lp: CompletionLogprobs | null): { content: ChatTokenLogprob[] } | null {
  if (!lp || lp.tokens.length === 0) return null;
  return {
    content: lp.tokens.map((token, i) => ({
      id: tokenId(token),
      token,
      bytes: utf8Bytes(token),
      logprob: lp.token_logprobs[i],
      top_logprobs: Object.entries(lp.top_logprobs[i]).map(([t, logprob]) => ({ id: tokenId(t), token: t, bytes: utf8Bytes(t), logprob })),
    })),
  };
}

const llamaId = (id: string): string => `chatcmpl-${id.startsWith('cmpl-') ? id.slice(5) : id}`;
const wantsProbs = (request: Record<string, unknown>): boolean => isInt(request.logprobs) && request.logprobs > 0;

/** The stop sequence that ended a choice: the earliest in the text generated without stops. */
function stoppingWord(request: Record<string, unknown>, index: number): string {
  const stop = request.stop;
  const stops = (typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : []).filter((s): s is string => typeof s === 'string' && s !== '');
  const free = completionFor({ ...request, stop: null }, { id: '', created: 0 }).body.choices[index]?.text ?? '';
  let best = '';
  let at = -1;
  for (const s of stops) {
    const i = free.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      best = s;
    }
  }
  return best;
}

/** The native /completion answer (tools/server/README.md "POST /completion"). */
function llamaNative(body: CompletionBody, request: Record<string, unknown>): unknown {
  const plan = planFor(request);
  const generated = generateChoices(plan);
  const results = body.choices.map((c, i) => ({
    index: c.index,
    content: c.text,
    tokens: [],
    id_slot: 0,
    stop: true,
    model: body.model,
    tokens_predicted: generated[i]?.completionTokens ?? 0,
    tokens_evaluated: plan.prompts[Math.floor(i / plan.n)]?.tokenCount ?? 0,
    prompt: plan.prompts[Math.floor(i / plan.n)]?.text ?? '',
    has_new_line: c.text.includes('\n'),
    truncated: false,
    stop_type: c.finish_reason === 'stop' ? 'word' : 'limit',
    stopping_word: c.finish_reason === 'stop' ? stoppingWord(request, i) : '',
    tokens_cached: 0,
  }));
  return results.length === 1 ? results[0] : results;
}

function llamacpp(models: readonly ModelInfo[]): DialectRules {
  const PUBLIC = new Set(['models']);
  return {
    id: 'llamacpp',
    basePath: '/v1',
    jsonType: 'application/json; charset=utf-8',
    // Streams end when the response ends, with no `data: [DONE]`: llama.cpp builds of 2024
    // and forks such as ik_llama.cpp (ik_llama.cpp#467). Current ggml-org builds write
    // [DONE] on OpenAI-compatible routes (server.cpp: `if (oaicompat != NONE) ev_done`), so a
    // client must accept both endings.
    streamDone: false,
    route(method, pathname) {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      // server.cpp: "/completion" (legacy) and "/completions" are the native endpoint.
      if (method === 'POST' && (pathname === '/completions' || pathname === '/completion')) return { kind: 'completions', native: true };
      if (method === 'GET' && (pathname === '/v1/models' || pathname === '/models')) return { kind: 'models' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    auth(headers, key, route) {
      // --api-key: "Authorization: Bearer <key>"; /health, /models, /v1/models are public.
      if (key === undefined || PUBLIC.has(route.kind) || bearerToken(headers) === key) return null;
      return llamaError(401, 'Invalid API Key');
    },
    // httplib's 404, turned into JSON by the server's error handler.
    notFound: () => llamaError(404, 'File Not Found'),
    // nlohmann::json::parse throws json::parse_error, a std::exception -> 500.
    parseError: () => llamaThrown('[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - invalid literal'),
    prepare(body, route) {
      const model = typeof body.model === 'string' && body.model !== '' ? body.model : LLAMA_DEFAULT_MODEL;
      if (route.native) {
        // The native endpoint reads n_predict and knows none of OpenAI's extra keys.
        const request: Record<string, unknown> = { ...body, model };
        if (isInt(body.n_predict)) request.max_tokens = body.n_predict >= 0 ? body.n_predict : 16;
        for (const k of ['n', 'echo', 'best_of', 'suffix', 'logprobs', 'stream_options']) delete request[k];
        return { request, options: { anyModel: true, maxStops: Infinity } };
      }
      // oaicompat_completion_params_parse, in its order.
      if (!has(body, 'prompt')) return { reply: llamaThrown('"prompt" is required') };
      if (body.echo === true) return { reply: llamaThrown('Only no echo is supported') };
      for (const k of ['best_of', 'suffix']) if (has(body, k)) return { reply: llamaThrown(`Unsupported param: ${k}`) };
      // Any model name is served by the one loaded model; logprobs (n_probs) has no cap of 5.
      return { request: { ...body, model }, options: { anyModel: true, maxLogprobs: 100, maxStops: Infinity } };
    },
    error: (e) => llamaError(e.status, e.message),
    body(body, request, route) {
      if (route.native) return llamaNative(body, request);
      const probs = wantsProbs(request);
      return {
        choices: body.choices.map((c) => ({ text: c.text, index: c.index, logprobs: probs ? chatStyleLogprobs(c.logprobs) : null, finish_reason: c.finish_reason })),
        created: body.created,
        model: body.model,
        system_fingerprint: LLAMA_FINGERPRINT,
        object: 'text_completion',
        usage: body.usage,
        id: llamaId(body.id),
      };
    },
    chunk(chunk, request, route) {
      if (route.native) {
        const c = chunk.choices[0];
        return { index: c?.index ?? 0, content: c?.text ?? '', tokens: [], stop: c ? c.finish_reason !== null : true, id_slot: 0 };
      }
      const probs = wantsProbs(request);
      const out: Record<string, unknown> = {
        choices: chunk.choices.map((c) => ({ text: c.text, index: c.index, logprobs: probs ? chatStyleLogprobs(c.logprobs) : null, finish_reason: c.finish_reason })),
        created: chunk.created,
        model: chunk.model,
        system_fingerprint: LLAMA_FINGERPRINT,
        object: 'text_completion',
        id: llamaId(chunk.id),
      };
      if (chunk.usage !== undefined) out.usage = chunk.usage;
      return out;
    },
    models: () => ({ status: 200, body: { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'llamacpp', meta: null })) } }),
    model: () => llamaError(404, 'File Not Found'),
    headers: () => ({ server: 'llama.cpp' }),
  };
}

// ---------------------------------------------------------------------------------------
// Ollama

// openai/openai.go NewError: {error:{message, type, param:null, code:null}}.
function ollamaError(status: number, message: string): Reply {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return { status, body: { error: { message, type, param: null, code: null } } };
}

/** Go's encoding/json name of a JSON value's kind, as in its UnmarshalTypeError. */
function goKind(x: unknown): string {
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'boolean') return 'bool';
  return typeof x === 'object' ? 'object' : typeof x;
}

const ZERO_USAGE = (): CompletionUsage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
const ollamaId = (id: string): string => `cmpl-${fnv1a(id) % 999}`;

function ollama(models: readonly ModelInfo[]): DialectRules {
  const ids = new Set(models.map((m) => m.id));
  const listed = (m: ModelInfo) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'library' });
  return {
    id: 'ollama',
    basePath: '/v1',
    jsonType: 'application/json; charset=utf-8',
    streamDone: true,
    route(method, pathname) {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      if (method === 'GET' && pathname === '/v1/models') return { kind: 'models' };
      const id = method === 'GET' ? segment(pathname, '/v1/models/') : undefined;
      if (id !== undefined) return { kind: 'model', modelId: id };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    // OpenAI-compatibility doc: the client needs an API key, "but Ollama ignores it".
    auth: () => null,
    // gin's default 404: text/plain "404 page not found".
    notFound: () => ({ status: 404, body: '404 page not found' }),
    // CompletionsMiddleware: a body gin cannot bind -> 400 with Go's decoder message.
    parseError: (text) =>
      ollamaError(400, /^\s*[{["\-0-9tfn]/.test(text) ? 'unexpected EOF' : `invalid character '${text.trim().charAt(0)}' looking for beginning of value`),
    prepare(body) {
      // openai.go CompletionRequest: Model and Prompt are Go strings, so any other JSON kind
      // fails to bind (400). The doc: "prompt currently only accepts a string".
      for (const field of ['model', 'prompt']) {
        const v = body[field];
        if (present(v) && typeof v !== 'string') {
          return { reply: ollamaError(400, `json: cannot unmarshal ${goKind(v)} into Go struct field CompletionRequest.${field} of type string`) };
        }
      }
      const model = typeof body.model === 'string' ? body.model : '';
      // routes.go GenerateHandler: an unknown (or empty) model -> 404.
      if (!ids.has(model)) return { reply: ollamaError(404, `model '${model}' not found`) };
      if (isInt(body.logprobs) && (body.logprobs < 0 || body.logprobs > 20)) return { reply: ollamaError(400, 'top_logprobs must be between 0 and 20') };
      // Not in CompletionRequest, so ignored: n (always one choice), echo, best_of,
      // logit_bias, user. logprobs binds but ToCompletion never reports them.
      const request: Record<string, unknown> = { ...body, prompt: typeof body.prompt === 'string' ? body.prompt : '' };
      for (const k of ['n', 'echo', 'best_of', 'logit_bias', 'user', 'logprobs']) delete request[k];
      // GenerateHandler: an empty prompt only loads the model (done_reason "load").
      if (request.prompt === '') request.max_tokens = 0;
      return { request, options: { maxStops: Infinity } };
    },
    error: (e) => ollamaError(e.status, e.message),
    body(body, request) {
      const load = request.prompt === '';
      // openai.go ToCompletion: one choice {text, index, finish_reason}, no logprobs.
      return {
        id: ollamaId(body.id),
        object: 'text_completion',
        created: body.created,
        model: body.model,
        system_fingerprint: 'fp_ollama',
        choices: body.choices.slice(0, 1).map((c) => ({ text: c.text, index: 0, finish_reason: load ? 'load' : c.finish_reason })),
        usage: load ? ZERO_USAGE() : body.usage,
      };
    },
    chunk(chunk, request) {
      const load = request.prompt === '';
      const out: Record<string, unknown> = {
        id: ollamaId(chunk.id),
        object: 'text_completion',
        created: chunk.created,
        choices: chunk.choices.map((c) => ({ text: c.text, index: 0, finish_reason: c.finish_reason && load ? 'load' : c.finish_reason })),
        model: chunk.model,
        system_fingerprint: 'fp_ollama',
      };
      // middleware/openai.go CompleteWriter: with include_usage every chunk has a zero usage,
      // then a chunk with no choices carries the real one.
      if (chunk.usage !== undefined) out.usage = chunk.choices.length === 0 && chunk.usage && !load ? chunk.usage : ZERO_USAGE();
      return out;
    },
    models: () => ({ status: 200, body: { object: 'list', data: models.map(listed) } }),
    model(id) {
      const m = models.find((x) => x.id === id);
      return m ? { status: 200, body: listed(m) } : ollamaError(404, `model '${id}' not found`);
    },
    headers: () => ({}),
  };
}

// ---------------------------------------------------------------------------------------

export function isDialect(x: unknown): x is Dialect {
  return (DIALECTS as readonly unknown[]).includes(x);
}

/** The rules of a dialect, for a server that serves `models` (its deployments, for Azure). */
export function createDialect(id: ServerDialect, models: readonly ModelInfo[]): DialectRules {
  switch (id) {
    case 'azure':
      return azure(models);
    case 'azure-v1':
      return azureV1(models);
    case 'vllm':
      return vllm(models);
    case 'llamacpp':
      return llamacpp(models);
    case 'ollama':
      return ollama(models);
  }
}
