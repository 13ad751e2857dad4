import type { FieldProblem } from './validate';

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
export function serializeRequest(request: Record<string, unknown>): { body: string } | { problems: FieldProblem[] } {
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
