// LocalAI.
//
// Sources: the mudler/LocalAI snapshot at 82c191a (v4.9.0-22; no diff from v4.9.0 in these
// files): core/http/endpoints/openai/completion.go, inference.go (ComputeChoices),
// chat_emit.go (streamUsageTrailerJSON), core/http/middleware/request.go, core/schema/
// (openai.go, prediction.go, tokenize.go, model_loading.go), core/http/app.go (error
// handler, 503 answers), core/http/render.go (404), core/http/auth/middleware.go (401),
// core/services/nodes/model_loading_error.go, routes/openai.go, routes/localai.go; the
// research notes §4.

import { alnum } from '../hash';
import { DEFAULT_MODEL } from '../models';
import type { CompletionBody, CompletionChunk, Generation } from '../generate';
import { countPieces, decode, encode } from '../tokenizer';
import { chatStyleLogprobs } from './llamacpp';
import { bearerToken, DONE, isInt, isObject } from './common';
import type { DialectRules, DialectSettings, Incoming, Prepared, Reply, Route, StandardError } from './types';

// schema/openai.go APIError: code (any, omitempty), message, param (omitempty), type (not
// omitempty: "" when unset); app.go's handler sends errors it did not build with the
// status as code and err.Error() as message, which for an echo.HTTPError reads
// "code=400, message=..." (Echo v4 HTTPError.Error()).
function localError(status: number, message: string, type = ''): Reply {
  return { status, body: { error: { code: status, message, type } } };
}
const echoError = (status: number, message: string): Reply => localError(status, `code=${status}, message=${message}`);

/** A UUID-looking id (completion.go: X-Correlation-ID or uuid.New()). */
function uuid(seed: string): string {
  const hex = alnum(seed, 32)
    .split('')
    .map((c) => (c.charCodeAt(0) % 16).toString(16))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The index of the choice whose chunk the generator yields last (chunksOf: round-robin). */
function lastChoice(g: Generation): number {
  const steps = g.choices.reduce((m, c) => Math.max(m, c.pieces.length, 1), 0);
  let last = 0;
  for (const c of g.choices) if (Math.max(c.pieces.length, 1) === steps) last = c.index;
  return last;
}

/** Go's time.Duration printed after Round(time.Minute). */
function goMinutes(seconds: number): string {
  const m = Math.round(seconds / 60);
  if (m === 0) return '0s';
  return m >= 60 ? `${Math.floor(m / 60)}h${m % 60}m0s` : `${m}m0s`;
}

export function localai(settings: DialectSettings): DialectRules {
  const ids = new Set(settings.models.map((m) => m.id));

  // request.go SetModelAndConfig:155-167: a named model that does not exist -> 404.
  const unknownModel = (model: string): Reply =>
    localError(404, `model ${JSON.stringify(model)} not found. To see available models, call GET /v1/models`, 'invalid_request_error');

  function prepare(incoming: Incoming, route: Route): Prepared {
    // request.go SetModelAndConfig: c.Bind failing -> 400 "failed parsing request body: ...".
    if (!incoming.parsed && !incoming.empty) return { reply: echoError(400, `failed parsing request body: invalid character in JSON body`) };
    const body = incoming.empty ? {} : incoming.body;
    if (!isObject(body)) return { reply: echoError(400, 'failed parsing request body: cannot unmarshal into schema.OpenAIRequest') };
    // routes/openai.go:124-139: a missing model is the first model that can complete; the
    // engines route names it in the path.
    const model = route.modelId ?? (typeof body.model === 'string' && body.model !== '' ? body.model : DEFAULT_MODEL);
    if (!model.includes('/') && !ids.has(model)) return { reply: unknownModel(model) };
    // request.go:631-640: the prompt is `any`; only strings are kept (a string, or the string
    // elements of an array): token-id prompts are dropped without a word.
    const strings = typeof body.prompt === 'string' ? [body.prompt] : Array.isArray(body.prompt) ? body.prompt.filter((p): p is string => typeof p === 'string') : [];
    const stream = body.stream === true;
    // completion.go:22-31 (issue #11021): a stream needs exactly one prompt string.
    if (stream && strings.length !== 1) return { reply: echoError(400, 'streaming completions require exactly one prompt string') };
    // prediction.go LogprobsValue: a boolean, an integer > 0 counting as true; the number of
    // alternatives comes from top_logprobs, default 1 (inference.go:78-93).
    const logprobsOn = body.logprobs === true || (isInt(body.logprobs) && body.logprobs > 0);
    const top = isInt(body.top_logprobs) && body.top_logprobs > 0 ? body.top_logprobs : 1;
    const n = isInt(body.n) && body.n > 0 ? body.n : 1;
    const request: Record<string, unknown> = {
      model,
      prompt: strings.length === 1 ? strings[0] : strings,
      n,
      max_tokens: isInt(body.max_tokens) ? body.max_tokens : isInt(body.max_completion_tokens) ? body.max_completion_tokens : undefined,
      // request.go:372-383: a string or the string elements of an array.
      stop: typeof body.stop === 'string' ? body.stop : Array.isArray(body.stop) ? body.stop.filter((s) => typeof s === 'string') : undefined,
      seed: body.seed,
      // core/backend/llm.go:473-476 Finetune: echo prepends the (templated) prompt, not in streams.
      echo: !stream && body.echo === true,
      logprobs: logprobsOn && !stream ? top : null,
      stream,
    };
    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    return { request, shaper: shaper(model, strings, n, logprobsOn && !stream, includeUsage) };
  }

  function shaper(model: string, prompts: string[], n: number, logprobs: boolean, includeUsage: boolean) {
    return {
      // completion.go:253-300: one choice per generation, its index the prompt's (so the n
      // choices of a prompt share it), finish_reason always "stop", text omitted when empty,
      // logprobs in the chat shape; usage 0 (only timings are summed since 96f8ec040); no
      // prompt strings -> no choices, and `choices` is omitempty, so it is left out.
      body(body: CompletionBody): unknown {
        const choices = body.choices.map((c) => {
          const choice: Record<string, unknown> = { index: Math.floor(c.index / n), finish_reason: 'stop' };
          if (c.text !== '') choice.text = c.text;
          const lp = logprobs ? chatStyleLogprobs(c.logprobs) : null;
          if (lp) choice.logprobs = lp;
          return choice;
        });
        const out: Record<string, unknown> = { created: body.created, object: 'text_completion', id: uuid(body.id), model };
        if (prompts.length > 0 && choices.length > 0) out.choices = choices;
        out.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
        return out;
      },
      // completion.go:152-223: a chunk per token (index 0, usage stripped), then a chunk with
      // finish_reason "stop" and no text; with include_usage a trailer whose object is
      // "chat.completion.chunk" (chat_emit.go:52-70); then [DONE]. The n generations run one
      // after another, all under index 0 (inference.go:111).
      events(chunk: CompletionChunk, g: Generation): unknown[] {
        const c = chunk.choices[0];
        if (!c) return [];
        const head = { created: chunk.created, object: 'text_completion', id: uuid(chunk.id), model };
        const token = (text: string) => ({ ...head, choices: [{ index: 0, finish_reason: null, text }] });
        const out: unknown[] = [];
        // The generator interleaves choices; LocalAI's n generations follow each other, so
        // with n > 1 they are all sent, in order, when the last chunk comes.
        if (n === 1 && c.text !== '') out.push(token(c.text));
        if (c.finish_reason === null || c.index !== lastChoice(g)) return out;
        if (n > 1) for (const choice of g.choices) for (const [text] of choice.pieces) if (text !== '') out.push(token(text));
        out.push({ ...head, choices: [{ index: 0, finish_reason: 'stop' }] });
        if (includeUsage) {
          const completion = g.choices[g.choices.length - 1]?.completionTokens ?? 0;
          const promptTokens = countPieces(prompts[0] ?? '');
          out.push({ id: uuid(chunk.id), created: chunk.created, model, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion } });
        }
        return out;
      },
      end: DONE,
      // completion.go:185-211: a failure once SSE has started is a chunk whose text is
      // "Internal error: <err>" with finish_reason "stop", and no [DONE] follows.
      failure: (message: string, g: Generation) => ({
        events: [{ created: g.meta.created, object: 'text_completion', id: uuid(g.meta.id), model, choices: [{ index: 0, finish_reason: 'stop', text: `Internal error: ${message}` }] }],
        end: '',
      }),
    };
  }

  // localai/tokenize.go, schema/tokenize.go: {model, content} -> {tokens}; {model, tokens} ->
  // {content}; the model resolved as for completions (routes/localai.go:439-449).
  function tokenizeEndpoint(route: Route, incoming: Incoming): Reply {
    if (!incoming.parsed || !isObject(incoming.body)) return echoError(400, 'failed parsing request body: invalid JSON');
    const body = incoming.body;
    const model = typeof body.model === 'string' && body.model !== '' ? body.model : DEFAULT_MODEL;
    if (!model.includes('/') && !ids.has(model)) return unknownModel(model);
    if (route.endpoint === 'detokenize') {
      const tokens = Array.isArray(body.tokens) ? body.tokens.filter((t): t is number => isInt(t)) : [];
      return { status: 200, body: { content: decode(tokens) } };
    }
    return { status: 200, body: { tokens: encode(typeof body.content === 'string' ? body.content : '') } };
  }

  return {
    id: 'localai',
    basePath: '/v1',
    jsonType: 'application/json',
    route(method, pathname): Route {
      // routes/openai.go:137-139.
      if (method === 'POST' && (pathname === '/v1/completions' || pathname === '/completions')) return { kind: 'completions' };
      const engine = /^\/v1\/engines\/([^/]+)\/completions$/.exec(pathname);
      if (method === 'POST' && engine) return { kind: 'completions', modelId: decodeURIComponent(engine[1]) };
      if (method === 'GET' && (pathname === '/v1/models' || pathname === '/models')) return { kind: 'models' };
      if (method === 'POST' && pathname === '/v1/tokenize') return { kind: 'endpoint', endpoint: 'tokenize' };
      if (method === 'POST' && pathname === '/v1/detokenize') return { kind: 'endpoint', endpoint: 'detokenize' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    // auth/middleware.go: the key as Bearer, x-api-key or xi-api-key; else 401 with
    // WWW-Authenticate: Bearer (authError).
    auth(headers, key, route) {
      if (key === undefined || route.kind === 'unknown') return null;
      if (bearerToken(headers) === key || headers['x-api-key'] === key || headers['xi-api-key'] === key) return null;
      return { ...localError(401, 'An authentication key is required', 'invalid_request_error'), headers: { 'www-authenticate': 'Bearer' } };
    },
    // render.go:33-46 notFoundHandler: JSON for API clients.
    notFound: () => localError(404, 'Resource not found'),
    prepare,
    error: (e: StandardError) => localError(e.status, e.message),
    // endpoints/openai/list.go: {object:"list", data:[{id, object}]}, no context length.
    models: () => ({ status: 200, body: { object: 'list', data: [...ids].map((id) => ({ id, object: 'model' })) } }),
    model: () => localError(404, 'Resource not found'),
    endpoint: tokenizeEndpoint,
    headers: (requestNumber) => ({ 'x-correlation-id': uuid(`corr-${requestNumber}`) }),
    // completion.go: Cache-Control no-cache, Connection keep-alive on streams.
    streamHeaders: () => ({ connection: 'keep-alive' }),
    // app.go:99-118 respondModelLoading (core/services/nodes/model_loading_error.go): a model
    // still loading on a worker -> 503 with Retry-After and the `loading` object.
    loading(_route, retryAfter) {
      const model = DEFAULT_MODEL;
      return {
        status: 503,
        body: {
          error: { code: 'model_loading', message: `model ${model} is loading (41%, ETA ~${goMinutes(retryAfter)})`, type: 'model_loading' },
          loading: { model, state: 'loading', progress: 41, bytes_sent: 41_000_000, total_bytes: 100_000_000, file_index: 0, total_files: 1, eta_seconds: retryAfter },
        },
        headers: { 'retry-after': String(Math.min(300, Math.max(5, retryAfter))) },
      };
    },
    quota: () => null,
  };
}

