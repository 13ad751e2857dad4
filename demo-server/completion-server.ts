// A local, deterministic, OpenAI-compatible "Create Completion" server for tests, benchmarks
// and the `npm start` demo. A stand-in for the real service, not a language model: see
// generate.ts for how text is produced.
//
// node:http only, no framework. Built to be cheap per request (no logging, no per-request
// heavy work) and keep-alive friendly, with a script of faults that tests can queue.

import * as http from 'node:http';
import type { Socket } from 'node:net';
import {
  completionFor,
  streamChunkIterator,
  planFor,
  type CompletionBody,
  type CompletionChunk,
  type CompletionMeta,
} from './generate';
import { createDialect, isDialect, type Dialect, type DialectRules, type Reply, type Route, type ValidationOptions } from './dialects';

export type ScriptedAnswer =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown } // body: object -> JSON; string -> sent as-is (text/plain); omitted -> OpenAI-shaped error JSON for that status
  | { kind: 'reset-before-headers' } // destroy the socket without any response
  | { kind: 'reset-after-headers'; partialBody?: string } // 200 + headers (+ optional partial body), then destroy the socket
  | { kind: 'hang' } // never answer (socket stays open until the client gives up or the server closes)
  | { kind: 'delay'; ms: number } // the normal answer, after ms
  | { kind: 'drip'; intervalMs: number; chunkBytes?: number } // the normal answer, body written chunkBytes (default 1) at a time every intervalMs
  | { kind: 'malformed' } // 200 application/json with a body that is not JSON
  | { kind: 'large'; bytes: number } // 200 application/json, valid completion JSON padded to at least `bytes`
  | { kind: 'stream-error-event'; afterEvents: number; style: 'data' | 'event' } // streamed: after N normal events, an error event, then end
  | { kind: 'stream-truncate'; afterEvents: number } // streamed: after N events destroy the socket mid-stream
  | { kind: 'stream-no-done' } // streamed: all events, then end the response cleanly without `data: [DONE]`
  | { kind: 'stream-bytewise'; lineEnd?: '\n' | '\r\n' | '\r'; comments?: boolean }; // streamed, one byte per write

export interface RecordedRequest {
  method: string;
  /** The request target as sent: pathname AND query string (e.g. "...?api-version=2024-10-21"). */
  path: string;
  /** The pathname alone, without the query string. */
  pathname: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface CompletionServer {
  url: string; // e.g. http://127.0.0.1:43123/v1  (base URL to give the client; per dialect: azure = the origin, azure-v1 = origin + /openai/v1)
  port: number;
  readonly dialect: Dialect;
  requests: RecordedRequest[]; // every request received, in order
  script(...answers: ScriptedAnswer[]): void; // queue answers, one per following POST .../completions
  reset(): void; // clear requests and the script
  close(): Promise<void>; // close the server AND destroy all open sockets
}

export interface ServerOptions {
  port?: number;
  host?: string;
  requireApiKey?: string;
  tokenDelayMs?: number;
  record?: boolean /* default true; false for benchmarks: do not keep requests */;
  /** Which server to behave like (paths, auth, errors, quirks): see dialects.ts. Default 'openai'. */
  dialect?: Dialect;
}

// ---------------------------------------------------------------------------------------
// Constants

export const MODELS: ReadonlyArray<{ id: string; object: 'model'; created: number; owned_by: string }> = [
  { id: 'demo-instruct', object: 'model', created: 1700000000, owned_by: 'node-red-contrib-create-completion' },
  { id: 'gpt-3.5-turbo-instruct', object: 'model', created: 1692901427, owned_by: 'system' },
  { id: 'davinci-002', object: 'model', created: 1692634301, owned_by: 'system' },
  { id: 'babbage-002', object: 'model', created: 1692634615, owned_by: 'system' },
];
const MODEL_IDS = new Set(MODELS.map((m) => m.id));

const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Guard against requests that would take the server down: prompts x n x max_tokens. */
const MAX_TOTAL_TOKENS = 4_000_000;
const MAX_TOKENS_PER_CHOICE = 1_000_000;
const RATE_LIMIT_REQUESTS = 10000;
const RATE_LIMIT_TOKENS = 2_000_000;
const RATE_WINDOW_MS = 60_000;

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream';

interface ApiError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';
const PARSE_ERROR_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

/** The OpenAI-shaped error body for a status (used when a scripted status has no body). */
export function errorForStatus(status: number): { error: { message: string; type: string; param: null; code: string | null } } {
  let message: string;
  let type = status >= 500 ? 'server_error' : 'invalid_request_error';
  let code: string | null = null;
  switch (status) {
    case 400:
      message = 'Bad request.';
      break;
    case 401:
      message = 'Incorrect API key provided.';
      code = 'invalid_api_key';
      break;
    case 403:
      message = 'You are not allowed to perform this request.';
      type = 'permission_error';
      break;
    case 404:
      message = 'The requested resource was not found.';
      break;
    case 408:
      message = 'Request timed out.';
      type = 'timeout';
      break;
    case 409:
      message = 'Conflict: the request could not be completed, please retry.';
      type = 'conflict';
      break;
    case 429:
      message = 'Rate limit reached for requests. Please try again in 20ms.';
      type = 'requests';
      code = 'rate_limit_exceeded';
      break;
    case 500:
      message = SERVER_ERROR_MESSAGE;
      break;
    case 503:
      message = 'The engine is currently overloaded, please try again later.';
      break;
    default:
      message = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  }
  return { error: { message, type, param: null, code } };
}

function apiError(status: number, message: string, param: string | null = null, code: string | null = null, type = 'invalid_request_error'): ApiError {
  return { status, message, type, param, code };
}

function errorBody(e: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

/** Mask a key like OpenAI does: "sk-ab***yz"; never the whole key. */
export function maskKey(key: string): string {
  return key.length >= 10 ? `${key.slice(0, 5)}***${key.slice(-2)}` : '***';
}

// ---------------------------------------------------------------------------------------
// Validation (the official API's rules, enough to exercise a client's error handling)

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
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

export function validateCompletionRequest(body: unknown, options?: ValidationOptions): ApiError | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return apiError(400, 'Invalid request body: expected a JSON object.');
  }
  const r = body as Record<string, unknown>;
  if (absent(r.model) || r.model === '') return apiError(400, 'You must provide a model parameter.', 'model');
  if (typeof r.model !== 'string') return typeError('model', 'a string', r.model);
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
  // Keep every request cheap enough for the process.
  const prompts = typeof r.prompt === 'string' || absent(r.prompt) ? 1 : Array.isArray(r.prompt) && r.prompt.every(isInt) ? 1 : (r.prompt as unknown[]).length;
  const total = prompts * n * (isInt(r.max_tokens) ? r.max_tokens : 16);
  if (total > MAX_TOTAL_TOKENS) {
    return apiError(400, `This request asks for ${total} completion tokens in all (prompts x n x max_tokens); this server allows at most ${MAX_TOTAL_TOKENS}.`, 'max_tokens', 'invalid_value');
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Server

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  number: number;
  start: number;
  /** Parsed JSON body, or the raw text when not JSON. */
  body: unknown;
  parsed: boolean;
  empty: boolean;
  /** Dialect servers only: where the request goes. */
  route?: Route;
}

type Headers = Record<string, string | number>;

function noop(): void {
  /* ignore */
}

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isCompletionPath(pathname: string): boolean {
  return pathname.endsWith('/completions') && !pathname.endsWith('/chat/completions');
}

/** Destroy a socket once what was written to it has left the process (so the client sees it). */
function destroyWhenFlushed(socket: Socket | null, tries = 0): void {
  if (!socket || socket.destroyed) return;
  if (socket.writableLength === 0 || tries > 200) {
    socket.destroy();
    return;
  }
  setTimeout(() => destroyWhenFlushed(socket, tries + 1), tries < 20 ? 0 : 5);
}

function sseEvent(chunk: unknown): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export async function startCompletionServer(options: ServerOptions = {}): Promise<CompletionServer> {
  const host = options.host ?? '127.0.0.1';
  const record = options.record !== false;
  const tokenDelayMs = Math.max(0, options.tokenDelayMs ?? 0);
  const requireApiKey = options.requireApiKey;
  const dialect: Dialect = options.dialect ?? 'openai';
  if (!isDialect(dialect)) throw new Error(`Unknown dialect ${JSON.stringify(dialect)}: expected one of openai, azure, azure-v1, vllm, llamacpp, ollama`);
  /** The dialect's rules; undefined for 'openai', whose code path stays as it is. */
  const rules: DialectRules | undefined = dialect === 'openai' ? undefined : createDialect(dialect, MODELS);

  const requests: RecordedRequest[] = [];
  const queue: ScriptedAnswer[] = [];
  const sockets = new Set<Socket>();
  const waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let counter = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let windowStart = Date.now();
  let windowRequests = 0;
  let windowTokens = 0;
  const idPrefix = `cmpl-demo${Date.now().toString(36)}`;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (closed) return resolve();
      const entry = {
        timer: setTimeout(() => {
          waits.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      waits.add(entry);
    });
  }

  const dead = (res: http.ServerResponse): boolean => closed || res.destroyed || !res.socket || res.socket.destroyed;

  function waitDrain(res: http.ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  function baseHeaders(ctx: Ctx, contentType?: string): Headers {
    if (rules) {
      const d: Headers = rules.headers(ctx.number);
      if (contentType) d['content-type'] = contentType === JSON_TYPE ? rules.jsonType : contentType;
      return d;
    }
    const now = Date.now();
    const resetMs = Math.max(0, windowStart + RATE_WINDOW_MS - now);
    const h: Headers = {
      'x-request-id': `req_${ctx.number}`,
      'openai-processing-ms': now - ctx.start,
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': RATE_LIMIT_REQUESTS,
      'x-ratelimit-remaining-requests': Math.max(0, RATE_LIMIT_REQUESTS - windowRequests),
      'x-ratelimit-limit-tokens': RATE_LIMIT_TOKENS,
      'x-ratelimit-remaining-tokens': Math.max(0, RATE_LIMIT_TOKENS - windowTokens),
      'x-ratelimit-reset-requests': `${resetMs}ms`,
      'x-ratelimit-reset-tokens': `${resetMs}ms`,
    };
    if (contentType) h['content-type'] = contentType;
    return h;
  }

  function sendText(ctx: Ctx, status: number, text: string, headers: Headers): void {
    headers['content-length'] = Buffer.byteLength(text);
    ctx.res.writeHead(status, headers);
    ctx.res.end(text);
  }

  function sendJson(ctx: Ctx, status: number, body: unknown): void {
    sendText(ctx, status, JSON.stringify(body), baseHeaders(ctx, JSON_TYPE));
  }

  function sendError(ctx: Ctx, e: ApiError): void {
    if (rules) return sendReply(ctx, rules.error(e));
    sendJson(ctx, e.status, errorBody(e));
  }

  /** A dialect's answer: an object body as JSON, a string body as text/plain. */
  function sendReply(ctx: Ctx, reply: Reply): void {
    if (typeof reply.body === 'string') sendText(ctx, reply.status, reply.body, baseHeaders(ctx, 'text/plain; charset=utf-8'));
    else sendJson(ctx, reply.status, reply.body);
  }

  /** The JSON text of an error body, in the dialect's shape. */
  function errorText(e: ApiError): string {
    return JSON.stringify(rules ? rules.error(e).body : errorBody(e));
  }

  /** A completion body as the dialect sends it. */
  function shapeBody(ctx: Ctx, request: Record<string, unknown>, body: CompletionBody): unknown {
    return rules ? rules.body(body, request, ctx.route as Route) : body;
  }

  function eventFor(ctx: Ctx, request: Record<string, unknown>, chunk: CompletionChunk): string {
    return sseEvent(rules ? rules.chunk(chunk, request, ctx.route as Route) : chunk);
  }

  function checkAuth(ctx: Ctx): ApiError | null {
    if (requireApiKey === undefined) return null;
    const auth = ctx.req.headers.authorization;
    let key: string | undefined;
    if (typeof auth === 'string') {
      const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m) key = m[1];
    }
    const apiKey = ctx.req.headers['api-key'];
    if (key === requireApiKey || apiKey === requireApiKey) return null;
    const given = key ?? (typeof apiKey === 'string' ? apiKey : undefined);
    if (given === undefined || given === '') {
      return apiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        null,
        'invalid_api_key',
      );
    }
    return apiError(401, `Incorrect API key provided: ${maskKey(given)}. You can find your API key in your account settings.`, null, 'invalid_api_key');
  }

  function meta(ctx: Ctx): CompletionMeta {
    return { id: `${idPrefix}${ctx.number}`, created: Math.floor(ctx.start / 1000) };
  }

  function countTokens(request: Record<string, unknown>): void {
    // A cheap estimate for the rate-limit headers.
    const n = isInt(request.n) ? request.n : 1;
    const max = isInt(request.max_tokens) ? request.max_tokens : 16;
    const promptLength = typeof request.prompt === 'string' ? request.prompt.length : 0;
    windowTokens += Math.ceil(promptLength / 4) + n * max;
  }

  // --- normal answers ------------------------------------------------------------------

  /** The normal answer: an error, a JSON body, or a stream to write. */
  function normalAnswer(ctx: Ctx): { error: ApiError } | { reply: Reply } | { request: Record<string, unknown> } {
    if (rules) return dialectAnswer(ctx, rules);
    const authError = checkAuth(ctx);
    if (authError) return { error: authError };
    if (!ctx.parsed && !ctx.empty) return { error: apiError(400, PARSE_ERROR_MESSAGE) };
    const body = ctx.empty ? {} : ctx.body;
    const invalid = validateCompletionRequest(body);
    if (invalid) return { error: invalid };
    const request = body as Record<string, unknown>;
    countTokens(request);
    return { request };
  }

  /** normalAnswer for a dialect: route refusals, auth, body, the dialect's own refusals and
   * rewrite, then the standard validation (relaxed as the dialect says), errors shaped. */
  function dialectAnswer(ctx: Ctx, d: DialectRules): { reply: Reply } | { request: Record<string, unknown> } {
    const route = ctx.route as Route;
    const refused = d.refuseRoute(route) ?? d.auth(ctx.req.headers, requireApiKey, route);
    if (refused) return { reply: refused };
    if (!ctx.parsed && !ctx.empty) return { reply: d.parseError(String(ctx.body)) ?? d.error(apiError(400, PARSE_ERROR_MESSAGE)) };
    const body = ctx.empty ? {} : ctx.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { reply: d.error(apiError(400, 'Invalid request body: expected a JSON object.')) };
    const prepared = d.prepare(body as Record<string, unknown>, route);
    if ('reply' in prepared) return prepared;
    const invalid = validateCompletionRequest(prepared.request, prepared.options);
    if (invalid) return { reply: d.error(invalid) };
    countTokens(prepared.request);
    return { request: prepared.request };
  }

  function completionBody(ctx: Ctx, request: Record<string, unknown>): CompletionBody {
    return completionFor(request, meta(ctx)).body;
  }

  function streamHeaders(ctx: Ctx): Headers {
    const h = baseHeaders(ctx, SSE_TYPE);
    h['cache-control'] = 'no-cache';
    return h;
  }

  type StreamMode =
    | { kind: 'normal' }
    | { kind: 'no-done' }
    | { kind: 'error'; after: number; style: 'data' | 'event' }
    | { kind: 'truncate'; after: number };

  async function writeStream(ctx: Ctx, request: Record<string, unknown>, mode: StreamMode): Promise<void> {
    const { res } = ctx;
    res.writeHead(200, streamHeaders(ctx));
    res.flushHeaders();
    const limit = mode.kind === 'error' || mode.kind === 'truncate' ? Math.max(0, mode.after) : Infinity;
    let count = 0;
    for (const chunk of streamChunkIterator(request, meta(ctx))) {
      if (count >= limit) break;
      if (count > 0) {
        if (tokenDelayMs > 0) await sleep(tokenDelayMs);
        else if ((count & 255) === 0) await immediate(); // let other connections progress
      }
      if (dead(res)) return;
      const ok = res.write(eventFor(ctx, request, chunk));
      count++;
      if (!ok) {
        await waitDrain(res);
        if (dead(res)) return;
      }
    }
    if (tokenDelayMs > 0 && count > 0) await sleep(tokenDelayMs);
    if (dead(res)) return;
    switch (mode.kind) {
      case 'normal':
        if (rules && !rules.streamDone) res.end();
        else res.end('data: [DONE]\n\n');
        return;
      case 'no-done':
        res.end();
        return;
      case 'error': {
        const data = errorText(apiError(500, SERVER_ERROR_MESSAGE, null, null, 'server_error'));
        res.end(mode.style === 'event' ? `event: error\ndata: ${data}\n\n` : `data: ${data}\n\n`);
        return;
      }
      case 'truncate': {
        const socket = res.socket;
        setImmediate(() => destroyWhenFlushed(socket));
        return;
      }
    }
  }

  /** The whole SSE text of a stream (for drip delivery, meant for small streams). */
  function streamText(ctx: Ctx, request: Record<string, unknown>): string {
    const parts: string[] = [];
    for (const chunk of streamChunkIterator(request, meta(ctx))) parts.push(eventFor(ctx, request, chunk));
    if (!rules || rules.streamDone) parts.push('data: [DONE]\n\n');
    return parts.join('');
  }

  async function writeBytewise(ctx: Ctx, request: Record<string, unknown>, lineEnd: '\n' | '\r\n' | '\r', comments: boolean): Promise<void> {
    const { res } = ctx;
    const bytes = Buffer.from(streamBytewiseText(ctx, request, lineEnd, comments), 'utf8');
    res.writeHead(200, streamHeaders(ctx));
    res.flushHeaders();
    for (let i = 0; i < bytes.length; i++) {
      await immediate();
      if (dead(res)) return;
      res.write(bytes.subarray(i, i + 1));
    }
    await immediate();
    if (!dead(res)) res.end();
  }

  /** The SSE text for stream-bytewise: chosen line ends, optional comment lines (between
   * events and inside one), and every third event's data split over several `data:` lines. */
  function streamBytewiseText(ctx: Ctx, request: Record<string, unknown>, lineEnd: string, comments: boolean): string {
    const parts: string[] = [];
    if (comments) parts.push(`: keep-alive${lineEnd}${lineEnd}`);
    let e = 0;
    for (const chunk of streamChunkIterator(request, meta(ctx))) {
      if (comments && e % 2 === 1) parts.push(`: keep-alive${lineEnd}`);
      const shaped = rules ? rules.chunk(chunk, request, ctx.route as Route) : chunk;
      if (e % 3 === 1) {
        const lines = JSON.stringify(shaped, null, 1).split('\n');
        lines.forEach((line, i) => {
          parts.push(`data: ${line}${lineEnd}`);
          if (comments && i === 0) parts.push(`: keep-alive${lineEnd}`);
        });
      } else {
        parts.push(`data: ${JSON.stringify(shaped)}${lineEnd}`);
      }
      parts.push(lineEnd);
      e++;
    }
    if (!rules || rules.streamDone) parts.push(`data: [DONE]${lineEnd}${lineEnd}`);
    return parts.join('');
  }

  async function drip(ctx: Ctx, status: number, headers: Headers, bytes: Buffer, intervalMs: number, chunkBytes: number): Promise<void> {
    const { res } = ctx;
    res.writeHead(status, headers);
    res.flushHeaders();
    const step = Math.max(1, Math.floor(chunkBytes));
    for (let i = 0; i < bytes.length; i += step) {
      await sleep(Math.max(0, intervalMs));
      if (dead(res)) return;
      res.write(bytes.subarray(i, i + step));
    }
    if (!dead(res)) res.end();
  }

  // --- the completions route -----------------------------------------------------------

  async function answerCompletion(ctx: Ctx, scripted: ScriptedAnswer | undefined): Promise<void> {
    const { res } = ctx;
    let streamMode: StreamMode | 'bytewise' | undefined;
    let dripAnswer: { intervalMs: number; chunkBytes: number } | undefined;
    if (scripted) {
      switch (scripted.kind) {
        case 'status':
          return sendScriptedStatus(ctx, scripted);
        case 'reset-before-headers':
          ctx.req.socket.destroy();
          return;
        case 'reset-after-headers': {
          res.writeHead(200, baseHeaders(ctx, JSON_TYPE));
          if (scripted.partialBody) res.write(scripted.partialBody);
          else res.flushHeaders();
          const socket = res.socket;
          setImmediate(() => destroyWhenFlushed(socket));
          return;
        }
        case 'hang':
          return;
        case 'malformed':
          return sendText(ctx, 200, '{"id":"cmpl-malformed","object":"text_completion","choices":[{"text":"this is not', baseHeaders(ctx, JSON_TYPE));
        case 'large':
          return sendLarge(ctx, scripted.bytes);
        case 'delay':
          await sleep(Math.max(0, scripted.ms));
          if (dead(res)) return;
          break;
        case 'drip':
          dripAnswer = { intervalMs: scripted.intervalMs, chunkBytes: scripted.chunkBytes ?? 1 };
          break;
        case 'stream-error-event':
          streamMode = { kind: 'error', after: scripted.afterEvents, style: scripted.style };
          break;
        case 'stream-truncate':
          streamMode = { kind: 'truncate', after: scripted.afterEvents };
          break;
        case 'stream-no-done':
          streamMode = { kind: 'no-done' };
          break;
        case 'stream-bytewise':
          streamMode = 'bytewise';
          break;
      }
    }

    const answer = normalAnswer(ctx);
    if ('error' in answer) {
      if (dripAnswer) {
        const bytes = Buffer.from(JSON.stringify(errorBody(answer.error)), 'utf8');
        const headers = baseHeaders(ctx, JSON_TYPE);
        headers['content-length'] = bytes.length;
        return drip(ctx, answer.error.status, headers, bytes, dripAnswer.intervalMs, dripAnswer.chunkBytes);
      }
      return sendError(ctx, answer.error);
    }
    if ('reply' in answer) {
      if (dripAnswer) {
        const text = typeof answer.reply.body === 'string' ? answer.reply.body : JSON.stringify(answer.reply.body);
        const bytes = Buffer.from(text, 'utf8');
        const headers = baseHeaders(ctx, typeof answer.reply.body === 'string' ? 'text/plain; charset=utf-8' : JSON_TYPE);
        headers['content-length'] = bytes.length;
        return drip(ctx, answer.reply.status, headers, bytes, dripAnswer.intervalMs, dripAnswer.chunkBytes);
      }
      return sendReply(ctx, answer.reply);
    }
    const request = answer.request;
    const streamed = request.stream === true || streamMode !== undefined;
    if (!streamed) {
      const body = shapeBody(ctx, request, completionBody(ctx, request));
      if (dripAnswer) {
        const bytes = Buffer.from(JSON.stringify(body), 'utf8');
        const headers = baseHeaders(ctx, JSON_TYPE);
        headers['content-length'] = bytes.length;
        return drip(ctx, 200, headers, bytes, dripAnswer.intervalMs, dripAnswer.chunkBytes);
      }
      return sendJson(ctx, 200, body);
    }
    if (dripAnswer) {
      const bytes = Buffer.from(streamText(ctx, request), 'utf8');
      return drip(ctx, 200, streamHeaders(ctx), bytes, dripAnswer.intervalMs, dripAnswer.chunkBytes);
    }
    if (streamMode === 'bytewise') {
      const s = scripted as Extract<ScriptedAnswer, { kind: 'stream-bytewise' }>;
      return writeBytewise(ctx, request, s.lineEnd ?? '\n', s.comments === true);
    }
    return writeStream(ctx, request, streamMode ?? { kind: 'normal' });
  }

  function sendScriptedStatus(ctx: Ctx, a: Extract<ScriptedAnswer, { kind: 'status' }>): void {
    const status = a.status;
    const headers: Headers = baseHeaders(ctx);
    let text: string | undefined;
    if (a.body === undefined) {
      if (status >= 400) {
        text = rules ? errorText({ status, ...errorForStatus(status).error }) : JSON.stringify(errorForStatus(status));
        headers['content-type'] = rules ? rules.jsonType : JSON_TYPE;
      } else if (status !== 204 && status !== 304 && !(status >= 100 && status < 200)) {
        const request = ctx.parsed && typeof ctx.body === 'object' && ctx.body !== null ? (ctx.body as Record<string, unknown>) : { model: 'demo-instruct' };
        text = JSON.stringify(shapeBody(ctx, request, completionBody(ctx, request)));
        headers['content-type'] = rules ? rules.jsonType : JSON_TYPE;
      }
    } else if (typeof a.body === 'string') {
      text = a.body;
      headers['content-type'] = 'text/plain; charset=utf-8';
    } else {
      text = JSON.stringify(a.body);
      headers['content-type'] = JSON_TYPE;
    }
    if (text !== undefined) headers['content-length'] = Buffer.byteLength(text);
    for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = v;
    ctx.res.writeHead(status, headers);
    ctx.res.end(text);
  }

  function sendLarge(ctx: Ctx, bytes: number): void {
    let request: Record<string, unknown> =
      ctx.parsed && typeof ctx.body === 'object' && ctx.body !== null && !Array.isArray(ctx.body) ? { ...(ctx.body as Record<string, unknown>) } : {};
    if (typeof request.model !== 'string') request = { ...request, model: 'demo-instruct' };
    if (validateCompletionRequest(request) !== null) request = { model: typeof request.model === 'string' && MODEL_IDS.has(request.model) ? request.model : 'demo-instruct', prompt: 'large' };
    delete request.stream;
    const body = completionBody(ctx, request);
    if (body.choices.length === 0) {
      const fallback = { model: body.model || 'demo-instruct' };
      return sendJson(ctx, 200, shapeBody(ctx, fallback, completionBody(ctx, fallback)));
    }
    const size = Buffer.byteLength(JSON.stringify(body));
    if (size < bytes) {
      const pad = ' lorem';
      body.choices[0].text += pad.repeat(Math.ceil((bytes - size) / pad.length));
    }
    sendJson(ctx, 200, shapeBody(ctx, request, body));
  }

  // --- other routes --------------------------------------------------------------------

  function answerOther(ctx: Ctx, method: string, pathname: string): void {
    if (rules) {
      const route = ctx.route as Route;
      if (route.kind === 'models' || route.kind === 'model') {
        const refused = rules.refuseRoute(route) ?? rules.auth(ctx.req.headers, requireApiKey, route);
        if (refused) return sendReply(ctx, refused);
        return sendReply(ctx, route.kind === 'models' ? rules.models() : rules.model(route.modelId ?? ''));
      }
      return sendReply(ctx, rules.notFound(method, pathname));
    }
    if (method === 'GET') {
      const models = /(?:^|\/)models(?:\/([^/]+))?$/.exec(pathname);
      if (models) {
        const authError = checkAuth(ctx);
        if (authError) return sendError(ctx, authError);
        if (models[1] === undefined) return sendJson(ctx, 200, { object: 'list', data: MODELS });
        const id = decodeURIComponent(models[1]);
        const model = MODELS.find((m) => m.id === id);
        if (model) return sendJson(ctx, 200, model);
        return sendError(ctx, apiError(404, `The model '${id}' does not exist`, 'model', 'model_not_found'));
      }
    }
    sendError(ctx, apiError(404, `Invalid URL (${method} ${pathname})`));
  }

  // --- request entry -------------------------------------------------------------------

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const start = Date.now();
    const number = ++counter;
    if (start - windowStart >= RATE_WINDOW_MS) {
      windowStart = start;
      windowRequests = 0;
      windowTokens = 0;
    }
    windowRequests++;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    let route: Route | undefined;
    let completion: boolean;
    if (rules) {
      route = rules.route(method, pathname, q < 0 ? '' : url.slice(q + 1));
      completion = route.kind === 'completions';
    } else completion = method === 'POST' && isCompletionPath(pathname);
    const scripted = completion ? queue.shift() : undefined;
    res.on('error', noop);
    req.on('error', noop);

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      let parsed = false;
      if (text.length > 0 && !tooLarge) {
        try {
          body = JSON.parse(text);
          parsed = true;
        } catch {
          /* keep the raw text */
        }
      }
      if (record) requests.push({ method, path: url, pathname, headers: req.headers, body, at: start });
      const ctx: Ctx = { req, res, number, start, body, parsed, empty: text.length === 0 && !tooLarge, route };
      if (tooLarge) return sendError(ctx, apiError(413, `Request body too large: at most ${MAX_BODY_BYTES} bytes.`));
      if (completion) {
        answerCompletion(ctx, scripted).catch(() => {
          if (!res.headersSent && !dead(res)) sendError(ctx, apiError(500, SERVER_ERROR_MESSAGE, null, null, 'server_error'));
          else res.destroy();
        });
      } else {
        answerOther(ctx, method, pathname);
      }
    });
  }

  const server = http.createServer({ noDelay: true }, onRequest);
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 31_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', noop);
    if (closed) socket.destroy();
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', noop);

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}${rules ? rules.basePath : '/v1'}`,
    port,
    get dialect(): Dialect {
      return dialect;
    },
    requests,
    script(...answers: ScriptedAnswer[]): void {
      queue.push(...answers);
    },
    reset(): void {
      requests.length = 0;
      queue.length = 0;
    },
    close(): Promise<void> {
      if (closing) return closing;
      closed = true;
      queue.length = 0;
      closing = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        for (const w of waits) {
          clearTimeout(w.timer);
          w.resolve();
        }
        waits.clear();
      });
      return closing;
    },
  };
}

// Re-exported for tests and tools.
export { completionFor, streamChunkIterator, planFor };
export type { CompletionBody, CompletionChunk };
export { DIALECTS, type Dialect } from './dialects';
