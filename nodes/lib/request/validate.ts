import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { CROSS_FIELD_RULES, MAX_STOP_SEQUENCES, requestSchema, unionDescription, type RequestDialect } from './schema';

/** One offending field and why, e.g. `{ field: 'temperature', reason: 'must be <= 2 (got 3)' }`. */
export interface FieldProblem {
  field: string;
  reason: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
/** One compiled schema per dialect: a handful of server kinds share a few. */
const compiled = new Map<string, ValidateFunction>();
/** The same, found by the dialect object itself (a server profile), without spelling it out per message. */
const byObject = new WeakMap<RequestDialect, ValidateFunction>();
const SEED: RequestDialect = {};

function checkerFor(dialect: RequestDialect): ValidateFunction {
  let check = byObject.get(dialect);
  if (check) return check;
  const { limits = {}, modelOptional = false, promptForms = {}, maxTokensNoLimit } = dialect;
  const key = JSON.stringify([limits, modelOptional, promptForms.mixed === true, promptForms.object === true, maxTokensNoLimit?.value]);
  check = compiled.get(key);
  if (!check) compiled.set(key, (check = ajv.compile(requestSchema(dialect))));
  byObject.set(dialect, check);
  return check;
}

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

function unionReason(field: string, value: unknown, dialect: RequestDialect): string {
  if (field === 'stop' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.length === 0 ? 'must hold at least one sequence' : `allows at most ${dialect.limits?.stop ?? MAX_STOP_SEQUENCES} sequences`;
  }
  return unionDescription(field, dialect);
}

function describe(error: ErrorObject, request: Record<string, unknown>, dialect: RequestDialect): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'propertyNames') return `keys must be token ids (got "${shortText(String(error.params.propertyName))}")`;
  const field = topField(error);
  const value = valueAt(request, error.instancePath);
  const got = ` (got ${shortValue(value)})`;
  if (error.keyword === 'oneOf') return unionReason(field, value, dialect) + got;
  if (error.keyword === 'minLength' && error.params.limit === 1) return 'must not be empty';
  const inner = error.instancePath.split('/').slice(2).join('/');
  const where = inner ? `[${inner}] ` : '';
  return `${where}${error.message ?? 'is invalid'}${got}`;
}

function shortText(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The seed's prose rules that a JSON schema cannot say (schema.ts, CROSS_FIELD_RULES). */
function crossFieldProblems(request: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const rule of CROSS_FIELD_RULES) {
    const value = request[rule.field];
    const other = request[rule.other];
    if (rule.rule === 'atLeast' && typeof value === 'number' && typeof other === 'number' && value < other) {
      problems.push({ field: rule.field, reason: `must be at least ${rule.other} (${rule.field} ${value} < ${rule.other} ${other})` });
    } else if (rule.rule === 'notAboveWith' && typeof value === 'number' && value > rule.max && other === rule.value) {
      problems.push({ field: rule.field, reason: `above ${rule.max} cannot be used with ${rule.other}: ${JSON.stringify(rule.value)}` });
    } else if (rule.rule === 'onlyWith' && value !== undefined && other !== rule.value) {
      problems.push({ field: rule.field, reason: `is only allowed with ${rule.other}: ${JSON.stringify(rule.value)}` });
    }
  }
  return problems;
}

/** How many reasons one field lists before the rest are only counted. */
export const MAX_REASONS_PER_FIELD = 10;

/**
 * Every problem of a merged request, against the seed's schema or a server kind's dialect
 * of it (its profile), one entry per offending field (a field with several faults gets its
 * reasons joined, the first ten and a count of the rest), so one error can name them all.
 * Linear in the number of faults: a logit_bias of forty thousand bad entries is described
 * as fast as it is checked.
 */
export function validateRequest(request: Record<string, unknown>, dialect: RequestDialect = SEED): FieldProblem[] {
  const checkSchema = checkerFor(dialect);
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
      add(topField(error), () => describe(error, request, dialect));
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
