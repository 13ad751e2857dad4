import Ajv, { type ErrorObject } from 'ajv';
import { REQUEST_SCHEMA, UNION_DESCRIPTIONS, MAX_STOP_SEQUENCES } from './schema';

/** One offending field and why, e.g. `{ field: 'temperature', reason: 'must be <= 2 (got 3)' }`. */
export interface FieldProblem {
  field: string;
  reason: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const checkSchema = ajv.compile(REQUEST_SCHEMA);

function topField(error: ErrorObject): string {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  const segment = error.instancePath.split('/')[1];
  return segment === undefined ? '(request)' : segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function shortValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    try {
      text = String(value);
    } catch {
      // A null-prototype object has no toString.
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function valueAt(request: Record<string, unknown>, path: string): unknown {
  let current: unknown = request;
  for (const segment of path.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

function unionReason(field: string, value: unknown): string {
  if (field === 'stop' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.length === 0 ? 'must hold at least one sequence' : `allows at most ${MAX_STOP_SEQUENCES} sequences`;
  }
  return UNION_DESCRIPTIONS[field] ?? 'is invalid';
}

function describe(error: ErrorObject, request: Record<string, unknown>): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'propertyNames') return `keys must be token ids (got "${shortText(String(error.params.propertyName))}")`;
  const field = topField(error);
  const value = valueAt(request, error.instancePath);
  const got = ` (got ${shortValue(value)})`;
  if (error.keyword === 'oneOf') return unionReason(field, value) + got;
  if (error.keyword === 'minLength' && error.params.limit === 1) return 'must not be empty';
  const inner = error.instancePath.split('/').slice(2).join('/');
  const where = inner ? `[${inner}] ` : '';
  return `${where}${error.message ?? 'is invalid'}${got}`;
}

function shortText(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The seed's prose rules that a JSON schema cannot say. */
function crossFieldProblems(request: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { best_of: bestOf, n, stream, stream_options: streamOptions } = request;
  if (typeof bestOf === 'number' && typeof n === 'number' && bestOf < n) {
    problems.push({ field: 'best_of', reason: `must be at least n (best_of ${bestOf} < n ${n})` });
  }
  if (typeof bestOf === 'number' && bestOf > 1 && stream === true) {
    problems.push({ field: 'best_of', reason: 'above 1 cannot be streamed (stream is true)' });
  }
  if (streamOptions !== undefined && stream !== true) {
    problems.push({ field: 'stream_options', reason: 'is only allowed with stream: true' });
  }
  return problems;
}

/** How many reasons one field lists before the rest are only counted. */
export const MAX_REASONS_PER_FIELD = 10;

/**
 * Every problem of a merged request, one entry per offending field (a field with
 * several faults gets its reasons joined, the first ten and a count of the rest), so one
 * error can name them all. Linear in the number of faults: a logit_bias of forty
 * thousand bad entries is described as fast as it is checked.
 */
export function validateRequest(request: Record<string, unknown>): FieldProblem[] {
  const byField = new Map<string, { reasons: Set<string>; more: number }>();
  const add = (field: string, reason: () => string) => {
    let entry = byField.get(field);
    if (!entry) byField.set(field, (entry = { reasons: new Set(), more: 0 }));
    if (entry.reasons.size < MAX_REASONS_PER_FIELD) entry.reasons.add(reason());
    else entry.more++;
  };
  if (!checkSchema(request)) {
    for (const error of checkSchema.errors ?? []) {
      // The branches of a oneOf each report why they failed; the union's own
      // description already says what is accepted.
      if (error.schemaPath.includes('/oneOf/')) continue;
      // A key that is not a token id fails propertyNames and its inner pattern: one is enough.
      if (error.schemaPath.includes('/propertyNames/')) continue;
      add(topField(error), () => describe(error, request));
    }
  }
  for (const problem of crossFieldProblems(request)) add(problem.field, () => problem.reason);
  const problems: FieldProblem[] = [];
  for (const [field, { reasons, more }] of byField) {
    const listed = [...reasons].join('; ');
    problems.push({ field, reason: more > 0 ? `${listed}; and ${more} more` : listed });
  }
  return problems;
}

export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field} ${p.reason}`).join('; ');
}
