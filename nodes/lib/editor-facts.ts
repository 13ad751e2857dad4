/**
 * The runtime's facts that the dialogs need, handed to the editor through Node-RED's
 * exportable node settings (`RED.settings.<name>` in the editor), so that no limit,
 * rule or server fact is written twice. Plain data only: it travels as JSON.
 */
import { API_VERSION_PATTERN, CONNECTION_FIELDS, DEFAULT_AZURE_API_VERSION, HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN, RESERVED_HEADERS } from './connection/settings';
import { BOOLEAN_PARAMS, CROSS_FIELD_RULES, LOGIT_BIAS_MAX, LOGIT_BIAS_MIN, MAX_STOP_SEQUENCES, NUMBER_LIMITS, STRING_PARAMS } from './request/schema';
import { RESULT_FORMATS } from './results/result-messages';
import { PROFILES, SERVER_KIND_IDS } from './servers/profiles';
import { tokenCountingOf } from './tokens/token-counter';

/** Node-RED wants a node's setting names to start with its type, camel-cased. */
export const REQUEST_FACTS_SETTING = 'createCompletionFacts';
export const CONNECTION_FACTS_SETTING = 'completionApiFacts';

export const REQUEST_FACTS = {
  /** The seed's limits; a connection's server kind may lift some (CONNECTION_FACTS.profiles[kind].limits). */
  numberLimits: NUMBER_LIMITS,
  stringParams: STRING_PARAMS,
  booleanParams: BOOLEAN_PARAMS,
  maxStopSequences: MAX_STOP_SEQUENCES,
  logitBias: { min: LOGIT_BIAS_MIN, max: LOGIT_BIAS_MAX },
  crossFieldRules: CROSS_FIELD_RULES,
  resultFormats: RESULT_FORMATS,
};

export const CONNECTION_FACTS = {
  kinds: SERVER_KIND_IDS,
  profiles: PROFILES,
  /** Per kind: whether the server (`server`), the node (`encoding`) or nobody (null) turns text into tokens. */
  tokenCounting: Object.fromEntries(SERVER_KIND_IDS.map((id) => [id, tokenCountingOf(PROFILES[id])])),
  /** What a connection saved without a kind (by hand, or before kinds existed) means. */
  kindWhenMissing: 'openai',
  defaultApiVersion: DEFAULT_AZURE_API_VERSION,
  apiVersionPattern: API_VERSION_PATTERN,
  headers: { namePattern: HEADER_NAME_PATTERN, valuePattern: HEADER_VALUE_PATTERN, reserved: RESERVED_HEADERS },
  fields: CONNECTION_FIELDS,
};
