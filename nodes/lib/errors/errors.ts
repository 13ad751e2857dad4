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
  | 'QUEUE_FULL';

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
    this.name = 'CompletionError';
    this.code = code;
    this.cause = details;
  }
}

/**
 * Why an aborted request stopped: the CompletionError it was aborted with (a timeout,
 * say), or else the flow was stopped.
 */
export function abortError(signal: AbortSignal): CompletionError {
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
  if (typeof error === 'string') return { message: error };
  const e = (error !== null && typeof error === 'object' ? error : typeof b.message === 'string' ? b : undefined) as Record<string, unknown> | undefined;
  if (!e) return undefined;
  return {
    message: typeof e.message === 'string' ? e.message : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
    code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : null,
    param: typeof e.param === 'string' ? e.param : null,
  };
}

/** An error for a non-2xx response: names the status and the server's error type and code. */
export function httpError(status: number, body: unknown, requestId?: string, attempts?: number): CompletionError {
  const api = apiErrorOf(body);
  const labels = [api?.type, api?.code !== null && api?.code !== undefined ? String(api.code) : undefined]
    .filter((x): x is string => Boolean(x));
  const suffix = labels.length ? ` (${labels.join(', ')})` : '';
  const detail = api?.message ? `: ${api.message}` : '';
  return new CompletionError('HTTP_ERROR', `HTTP ${status}${suffix}${detail}`, {
    status,
    type: api?.type,
    code: api?.code,
    param: api?.param,
    requestId,
    attempts,
    body,
  });
}
