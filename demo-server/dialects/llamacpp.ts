// llama.cpp's llama-server.
//
// Sources, cited per rule:
//  - "rec NN": the answers of a real llama-server, build b10359 (commit 84f7129), recorded in
//    test/fixtures/llama.cpp/NN-*.txt (started with --ctx-size 256 -np 4);
//  - "v0.5.0 NN": the answers of a newer build (tag v0.5.0, commit de3ff81, the tree bundled by
//    node-llama-cpp 3.22.1), the same requests and more (tokenize, props, n:4, overflow);
//  - "v0.5.0 file:line": that tree's source, tools/server/.
// The two builds agree on everything below except the output-parser failure of rec 28/29
// (fixed upstream, ggml-org/llama.cpp#27543), which only a scripted fault reproduces here.

import type { IncomingHttpHeaders } from 'node:http';
import { has, isObject } from './common';
import { nativeShaper, oaiShaper, type Task } from './llamacpp/answers';
import { LLAMA_CONTEXT_LENGTH, LLAMA_MODEL_PATH } from './llamacpp/constants';
import { detokenize, modelsBody, propsBody, tokenize } from './llamacpp/endpoints';
import { fieldRefusal, fieldValue, generatorPrompt, httpError, jsonTypeName, parseError, parsePrompts, schema, subpromptTokens, taskError } from './llamacpp/request';
import type { DialectRules, DialectSettings, Incoming, Prepared, Route } from './types';

export { chatStyleLogprobs } from './llamacpp/answers';
export { LLAMA_CONTEXT_LENGTH, LLAMA_DEFAULT_MODEL, LLAMA_FINGERPRINT, LLAMA_MODEL_PATH } from './llamacpp/constants';

// ---------------------------------------------------------------------------------------

/** The API key a request carries: Authorization with or without "Bearer ", else X-Api-Key
 * (v0.5.0 server-http.cpp:270-285). */
function requestKey(headers: IncomingHttpHeaders): string {
  let key = typeof headers.authorization === 'string' ? headers.authorization : '';
  if (key === '') key = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : '';
  return key.startsWith('Bearer ') ? key.slice(7) : key;
}

export function llamacpp(settings: DialectSettings): DialectRules {
  const contextLength = settings.contextLength ?? LLAMA_CONTEXT_LENGTH;
  const slots = settings.slots;
  const fields = schema(slots);

  function prepareTask(body: Record<string, unknown>, native: boolean): Prepared {
    // rec 30: no prompt -> data.at("prompt") throws out_of_range, answered as a bad request.
    if (!has(body, 'prompt')) return { reply: taskError(400, "[json.exception.out_of_range.403] key 'prompt' not found") };
    const prompts = parsePrompts(body.prompt);
    if (!Array.isArray(prompts)) return { reply: prompts };
    const refused = fieldRefusal(body, fields);
    if (refused) return { reply: refused };
    const counts = prompts.map(subpromptTokens);
    // rec 26, 27 (v0.5.0 server-context.cpp:3207-3214): a prompt that does not leave room in
    // the slot's context is a 400 of its own type, with the numbers as fields too; streamed
    // it is the same plain JSON answer (the first error of a stream is not sent as SSE).
    for (const n of counts) {
      if (n >= contextLength) {
        return {
          reply: taskError(400, `request (${n} tokens) exceeds the available context size (${contextLength} tokens), try increasing it`, { n_prompt_tokens: n, n_ctx: contextLength }, 'exceed_context_size_error'),
        };
      }
    }
    const n = Math.trunc(Number(fieldValue(body, ['n_cmpl', 'n'])?.value ?? 1));
    const nProbs = Math.trunc(Number(fieldValue(body, ['n_probs', 'logprobs'])?.value ?? 0));
    const requested = Math.trunc(Number(fieldValue(body, ['n_predict', 'max_completion_tokens', 'max_tokens'])?.value ?? -1));
    // v0.5.0 server-context.cpp:1884-1898: at least one token is generated (max_tokens 0
    // gives one, as the v0.5.0 server answered), and generation stops when the context is full
    // (v0.5.0 63: 254 tokens after a prompt of 2 in a context of 256).
    const room = Math.max(1, contextLength - Math.max(...counts));
    const maxTokens = requested < 0 ? room : Math.min(Math.max(1, requested), room);
    const temperature = fieldValue(body, ['temperature'])?.value;
    const task: Task = {
      promptTokens: counts,
      maxTokens,
      n,
      postSampling: body.post_sampling_probs === true,
      greedy: typeof temperature === 'number' && temperature <= 0,
      wantsProbs: nProbs > 0,
    };
    // Any `model` is served by the loaded one (rec 02, 03); echo, best_of and suffix are
    // accepted and ignored (rec 13, 15, 16, 17); stop: empty strings are skipped (schema
    // `stop` handler); stream_options changes nothing (rec 05).
    const request: Record<string, unknown> = {
      model: LLAMA_MODEL_PATH,
      prompt: prompts.length === 1 ? generatorPrompt(prompts[0]) : prompts.map(generatorPrompt),
      n,
      max_tokens: maxTokens,
      stop: body.stop,
      seed: body.seed,
      logprobs: nProbs > 0 ? nProbs : null,
      stream: body.stream === true,
    };
    if (native) return { request, shaper: nativeShaper({ ...request, temperature, stop: body.stop, seed: body.seed }, task, prompts) };
    return { request, shaper: oaiShaper(task) };
  }

  return {
    id: 'llamacpp',
    basePath: '/v1',
    jsonType: 'application/json; charset=utf-8',
    // v0.5.0 server.cpp:251-278: the routes.
    route(method, pathname): Route {
      if (method === 'POST' && pathname === '/v1/completions') return { kind: 'completions' };
      if (method === 'POST' && (pathname === '/completions' || pathname === '/completion')) return { kind: 'completions', native: true };
      if (method === 'GET' && (pathname === '/v1/models' || pathname === '/models')) return { kind: 'models' };
      if (method === 'GET' && (pathname === '/health' || pathname === '/v1/health')) return { kind: 'endpoint', endpoint: 'health' };
      if (method === 'GET' && pathname === '/props') return { kind: 'endpoint', endpoint: 'props' };
      if (method === 'POST' && pathname === '/tokenize') return { kind: 'endpoint', endpoint: 'tokenize' };
      if (method === 'POST' && pathname === '/detokenize') return { kind: 'endpoint', endpoint: 'detokenize' };
      return { kind: 'unknown' };
    },
    refuseRoute: () => null,
    // v0.5.0 server-http.cpp:250-300: with --api-key only /health and /v1/health are public
    // (builds before it also left /models and /v1/models open); 401 "Invalid API Key".
    auth(headers, key, route) {
      if (key === undefined || route.endpoint === 'health' || requestKey(headers) === key) return null;
      return httpError(401, 'Invalid API Key', 'authentication_error');
    },
    // v0.5.0 server-http.cpp:199-210: httplib's 404 as JSON.
    notFound: () => httpError(404, 'File Not Found', 'not_found_error'),
    prepare(incoming: Incoming, route) {
      if (!incoming.parsed) return { reply: parseError(incoming.text) };
      const body = incoming.body;
      if (!isObject(body)) return { reply: taskError(400, `[json.exception.type_error.304] cannot use at() with ${jsonTypeName(body)}`) };
      return prepareTask(body, route.native === true);
    },
    error: (e) => taskError(e.status, e.message),
    models: () => ({ status: 200, body: modelsBody(contextLength) }),
    model: () => httpError(404, 'File Not Found', 'not_found_error'),
    endpoint(route, incoming) {
      // rec 32: {"status":"ok"}.
      if (route.endpoint === 'health') return { status: 200, body: { status: 'ok' } };
      if (route.endpoint === 'props') return { status: 200, body: propsBody(contextLength, slots) };
      if (!incoming.parsed) return parseError(incoming.text);
      const body = isObject(incoming.body) ? incoming.body : {};
      return route.endpoint === 'tokenize' ? tokenize(body) : detokenize(body);
    },
    // rec 01: "Server: llama.cpp" and an empty "Access-Control-Allow-Origin".
    headers: () => ({ server: 'llama.cpp', 'access-control-allow-origin': '' }),
    // rec 04: "X-Accel-Buffering: no" on streams.
    streamHeaders: () => ({ 'x-accel-buffering': 'no' }),
    // v0.5.0 server-http.cpp:305-325: until the model is loaded every endpoint, /health too,
    // answers 503 "Loading model".
    loading: () => httpError(503, 'Loading model', 'unavailable_error'),
    quota: () => null,
  };
}
