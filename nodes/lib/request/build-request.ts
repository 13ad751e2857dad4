import type { DialogDefaults } from './dialog-defaults';
import { misspeltParams } from './misspelt';
import { KNOWN_PARAMS } from '../servers/profiles';
import type { ServerKind } from '../servers/server-kinds';
import { validateRequest, type FieldProblem } from './validate';
import { ownCopy } from '../own-copy';

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

interface MergedRequest {
  request: RequestParams;
  problems: FieldProblem[];
}

/**
 * The request a message asks for: the editor's fields as defaults, overridden by
 * `msg.payload`. A payload object gives parameters (null removes one, so the
 * server default applies); a string, array or Buffer is the prompt; a number,
 * boolean or nothing (an inject node's timestamp) just triggers the editor's request.
 */
function mergeRequest(defaults: RequestParams, payload: unknown): MergedRequest {
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

/** The dialog's typed inputs, evaluated for one message: its prompt, and a model read from msg, flow, global or env. */
export interface DialogValues {
  prompt?: unknown;
  model?: unknown;
}

export type BuiltRequest =
  | { ok: true; request: RequestParams; body: string }
  | { ok: false; problems: FieldProblem[] };

/**
 * Everything between a message and the bytes sent: the dialog's defaults, the
 * dialog's typed inputs (prompt, model), `msg.payload` over both, then every check (schema, the seed's
 * rules, the server kind's gaps, JSON-ability). Problems come back all at once.
 */
export function buildRequest(defaults: DialogDefaults, dialog: DialogValues, payload: unknown, kind: ServerKind): BuiltRequest {
  const params: RequestParams = ownCopy(defaults.params);
  if (dialog.prompt !== undefined && dialog.prompt !== '') params.prompt = dialog.prompt;
  if (dialog.model !== undefined && dialog.model !== '') params.model = typeof dialog.model === 'string' ? dialog.model.trim() : dialog.model;
  const { request, problems } = mergeRequest(params, payload);
  problems.unshift(...defaults.problems);
  problems.push(...validateRequest(request, kind.profile), ...kind.gaps(request), ...misspeltParams(request, KNOWN_PARAMS));
  if (problems.length > 0) return { ok: false, problems };
  kind.adapt(request);
  const serialized = serializeRequest(request);
  if ('problems' in serialized) return { ok: false, problems: serialized.problems };
  return { ok: true, request, body: serialized.body };
}

class NotFinite extends Error {}

/** Infinity and NaN would silently go out as `null`: refuse them instead. */
function finiteOnly(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new NotFinite();
  return value;
}

/**
 * The request body as JSON, or the fields that cannot be sent as JSON (a circular
 * structure, a BigInt, a non-finite number), each named, so the message fails as an
 * invalid request before anything is sent.
 */
function serializeRequest(request: Record<string, unknown>): { body: string } | { problems: FieldProblem[] } {
  try {
    return { body: JSON.stringify(request, finiteOnly) };
  } catch {
    const problems: FieldProblem[] = [];
    for (const [field, value] of Object.entries(request)) {
      try {
        JSON.stringify(value, finiteOnly);
      } catch (error) {
        problems.push({
          field,
          reason: error instanceof NotFinite ? 'must hold finite numbers only' : `cannot be sent as JSON: ${(error as Error).message}`,
        });
      }
    }
    return { problems: problems.length ? problems : [{ field: '(request)', reason: 'cannot be sent as JSON' }] };
  }
}
