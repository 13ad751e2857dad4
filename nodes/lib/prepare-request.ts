import { mergeRequest, type RequestParams } from './build-request';
import type { EditorDefaults } from './request-defaults';
import { serializeRequest } from './serialize-request';
import type { ServerKind } from './server-kinds';
import { validateRequest, type FieldProblem } from './validate';

export type PreparedRequest =
  | { ok: true; request: RequestParams; body: string }
  | { ok: false; problems: FieldProblem[] };

/**
 * Everything between a message and the bytes sent: the dialog's defaults, the
 * dialog's prompt, `msg.payload` over both, then every check (schema, the seed's
 * rules, the server kind's gaps, JSON-ability). Problems come back all at once.
 */
export function prepareRequest(defaults: EditorDefaults, prompt: unknown, payload: unknown, kind: ServerKind): PreparedRequest {
  const params: RequestParams = { ...defaults.params };
  if (prompt !== undefined && prompt !== '') params.prompt = prompt;
  const { request, problems } = mergeRequest(params, payload);
  problems.unshift(...defaults.problems);
  problems.push(...validateRequest(request), ...kind.gaps(request));
  if (problems.length > 0) return { ok: false, problems };
  const serialized = serializeRequest(request);
  if ('problems' in serialized) return { ok: false, problems: serialized.problems };
  return { ok: true, request, body: serialized.body };
}
