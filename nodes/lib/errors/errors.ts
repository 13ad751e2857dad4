import { classify } from './classify';
import type { CancelSignal } from './cancellation';

/** What went wrong, as a stable code a flow can switch on (`msg.error.code` in a Catch node). */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'NO_CONNECTION'
  | 'HTTP_ERROR'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'BAD_RESPONSE'
  | 'RESPONSE_TOO_LARGE'
  | 'STREAM_ERROR'
  | 'ABORTED'
  | 'QUEUE_FULL'
  | 'BUDGET_EXCEEDED'
  /** The server does not know the model, or has retired it. */
  | 'MODEL_NOT_FOUND'
  /** A chat model on the completions endpoint. */
  | 'CHAT_MODEL'
  /** The prompt and max_tokens do not fit the model's context (the server said so). */
  | 'CONTEXT_TOO_LONG'
  /** The server is still loading the model. */
  | 'MODEL_LOADING'
  /** The account's quota is used up (OpenAI's insufficient_quota). */
  | 'QUOTA_EXCEEDED';

/** Details a Catch node receives as `msg.error.cause`. */
export interface ErrorDetails {
  status?: number;
  type?: string;
  code?: string | number | null;
  param?: string | null;
  requestId?: string;
  fields?: { field: string; reason: string }[];
  attempts?: number;
  body?: unknown;
  /** Where a TIMEOUT or a broken answer happened: opening the connection, waiting for the answer to start, a silence inside it, or the body breaking off. */
  phase?: 'connect' | 'response' | 'idle' | 'body';
  /** What to do about it, where the node can tell. */
  hint?: string;
}

/**
 * The details as one line, for where Node-RED turns them into text (its debug sidebar
 * writes an uncaught error's cause as `cause + ""`, which would read "[object Object]").
 */
function summary(this: ErrorDetails): string {
  const parts: string[] = [];
  if (this.status !== undefined) parts.push(`HTTP ${this.status}`);
  for (const value of [this.type, this.code, this.phase]) if (value !== undefined && value !== null) parts.push(String(value));
  if (this.fields) parts.push(this.fields.map((f) => `${f.field} ${f.reason}`).join('; '));
  if (this.attempts !== undefined) parts.push(`${this.attempts} attempt${this.attempts === 1 ? '' : 's'}`);
  if (this.hint) parts.push(this.hint);
  return parts.join(' · ') || 'no details';
}

/**
 * The package's one error type. Node-RED copies `message`, `code` and `cause` into
 * `msg.error`, so everything a flow may need travels in those three.
 */
export class CompletionError extends Error {
  readonly code: ErrorCode;
  override readonly cause: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    // Node-RED shows an error as `name: message` (msg.error.message, the debug sidebar):
    // the code reads better there than a class name.
    this.name = code;
    this.code = code;
    // Not enumerable: it stays out of msg.error.cause as a flow sees it, and of copies.
    Object.defineProperty(details, 'toString', { value: summary, enumerable: false, configurable: true, writable: true });
    this.cause = details;
  }
}

/**
 * Why an aborted request stopped: the CompletionError it was aborted with (a timeout,
 * say), or else the flow was stopped.
 */
export function abortError(signal: CancelSignal): CompletionError {
  return signal.reason instanceof CompletionError
    ? signal.reason
    : new CompletionError('ABORTED', 'request cancelled: the flow was stopped');
}

/**
 * The error a response body describes, in any of the shapes servers use: OpenAI's
 * `{ error: { message, type, param, code } }`, a bare `{ error: "text" }`, and the flat
 * `{ object: "error", message, type, code }` of vLLM; codes may be strings or integers.
 */
export function apiErrorOf(body: unknown): { message?: string; type?: string; code?: string | number | null; param?: string | null } | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const error = b.error;
  // TGI's flat {error, error_type} (router/src/lib.rs:1515-1519, v3.3.7).
  if (typeof error === 'string') return typeof b.error_type === 'string' ? { message: error, type: b.error_type } : { message: error };
  const e = (error !== null && typeof error === 'object' ? error : typeof b.message === 'string' ? b : undefined) as Record<string, unknown> | undefined;
  if (!e) return undefined;
  return {
    message: typeof e.message === 'string' ? e.message : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
    code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : null,
    param: typeof e.param === 'string' ? e.param : null,
  };
}

/**
 * An error for a non-2xx response: what it means where the node can tell (a model not
 * found, a chat model, a prompt too long…) with what to do, else HTTP_ERROR; the text
 * names the status and the server's own words, the details its error type and code.
 */
export function httpError(status: number, body: unknown, requestId?: string, attempts?: number): CompletionError {
  const api = apiErrorOf(body);
  const meaning = classify(status, api);
  const labels = [api?.type, api?.code !== null && api?.code !== undefined ? String(api.code) : undefined]
    .filter((x): x is string => Boolean(x));
  const suffix = labels.length ? ` (${labels.join(', ')})` : '';
  const detail = api?.message ? `: ${api.message}` : '';
  // Read in a narrow debug sidebar: what happened first, then the server's words.
  const message = meaning ? `${meaning.words}: ${api?.message ?? `HTTP ${status}`} (HTTP ${status})` : `HTTP ${status}${suffix}${detail}`;
  return new CompletionError(meaning?.code ?? 'HTTP_ERROR', message, {
    hint: meaning?.hint,
    status,
    type: api?.type,
    code: api?.code,
    param: api?.param,
    requestId,
    attempts,
    body,
  });
}
