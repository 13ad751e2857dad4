// Ollama's OpenAI compatibility layer.
//
// Sources: the ollama/ollama snapshot at fb30760 (v0.33.0-rc2; no diff from v0.32.15 in these
// files): openai/openai.go (CompletionRequest, FromCompleteRequest, ToCompletion,
// ToCompleteChunk, NewError, ToListCompletion, ToModel), middleware/openai.go
// (CompletionsMiddleware, CompleteWriter, BaseWriter.writeError), server/routes.go
// (GenerateHandler, scheduleRunner, handleScheduleError), server/images.go (capabilities),
// types/model/name.go (Name.String); the research notes §2.

import { fnv1a } from '../hash';
import type { CompletionBody, CompletionChunk, CompletionUsage } from '../generate';
import { countPieces } from '../tokenizer';
import { isInt, isObject, present, segment } from './common';
import type { DialectRules, DialectSettings, Incoming, ModelInfo, Prepared, Reply, Route, StandardError } from './types';

/** num_ctx when ServerOptions.contextLength is not given: routes.go:2048-2057, below 23 GiB of VRAM. */
export const OLLAMA_CONTEXT_LENGTH = 4096;
// gin's c.JSON (bind errors in the middleware) labels JSON with a charset; the completion
// writer and BaseWriter.writeError set a bare application/json.
const GIN_JSON = 'application/json; charset=utf-8';

// openai.go NewError: {error:{message, type, param:null, code:null}}, the type from the status.
function ollamaError(status: number, message: string, contentType?: string): Reply {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return { status, body: { error: { message, type, param: null, code: null } }, ...(contentType ? { contentType } : {}) };
}

/** Go's encoding/json name of a JSON value's kind, as in its UnmarshalTypeError. */
function goKind(x: unknown): string {
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return 'number';
  return typeof x === 'object' ? 'object' : typeof x;
}

/** %T of a decoded JSON value in Go. */
function goType(x: unknown): string {
  if (x === null) return '<nil>';
  if (Array.isArray(x)) return '[]interface {}';
  if (typeof x === 'number') return 'float64';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'string') return 'string';
  return 'map[string]interface {}';
}

// openai.go:148-163 CompletionRequest: the Go type of each field the middleware binds.
const FIELDS: Record<string, 'string' | 'int' | 'float32' | 'bool' | 'openai.StreamOptions'> = {
  model: 'string',
  prompt: 'string',
  frequency_penalty: 'float32',
  max_tokens: 'int',
  presence_penalty: 'float32',
  seed: 'int',
  stream: 'bool',
  stream_options: 'openai.StreamOptions',
  temperature: 'float32',
  top_p: 'float32',
  suffix: 'string',
  logprobs: 'int',
  _debug_render_only: 'bool',
};

/** The first UnmarshalTypeError Go's decoder reports for a body, in the body's key order. */
function bindError(body: Record<string, unknown>): string | null {
  for (const [key, value] of Object.entries(body)) {
    const type = FIELDS[key];
    if (!type || value === null) continue;
    const kind = goKind(value);
    const ok =
      (type === 'string' && kind === 'string') ||
      (type === 'bool' && kind === 'bool') ||
      (type === 'float32' && kind === 'number') ||
      (type === 'int' && kind === 'number') ||
      (type === 'openai.StreamOptions' && kind === 'object');
    if (!ok) return `json: cannot unmarshal ${kind} into Go struct field CompletionRequest.${key} of type ${type}`;
    if (type === 'int' && !Number.isInteger(value)) return `json: cannot unmarshal number ${value} into Go struct field CompletionRequest.${key} of type int`;
    if (type === 'openai.StreamOptions' && isObject(value) && present(value.include_usage) && typeof value.include_usage !== 'boolean') {
      return `json: cannot unmarshal ${goKind(value.include_usage)} into Go struct field CompletionRequest.stream_options.include_usage of type bool`;
    }
  }
  return null;
}

// The name a model is known by: "demo-instruct" means "demo-instruct:latest" in the
// default registry namespace (types/model/name.go).
const withTag = (name: string): string => (name.includes(':') ? name : `${name}:latest`);
const fullName = (name: string): string => `registry.ollama.ai/library/${withTag(name)}`;

const ZERO_USAGE = (): CompletionUsage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
// middleware/openai.go: id = fmt.Sprintf("cmpl-%d", rand.Intn(999)).
const ollamaId = (id: string): string => `cmpl-${fnv1a(id) % 999}`;

export function ollama(settings: DialectSettings): DialectRules {
  const known = new Map<string, ModelInfo>(settings.models.map((m) => [withTag(m.id), m]));
  const contextLength = settings.contextLength ?? OLLAMA_CONTEXT_LENGTH;
  // ToListCompletion: every local model, id with its tag, owned_by its namespace.
  const listed = (m: ModelInfo, id: string) => ({ id, object: 'model', created: m.created, owned_by: 'library' });

  function prepare(incoming: Incoming): Prepared {
    // CompletionsMiddleware: a body ShouldBindJSON cannot bind -> 400 with Go's decoder text.
    if (incoming.empty) return { reply: ollamaError(400, 'EOF', GIN_JSON) };
    if (!incoming.parsed) {
      const text = incoming.text.trimStart();
      const message = /^[{["\-0-9tfn]/.test(text) ? 'unexpected EOF' : `invalid character '${text.charAt(0)}' looking for beginning of value`;
      return { reply: ollamaError(400, message, GIN_JSON) };
    }
    const body = incoming.body;
    if (!isObject(body)) return { reply: ollamaError(400, `json: cannot unmarshal ${goKind(body)} into Go value of type openai.CompletionRequest`, GIN_JSON) };
    // openai.go:147-150: Prompt is a Go string ("TODO: support []string, []int and [][]int"),
    // so an array fails to bind like any other mistyped field.
    const bind = bindError(body);
    if (bind) return { reply: ollamaError(400, bind, GIN_JSON) };
    // FromCompleteRequest: every element of a stop array must be a string.
    if (Array.isArray(body.stop)) {
      const odd = body.stop.find((s) => typeof s !== 'string');
      if (odd !== undefined) return { reply: ollamaError(400, `invalid type for 'stop' field: ${goType(odd)}`, GIN_JSON) };
    }
    // routes.go:255: top_logprobs (from logprobs > 0) beyond 20, checked before the model.
    if (isInt(body.logprobs) && body.logprobs > 20) return { reply: ollamaError(400, 'top_logprobs must be between 0 and 20') };
    const model = typeof body.model === 'string' ? body.model : '';
    // routes.go:261-290 GenerateHandler: an unknown (or empty) model -> 404.
    if (!known.has(withTag(model))) return { reply: ollamaError(404, `model '${model}' not found`) };
    // routes.go:449-452 + scheduleRunner: a suffix needs the insert capability, which these
    // instruct models lack -> handleScheduleError 400 "<full name> does not support insert"
    // (images.go errCapabilities/errCapabilityInsert), before the empty-prompt load.
    if (typeof body.suffix === 'string' && body.suffix !== '') return { reply: ollamaError(400, `${fullName(model)} does not support insert`) };
    // Not in CompletionRequest, so ignored: n (always one choice), echo, best_of,
    // logit_bias, user; logprobs binds but ToCompletion never reports them (openai.go:407-447).
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    const request: Record<string, unknown> = {
      model,
      prompt,
      // max_tokens becomes num_predict; a negative one means no limit but the context. Absent,
      // a model stops at its end-of-text token; the demo model has none and stops at 16.
      max_tokens: isInt(body.max_tokens) && body.max_tokens >= 0 ? body.max_tokens : isInt(body.max_tokens) ? contextLength : undefined,
      stop: body.stop,
      seed: body.seed,
      stream: body.stream === true,
      stream_options: body.stream === true ? body.stream_options : undefined,
    };
    // routes.go:477-485: an empty prompt only loads the model (done_reason "load").
    const load = prompt === '';
    if (load) request.max_tokens = 0;
    // llm/llama_server.go:281-318 (code reading): a prompt longer than num_ctx is truncated,
    // not refused, so it counts at most num_ctx tokens.
    const promptTokens = Math.min(countPieces(prompt), contextLength);
    return { request, shaper: shaper(load, promptTokens) };
  }

  function shaper(load: boolean, promptTokens: number) {
    const usage = (u: CompletionUsage): CompletionUsage => (load ? ZERO_USAGE() : { prompt_tokens: promptTokens, completion_tokens: u.completion_tokens, total_tokens: promptTokens + u.completion_tokens });
    const finish = (reason: string | null): string | null => (reason && load ? 'load' : reason);
    return {
      // ToCompletion: one choice {text, index, finish_reason}, no logprobs, fp_ollama.
      body: (body: CompletionBody): unknown => ({
        id: ollamaId(body.id),
        object: 'text_completion',
        created: body.created,
        model: body.model,
        system_fingerprint: 'fp_ollama',
        choices: body.choices.slice(0, 1).map((c) => ({ text: c.text, index: 0, finish_reason: finish(c.finish_reason) })),
        usage: usage(body.usage),
      }),
      // CompleteWriter.writeResponse: a chunk per runner response, the runner's last (done)
      // response an empty chunk with the finish_reason; with include_usage every chunk has a
      // zero usage (&openai.Usage{}), then a chunk with no choices carries the real one.
      events(chunk: CompletionChunk): unknown[] {
        const head = { id: ollamaId(chunk.id), object: 'text_completion', created: chunk.created, model: chunk.model, system_fingerprint: 'fp_ollama' };
        const withUsage = chunk.usage !== undefined;
        if (chunk.choices.length === 0) return chunk.usage ? [{ ...head, choices: [], usage: usage(chunk.usage) }] : [];
        const c = chunk.choices[0];
        const out: unknown[] = [];
        if (c.text !== '') out.push({ ...head, choices: [{ text: c.text, index: 0, finish_reason: null }], ...(withUsage ? { usage: ZERO_USAGE() } : {}) });
        if (c.finish_reason !== null) out.push({ ...head, choices: [{ text: '', index: 0, finish_reason: finish(c.finish_reason) }], ...(withUsage ? { usage: ZERO_USAGE() } : {}) });
        return out;
      },
      end: 'data: [DONE]\n\n',
      // routes.go:2097-2127 streamResponse writes {"error": ...}; CompleteWriter decodes it as a
      // GenerateResponse: an empty chunk, and no [DONE] since Done is false (code reading).
      failure: (_message: string) => ({ events: [{ id: 'cmpl-0', object: 'text_completion', created: Math.floor(Date.now() / 1000), model: '', system_fingerprint: 'fp_ollama', choices: [{ text: '', index: 0, finish_reason: null }] }], end: '' }),
    };
  }

  return {
    id: 'ollama',
    basePath: '/v1',
    jsonType: 'application/json',
    route(method, pathname): Route {
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
    prepare,
    error: (e: StandardError) => ollamaError(e.status, e.message),
    models: () => ({ status: 200, body: { object: 'list', data: [...known.entries()].map(([id, m]) => listed(m, id)) } }),
    // ToModel: the id as asked.
    model(id) {
      const m = known.get(withTag(id));
      return m ? { status: 200, body: listed(m, id) } : ollamaError(404, `model '${id}' not found`);
    },
    headers: () => ({}),
    streamHeaders: () => ({}),
    // Notes §2, routes.go:203-231: a request waits while the runner loads; no "loading" answer.
    loading: () => null,
    quota: () => null,
  };
}
