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

/**
 * The seed's request schema. `nullable` is gone because the request builder drops
 * nulls before validation (a null in msg.payload means "do not send this").
 * Cross-field rules the seed states in prose live in validate.ts.
 */
export const REQUEST_SCHEMA = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: {
      oneOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' } },
        { type: 'array', minItems: 1, items: TOKEN_ID },
        {
          type: 'array',
          minItems: 1,
          items: { type: 'array', minItems: 1, items: TOKEN_ID },
        },
      ],
    },
    ...numberProperties,
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
        { type: 'array', minItems: 1, maxItems: MAX_STOP_SEQUENCES, items: { type: 'string' } },
      ],
    },
    stream_options: {
      type: 'object',
      properties: { include_usage: { type: 'boolean' } },
    },
    suffix: { type: 'string' },
    user: { type: 'string' },
  },
} as const;

/** Plain-words descriptions of the fields whose schema is a union. */
export const UNION_DESCRIPTIONS: Record<string, string> = {
  prompt: 'must be a string, an array of strings, an array of token ids, or an array of token-id arrays',
  stop: `must be a string or an array of 1 to ${MAX_STOP_SEQUENCES} strings`,
};
