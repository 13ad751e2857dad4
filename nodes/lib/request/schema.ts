/**
 * The one place that knows the Create Completion request: its JSON schema (from the
 * seed document, in plain JSON Schema form) and the parameter list the editor and
 * the request builder share. Nothing else in the package spells out parameter rules.
 */

export const STRING_PARAMS = ['model', 'suffix', 'user'] as const;
export const NUMBER_PARAMS = [
  'best_of', 'frequency_penalty', 'logprobs', 'max_tokens', 'n',
  'presence_penalty', 'seed', 'temperature', 'top_p',
] as const;
export const BOOLEAN_PARAMS = ['echo', 'stream'] as const;

/** Every request parameter named by the seed schema, in the editor's order. */
export const SEED_PARAMS = [
  'model', 'prompt', 'best_of', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs',
  'max_tokens', 'n', 'presence_penalty', 'seed', 'stop', 'stream', 'stream_options',
  'suffix', 'temperature', 'top_p', 'user',
] as const;

export const MAX_STOP_SEQUENCES = 4;
export const LOGIT_BIAS_MIN = -100;
export const LOGIT_BIAS_MAX = 100;

/**
 * The limits a server kind may set differently from the seed's (OpenAI's): a number,
 * or null for none the node enforces (servers/profiles.ts).
 */
export type RequestLimits = Partial<Record<'logprobs' | 'stop' | 'n' | 'best_of', number | null>>;

/**
 * Prompt forms a server takes besides the seed's four (a string, strings, token ids, arrays
 * of token ids). `mixed`: token ids and texts in one array, one prompt; an array of prompts
 * may hold such arrays, but no id at its top, where an id makes the whole array one prompt.
 * `object`: `{ prompt_string, multimodal_data }`, a text and the media (base64) its markers
 * stand for, alone or in an array of prompts.
 */
export interface PromptForms {
  mixed?: boolean;
  object?: boolean;
}

/** How a server kind's requests may differ from the seed's; its profile (servers/profiles.ts) holds each. */
export interface RequestDialect {
  limits?: RequestLimits;
  modelOptional?: boolean;
  promptForms?: PromptForms;
  /** A max_tokens below 0 that the server takes as no limit. */
  maxTokensNoLimit?: { value: number };
}

/** Numeric limits, shared by the runtime schema and the editor's validators. */
export const NUMBER_LIMITS: Record<(typeof NUMBER_PARAMS)[number], { integer: boolean; min?: number; max?: number }> = {
  best_of: { integer: true, min: 0, max: 20 },
  frequency_penalty: { integer: false, min: -2, max: 2 },
  logprobs: { integer: true, min: 0, max: 5 },
  max_tokens: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  n: { integer: true, min: 1, max: 128 },
  presence_penalty: { integer: false, min: -2, max: 2 },
  seed: { integer: true, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  temperature: { integer: false, min: 0, max: 2 },
  top_p: { integer: false, min: 0, max: 1 },
};

function numberSchema(limits: { integer: boolean; min?: number; max?: number }): Record<string, unknown> {
  const schema: Record<string, unknown> = { type: limits.integer ? 'integer' : 'number' };
  if (limits.min !== undefined) schema.minimum = limits.min;
  if (limits.max !== undefined) schema.maximum = limits.max;
  return schema;
}

const numberProperties = Object.fromEntries(
  Object.entries(NUMBER_LIMITS).map(([name, limits]) => [name, numberSchema(limits)]),
);

/** ajv takes Infinity for an integer: every integer needs an upper bound. */
const TOKEN_ID = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** The highest a limit allows: the seed's, a server's own, or (null) as high as JSON integers go. */
function maxOf(limits: RequestLimits, name: keyof RequestLimits, seed: number): number {
  const limit = limits[name];
  return limit === undefined ? seed : limit === null ? Number.MAX_SAFE_INTEGER : limit;
}

/** The seed's four prompt forms, or a server's own (PromptForms). */
function promptSchema(forms: PromptForms = {}): Record<string, unknown> {
  if (!forms.mixed && !forms.object) {
    return {
      oneOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' } },
        { type: 'array', minItems: 1, items: TOKEN_ID },
        { type: 'array', minItems: 1, items: { type: 'array', minItems: 1, items: TOKEN_ID } },
      ],
    };
  }
  // One prompt as an array: token ids, and texts among them where the server mixes them.
  // An id in it tells it from an array of prompts.
  const onePrompt = forms.mixed
    ? { type: 'array', minItems: 1, items: { anyOf: [TOKEN_ID, { type: 'string' }] }, contains: TOKEN_ID }
    : { type: 'array', minItems: 1, items: TOKEN_ID };
  const object = {
    type: 'object',
    required: ['prompt_string'],
    // A misspelt key would be ignored by the server.
    additionalProperties: false,
    properties: { prompt_string: { type: 'string' }, multimodal_data: { type: 'array', items: { type: 'string' } } },
  };
  const single = forms.object ? [onePrompt, object] : [onePrompt];
  return {
    oneOf: [
      { type: 'string' },
      ...single,
      // Several prompts; the server refuses an empty list.
      { type: 'array', minItems: 1, items: { anyOf: [{ type: 'string' }, ...single] } },
    ],
  };
}

/**
 * The seed's request schema, as a server kind's dialect changes it. `nullable` is gone
 * because the request builder drops nulls before validation (a null in msg.payload means
 * "do not send this"). Cross-field rules the seed states in prose are CROSS_FIELD_RULES.
 */
export function requestSchema(dialect: RequestDialect = {}): Record<string, unknown> {
  const limits = dialect.limits ?? {};
  const numbers: Record<string, Record<string, unknown>> = {};
  for (const [name, seed] of Object.entries(NUMBER_LIMITS)) {
    const schema = numberSchema(seed);
    if (name === 'logprobs' || name === 'n' || name === 'best_of') schema.maximum = maxOf(limits, name, seed.max!);
    numbers[name] = schema;
  }
  if (dialect.maxTokensNoLimit) numbers.max_tokens.minimum = dialect.maxTokensNoLimit.value;
  return {
    type: 'object',
    required: dialect.modelOptional ? ['prompt'] : ['model', 'prompt'],
    properties: {
      model: { type: 'string', minLength: 1 },
      prompt: promptSchema(dialect.promptForms),
      ...numbers,
      echo: { type: 'boolean' },
      stream: { type: 'boolean' },
      logit_bias: {
        type: 'object',
        propertyNames: { pattern: '^[0-9]+$' },
        additionalProperties: { type: 'integer', minimum: LOGIT_BIAS_MIN, maximum: LOGIT_BIAS_MAX },
      },
      stop: {
        oneOf: [
          { type: 'string' },
          { type: 'array', minItems: 1, maxItems: maxOf(limits, 'stop', MAX_STOP_SEQUENCES), items: { type: 'string' } },
        ],
      },
      stream_options: {
        type: 'object',
        properties: { include_usage: { type: 'boolean' } },
      },
      suffix: { type: 'string' },
      user: { type: 'string' },
    },
  };
}

/**
 * The seed's rules between fields, as data, so the dialog checks what the runtime
 * checks: `atLeast` (the field is at least the other's value), `notAboveWith` (the field
 * is at most `max` while the other has `value`), `onlyWith` (the field only while the
 * other has `value`).
 */
export const CROSS_FIELD_RULES = [
  { rule: 'atLeast', field: 'best_of', other: 'n' },
  { rule: 'notAboveWith', field: 'best_of', max: 1, other: 'stream', value: true },
  { rule: 'onlyWith', field: 'stream_options', other: 'stream', value: true },
] as const;

/** Plain-words descriptions of the fields whose schema is a union. */
export function unionDescription(field: string, dialect: RequestDialect = {}): string {
  if (field === 'prompt') return promptDescription(dialect.promptForms);
  if (field === 'stop') {
    const stop = dialect.limits?.stop;
    const max = stop === undefined ? MAX_STOP_SEQUENCES : stop;
    return max === null ? 'must be a string or an array of strings' : `must be a string or an array of 1 to ${max} strings`;
  }
  return 'is invalid';
}

function promptDescription(forms: PromptForms = {}): string {
  if (!forms.mixed && !forms.object) return 'must be a string, an array of strings, an array of token ids, or an array of token-id arrays';
  const one = [forms.mixed ? 'an array of token ids and texts (with at least one id)' : 'an array of token ids'];
  if (forms.object) one.push('a { prompt_string, multimodal_data } object');
  return `must be a string, ${one.join(', ')}, or a non-empty array of prompts, each a string or ${one.length > 1 ? 'one of those' : 'such an array'}`;
}
