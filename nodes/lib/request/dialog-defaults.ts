import type { FieldProblem } from './validate';
import type { RequestParams } from './build-request';
import { BOOLEAN_PARAMS, NUMBER_PARAMS, STRING_PARAMS } from './schema';

/** The fields of a create-completion node as the editor stores them. */
export interface DialogFields {
  model?: string;
  /** Anything but `str` (or nothing): the model is read per message, not a default. */
  modelType?: string;
  best_of?: string;
  frequency_penalty?: string;
  logprobs?: string;
  max_tokens?: string;
  n?: string;
  /** How the editor stores `n`: Node-RED's editor reserves one-letter property names. */
  n_completions?: string;
  presence_penalty?: string;
  seed?: string;
  temperature?: string;
  top_p?: string;
  echo?: string;
  stream?: string;
  include_usage?: string;
  stop?: unknown;
  logit_bias?: unknown;
  suffix?: string;
  user?: string;
  extra?: string;
}

export interface DialogDefaults {
  params: RequestParams;
  problems: FieldProblem[];
}

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** A number field: a number when it reads as one; otherwise the text, so validation can name it. */
function numberField(value: unknown): unknown {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

function tristate(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

function stopField(value: unknown): unknown {
  if (Array.isArray(value)) {
    const sequences = value.filter((s) => typeof s === 'string' && s !== '');
    return sequences.length ? sequences : undefined;
  }
  return isBlank(value) ? undefined : value;
}

function logitBiasField(value: unknown, problems: FieldProblem[]): unknown {
  if (!Array.isArray(value)) return isBlank(value) ? undefined : value;
  if (value.length === 0) return undefined;
  const bias: Record<string, unknown> = {};
  for (const row of value) {
    if (row === null || typeof row !== 'object') continue;
    const { token, bias: amount } = row as { token?: unknown; bias?: unknown };
    if (isBlank(token)) continue;
    bias[String(token).trim()] = numberField(amount);
  }
  if (Object.keys(bias).length === 0) problems.push({ field: 'logit_bias', reason: 'has no token ids' });
  return bias;
}

/**
 * The request parameters a node's dialog sets, typed as the API wants them. A blank
 * field is left out so the server's default applies; `extra` holds parameters the
 * seed does not name (vLLM's `top_k`, say), which the dialog's own fields override.
 */
export function dialogDefaults(fields: DialogFields): DialogDefaults {
  const problems: FieldProblem[] = [];
  const params: RequestParams = {};

  if (!isBlank(fields.extra)) {
    try {
      const extra: unknown = JSON.parse(String(fields.extra));
      if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) throw new Error('not an object');
      for (const [key, value] of Object.entries(extra)) params[key] = value;
    } catch (error) {
      // The parser's own words say where it stopped (an unquoted key, a trailing comma).
      const why = error instanceof SyntaxError ? `: ${error.message}` : '';
      problems.push({ field: 'extra', reason: `must be a JSON object of additional parameters${why}` });
    }
  }

  for (const name of STRING_PARAMS) {
    if (name === 'model' && fields.modelType && fields.modelType !== 'str') continue;
    const value = fields[name];
    if (!isBlank(value)) params[name] = name === 'model' ? String(value).trim() : String(value);
  }
  for (const name of NUMBER_PARAMS) {
    const value = name === 'n' ? fields.n_completions ?? fields.n : fields[name];
    if (!isBlank(value)) params[name] = numberField(value);
  }
  for (const name of BOOLEAN_PARAMS) {
    const value = tristate(fields[name]);
    if (value !== undefined) params[name] = value;
  }
  const includeUsage = tristate(fields.include_usage);
  if (includeUsage !== undefined) params.stream_options = { include_usage: includeUsage };

  const stop = stopField(fields.stop);
  if (stop !== undefined) params.stop = stop;
  const logitBias = logitBiasField(fields.logit_bias, problems);
  if (logitBias !== undefined) params.logit_bias = logitBias;

  return { params, problems };
}
