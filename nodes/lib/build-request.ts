import type { FieldProblem } from './validate';

export type RequestParams = Record<string, unknown>;

/** Keys that would reach into an object's prototype if anything downstream merged them naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A plain object from any realm: a function node runs user code in a `vm` context,
 * whose object literals have that context's `Object.prototype`, not ours. So the test
 * is the shape of the chain (no prototype, or one whose own prototype is null), never
 * identity with this realm's `Object.prototype`.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

export interface MergedRequest {
  request: RequestParams;
  problems: FieldProblem[];
}

/**
 * The request a message asks for: the editor's fields as defaults, overridden by
 * `msg.payload`. A payload object gives parameters (null removes one, so the
 * server default applies); a string, array or Buffer is the prompt; a number,
 * boolean or nothing (an inject node's timestamp) just triggers the editor's request.
 */
export function mergeRequest(defaults: RequestParams, payload: unknown): MergedRequest {
  const request: RequestParams = Object.create(null);
  const problems: FieldProblem[] = [];
  Object.assign(request, defaults);
  const fromEditor = new Set(Object.keys(defaults));

  if (typeof payload === 'string' || Array.isArray(payload)) {
    request.prompt = payload;
  } else if (Buffer.isBuffer(payload)) {
    request.prompt = payload.toString('utf8');
  } else if (isPlainObject(payload)) {
    for (const key of Object.keys(payload)) {
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push({ field: key, reason: 'is not allowed as a parameter name' });
        continue;
      }
      fromEditor.delete(key);
      const value = payload[key];
      if (value === null || value === undefined) delete request[key];
      else request[key] = value;
    }
  } else if (payload !== undefined && payload !== null && typeof payload !== 'number' && typeof payload !== 'boolean') {
    problems.push({
      field: 'payload',
      reason: 'must be an object of request parameters, a prompt string or an array prompt',
    });
  }

  // The editor's include_usage is a default for streamed requests only, so toggling
  // stream from a message does not turn it into a rule violation.
  if (fromEditor.has('stream_options') && request.stream !== true) delete request.stream_options;
  return { request, problems };
}
