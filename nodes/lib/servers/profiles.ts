/**
 * One profile per kind of server: what each server that serves `POST …/completions`
 * accepts, refuses, silently ignores and adds. This is the one place that knows; the
 * runtime checks requests against it, and the editor gets the same data through
 * Node-RED's exportable node settings, so the dialogs never restate a fact.
 *
 * Every fact cites its source: a file of the server's own source at a commit or tag,
 * a documentation page, or a recorded answer of a real server (test/fixtures/<server>/,
 * "rec NN"). Profiles are plain data (JSON-safe), so they can travel to the editor.
 */

import { SEED_PARAMS, type PromptForms } from '../request/schema';

export const SERVER_KIND_IDS = [
  'llamacpp', 'ollama', 'vllm', 'lmstudio', 'localai', 'sglang', 'tgi', 'openrouter', 'other', 'openai', 'azure', 'azure-v1',
] as const;
export type ServerKindId = (typeof SERVER_KIND_IDS)[number];

/** When a rule applies to a parameter's value. */
export type Condition =
  | { is: unknown }
  | { above: number }
  /** Present and not an empty string. */
  | { present: true }
  | { notString: true }
  /** An object with at least one key. */
  | { nonEmpty: true }
  /** A prompt of token ids (an array of numbers or of number arrays). */
  | { tokens: true }
  /** A prompt that is not exactly one string. */
  | { notOneString: true }
  | { oneOf: unknown[] };

export interface ServerRule {
  param: string;
  when: Condition;
  /** Only together with another parameter's value, e.g. `{ stream: true }`. */
  with?: Record<string, unknown>;
  /** The true reason, as the error will say it: "<subject> is not for <label>, which <why>". */
  why: string;
  source: string;
  /** Derived, below: the parameter and the values the rule is about, as a user reads it (`max_tokens = 0`). */
  subject?: string;
}

export interface OwnParam {
  type: 'integer' | 'number' | 'boolean' | 'string' | 'string[]' | 'string|string[]' | 'integer[]' | 'object';
  min?: number;
  max?: number;
  doc: string;
}

export interface ServerProfile {
  id: ServerKindId;
  label: string;
  /**
   * `self-hosted`: servers users run; `hosted`: OpenAI-compatible services; `legacy`:
   * OpenAI and Azure, whose completion models are retired, serving only fine-tuned or
   * still-deployed ones.
   */
  family: 'self-hosted' | 'hosted' | 'legacy';
  /** The usual address of a fresh install; null where the user must type it (Azure). */
  defaultBaseUrl: string | null;
  placeholder: string;
  /** The base URL is an Azure resource endpoint, not a `/v1` API root. */
  resourceEndpoint: boolean;
  /** The model field names a deployment, which the server's model list does not list. */
  deployments?: true;
  /** Every request carries the connection's `api-version` query parameter. */
  apiVersionQuery?: true;
  auth: 'bearer' | 'openai' | 'api-key';
  apiKey: 'required' | 'optional';
  /**
   * Upper limits the node enforces: where the server's limit is fixed. `null` lifts the
   * seed schema's OpenAI limit, for servers that allow more (or let their operator
   * choose); the server then answers for itself.
   */
  limits: Partial<Record<'logprobs' | 'stop' | 'n' | 'best_of', number | null>>;
  /** Parameters the server answers with an error: refused before sending. */
  refuses: ServerRule[];
  /** Parameters the server takes and silently ignores: refused before sending, so a flow learns it. */
  ignores: ServerRule[];
  /** The server's own request parameters, documented; others are forwarded as they are. */
  ownParams: Record<string, OwnParam>;
  /** How logprobs come back: the classic arrays, the chat shape (converted), or not at all. */
  logprobs: 'classic' | 'chat' | 'none';
  /** `done`: streams end with `data: [DONE]`; `done-or-finished`: older builds close without it once every choice finished. */
  streamEnd: 'done' | 'done-or-finished';
  /** What its `usage` covers, where that differs from OpenAI's. */
  usage: {
    /** Not streamed, `usage` covers the first task only: the first prompt, and its first choice. */
    firstTaskOnly?: boolean;
    /** Streamed, each choice's last event carries the usage of its own task. */
    perChoiceWhenStreamed?: boolean;
    zeroUnlessStreamed?: boolean;
    note?: string;
  };
  /** The server's endpoint that counts a prompt's tokens, if it has one. */
  tokenize: { path: string; fromOrigin: boolean; shape: 'llamacpp' | 'vllm' | 'localai' | 'tgi' } | null;
  /** Where the model's context length can be read. */
  contextLength: 'models-meta-n_ctx' | 'models-max_model_len' | 'tgi-info' | 'models-context_length' | 'known-models' | null;
  /** The server's own word for a field left blank. */
  blankMeans: string;
  /** The server answers a request without a model (it serves the model it has loaded). */
  modelOptional?: boolean;
  /**
   * What the server generates when max_tokens is blank: a number, or `context`: until the
   * end of text or until the model's context is full.
   */
  defaultMaxTokens?: number | 'context';
  /** A max_tokens below the API's 0 that the server takes as no limit, as it takes a blank one. */
  maxTokensNoLimit?: { value: number; source: string };
  /** Prompt forms the server takes besides the API's four; the schema, the token counting and the dialog follow them. */
  promptForms?: PromptForms & { source: string };
  /** Fields whose blank is not what a user expects: a warning in the dialog. */
  blankWarnings: Array<{ param: string; why: string; source: string }>;
  notes: string[];
  sources: string[];
}

const OPENAI_LIMITS = { logprobs: 5, stop: 4, n: 128, best_of: 20 };
const NO_LIMITS = { logprobs: null, stop: null, n: null, best_of: null };

const REC = 'recorded llama-server b10359 (test/fixtures/llama.cpp)';
const V050 = 'recorded llama-server v0.5.0, de3ff81 (test/demo-server/fixtures/llama.cpp-v0.5.0)';
const LLAMA = 'ggml-org/llama.cpp';
const VLLM = 'vllm-project/vllm';
const OLLAMA = 'ollama/ollama v0.32.15 (b7871fc)';
const LOCALAI = 'mudler/LocalAI v4.9.0 (f7ad3f7)';
const TGI = 'huggingface/text-generation-inference v3.3.7';
const SGLANG = 'sgl-project/sglang@004c82e0';

/** Server parameters several servers share, with the same meaning. */
const SHARED_PARAMS = {
  typical_p: { type: 'number', doc: 'locally typical sampling' },
  ignore_eos: { type: 'boolean', doc: 'keep generating past the end-of-text token' },
  min_tokens: { type: 'integer', min: 0, doc: 'generate at least this many tokens' },
  stop_token_ids: { type: 'integer[]', doc: 'token ids that end the completion' },
  top_k: { type: 'integer', doc: 'keep only the k most likely tokens' },
  repeat_penalty: { type: 'number', doc: 'penalise repeated tokens' },
  min_p: { type: 'number', doc: 'drop tokens below this share of the top probability' },
  repetition_penalty: { type: 'number', doc: 'penalise repeated tokens' },
} satisfies Record<string, OwnParam>;

/** What both Azure APIs share: a resource endpoint, deployments for models, OpenAI's behaviour. */
const AZURE_RESOURCE = {
  family: 'legacy',
  defaultBaseUrl: null,
  placeholder: 'https://YOUR-RESOURCE.openai.azure.com',
  resourceEndpoint: true,
  deployments: true,
  auth: 'api-key',
  apiKey: 'required',
  limits: OPENAI_LIMITS,
  ignores: [],
  ownParams: {},
  logprobs: 'classic',
  streamEnd: 'done',
  usage: {},
  tokenize: null,
  contextLength: null,
  blankMeans: 'OpenAI\'s defaults',
  defaultMaxTokens: 16, // the OpenAI API reference
  blankWarnings: [],
} satisfies Omit<ServerProfile, 'id' | 'label' | 'refuses' | 'notes' | 'sources'>;

export const PROFILES: Record<ServerKindId, ServerProfile> = {
  llamacpp: {
    id: 'llamacpp',
    label: 'llama.cpp server',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:8080/v1',
    placeholder: 'http://localhost:8080/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    // rec 12: `n` above the slot count (-np) is a 400 of the server's own; logprobs
    // (n_probs) and stop have no cap (tools/server/server-schema.cpp@0177c342).
    limits: NO_LIMITS,
    refuses: [
      // Both outrank max_tokens there (tools/server/server-schema.cpp, params_from_json_cmpl).
      { param: 'n_predict', when: { present: true }, why: 'takes it in place of max_tokens, where the context guard and a budget cannot see it: set max_tokens instead', source: `${V050}, rec 53` },
      { param: 'max_completion_tokens', when: { present: true }, why: 'takes it in place of max_tokens, where the context guard and a budget cannot see it: set max_tokens instead', source: `${LLAMA} tools/server/server-schema.cpp` },
      // Its own name for n: the answer would hold more choices than the node was asked for, unreserved.
      { param: 'n_cmpl', when: { present: true }, why: 'takes it in place of n, where the node and a budget cannot see how many choices come: set n instead', source: `${LLAMA} tools/server/README.md, server-schema.cpp` },
    ],
    ignores: [
      { param: 'echo', when: { is: true }, why: 'ignores it: the answer would not contain the prompt', source: `${REC}, rec 13` },
      { param: 'logprobs', when: { is: 0 }, why: 'returns no log probabilities for 0 (OpenAI returns those of the chosen tokens): ask for 1', source: `${V050}, rec 08` },
      { param: 'max_tokens', when: { is: 0 }, why: 'generates a token all the same', source: `${V050}, rec 52` },
      { param: 'best_of', when: { above: 1 }, why: 'ignores it: the answer would hold the first candidates, not the best', source: `${REC}, rec 15` },
      { param: 'suffix', when: { present: true }, why: 'ignores it on this endpoint: the completion would not lead into it', source: `${REC}, rec 17` },
    ],
    ownParams: {
      top_k: { type: 'integer', doc: 'keep only the k most likely tokens (default 40; 0 or less: off)' },
      min_p: { type: 'number', min: 0, max: 1, doc: 'drop tokens below this share of the top probability (default 0.05)' },
      typical_p: SHARED_PARAMS.typical_p,
      repeat_penalty: { type: 'number', doc: 'penalise repeated tokens (default 1.0: off)' },
      repeat_last_n: { type: 'integer', min: 0, doc: 'how many recent tokens the repeat penalty looks at (default 64)' },
      n_probs: { type: 'integer', min: 0, doc: 'llama.cpp\'s own name for logprobs' },
      post_sampling_probs: { type: 'boolean', doc: 'probabilities after sampling; the node turns them into log probabilities' },
      cache_prompt: { type: 'boolean', doc: 'reuse the cached prompt prefix (default true)' },
      id_slot: { type: 'integer', min: -1, doc: 'run on this slot (-1: any)' },
      n_keep: { type: 'integer', min: -1, doc: 'prompt tokens kept when the context fills' },
      mirostat: { type: 'integer', min: 0, max: 2, doc: 'Mirostat sampling (0 off, 1, 2)' },
      mirostat_tau: { type: 'number', doc: 'Mirostat target entropy' },
      mirostat_eta: { type: 'number', doc: 'Mirostat learning rate' },
      grammar: { type: 'string', doc: 'a GBNF grammar the output must follow' },
      json_schema: { type: 'object', doc: 'a JSON schema the output must follow' },
      samplers: { type: 'string|string[]', doc: 'the order of the samplers: names, or one letter each ("dkypmxt")' },
      dry_multiplier: { type: 'number', doc: 'DRY repetition penalty strength' },
      xtc_probability: { type: 'number', min: 0, max: 1, doc: 'XTC sampling probability' },
      xtc_threshold: { type: 'number', min: 0, max: 1, doc: 'XTC threshold' },
      ignore_eos: SHARED_PARAMS.ignore_eos,
      t_max_predict_ms: { type: 'integer', min: -1, doc: 'stop generating after this many milliseconds' },
    },
    logprobs: 'chat',
    streamEnd: 'done-or-finished',
    usage: { firstTaskOnly: true, perChoiceWhenStreamed: true, note: 'not streamed, usage counts the first prompt\'s first choice only (rec 23; v0.5.0 rec 51); streamed, each choice\'s last event has its own (v0.5.0 rec 56, 57)' },
    tokenize: { path: '/tokenize', fromOrigin: true, shape: 'llamacpp' },
    contextLength: 'models-meta-n_ctx',
    blankMeans: 'the server\'s defaults, set when it was started (temperature 0.8, top_p 0.95, top_k 40; max_tokens: until the end of text or the context)',
    modelOptional: true, // rec 03: no model, answered with the loaded one
    // server-context.cpp: a task's n_predict of -1 takes the server's --n-predict, itself -1
    // (no limit) unless set; generation stops when the context is full (v0.5.0 rec 63: 254
    // tokens after a prompt of 2 in a context of 256).
    defaultMaxTokens: 'context',
    maxTokensNoLimit: { value: -1, source: `${LLAMA} tools/server/server-schema.cpp (n_predict, hard limits -1..INT32_MAX); ${V050}, rec 63` },
    promptForms: {
      mixed: true,
      object: true,
      source: `${LLAMA} tools/server/README.md (POST /completion, prompt) and server-common.cpp (tokenize_input_prompts); ${V050}, rec 58-62`,
    },
    blankWarnings: [],
    notes: [
      'n is limited by the server\'s slots (-np); more is a 400 from the server (rec 12)',
      'logprobs come in the chat shape and are converted to the classic one, keeping the server\'s entries in logprobs.content (rec 06, 09)',
      'the model field is ignored in single-model mode; the answer names the loaded model (rec 02, 03)',
      'builds before about b7090 (Nov 2025) refuse echo, best_of and suffix with an error, and before PR 17775 (Dec 2025) any n other than 1',
    ],
    sources: [REC, `${LLAMA} tools/server/server-schema.cpp@0177c342, server-context.cpp@001d906a, server-common.cpp@006639c3`],
  },
  ollama: {
    id: 'ollama',
    label: 'Ollama',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:11434/v1',
    placeholder: 'http://localhost:11434/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    limits: { logprobs: null, stop: null, n: null, best_of: null },
    refuses: [
      { param: 'prompt', when: { notString: true }, why: 'takes a single string prompt (an array fails to decode: HTTP 400)', source: `${OLLAMA} openai/openai.go:147-150` },
    ],
    ignores: [
      { param: 'n', when: { above: 1 }, why: 'ignores it: it returns one choice', source: `${OLLAMA} openai/openai.go:148-163 (no such field)` },
      { param: 'best_of', when: { above: 1 }, why: 'ignores it', source: `${OLLAMA} openai/openai.go:148-163` },
      { param: 'echo', when: { is: true }, why: 'ignores it: the answer would not contain the prompt', source: `${OLLAMA} openai/openai.go:148-163` },
      { param: 'logit_bias', when: { nonEmpty: true }, why: 'ignores it', source: `${OLLAMA} openai/openai.go:148-163` },
      { param: 'logprobs', when: { above: 0 }, why: 'reads it but never returns logprobs on this endpoint', source: `${OLLAMA} openai/openai.go:407-447 (ToCompletion)` },
      { param: 'top_p', when: { is: 0 }, why: 'turns a top_p of 0 into 1.0', source: `${OLLAMA} openai/openai.go:787-846 (FromCompleteRequest)` },
    ],
    ownParams: {},
    logprobs: 'none',
    streamEnd: 'done',
    usage: { note: 'streamed usage comes only with stream_options.include_usage' },
    tokenize: null,
    contextLength: null,
    blankMeans: 'the model\'s Modelfile defaults, except temperature and top_p, which Ollama sets to 1.0 when left blank',
    blankWarnings: [
      { param: 'temperature', why: 'Ollama sets a blank temperature to 1.0, not to the model\'s own default', source: `${OLLAMA} openai/openai.go:787-846` },
      { param: 'top_p', why: 'Ollama sets a blank top_p to 1.0, not to the model\'s own default', source: `${OLLAMA} openai/openai.go:787-846` },
    ],
    notes: [
      'the prompt goes through the model\'s template, so this is not a raw completion (server/routes.go:496-520)',
      'a prompt longer than the context is cut silently, without an error (llm/llama_server.go:281-318)',
      'Ollama has no endpoint that counts tokens, so the node cannot guard the context before sending',
      'suffix works only with models that can insert; others answer 400 "… does not support insert"',
    ],
    sources: [`${OLLAMA}: openai/openai.go, middleware/openai.go, server/routes.go`],
  },
  vllm: {
    id: 'vllm',
    label: 'vLLM',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:8000/v1',
    placeholder: 'http://localhost:8000/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    // logprobs up to --max-logprobs (default 20), chosen by the operator: the server says so.
    limits: NO_LIMITS,
    refuses: [
      { param: 'suffix', when: { present: true }, why: 'refuses it ("suffix is not currently supported", HTTP 400)', source: `${VLLM}@01063cd0 vllm/renderers/online_renderer.py` },
    ],
    ignores: [
      { param: 'best_of', when: { above: 1 }, why: 'ignores it since 0.19: the answer would hold the first candidates, not the best', source: `${VLLM}@002032ee vllm/entrypoints/openai/completion/protocol.py (no best_of field)` },
    ],
    ownParams: {
      top_k: { type: 'integer', doc: 'keep only the k most likely tokens (0 or -1: off)' },
      min_p: { type: 'number', min: 0, max: 1, doc: 'drop tokens below this share of the top probability' },
      repetition_penalty: { type: 'number', doc: 'penalise repeated tokens (1.0: off)' },
      min_tokens: SHARED_PARAMS.min_tokens,
      stop_token_ids: SHARED_PARAMS.stop_token_ids,
      ignore_eos: SHARED_PARAMS.ignore_eos,
      skip_special_tokens: { type: 'boolean', doc: 'leave special tokens out of the text (default true)' },
      include_stop_str_in_output: { type: 'boolean', doc: 'keep the stop string in the text' },
      prompt_logprobs: { type: 'integer', min: -1, doc: 'log probabilities of the prompt tokens (not with stream)' },
      truncate_prompt_tokens: { type: 'integer', min: -1, doc: 'keep only the last N prompt tokens' },
      allowed_token_ids: { type: 'integer[]', doc: 'only these tokens may be generated' },
      bad_words: { type: 'string[]', doc: 'words that must not be generated' },
      length_penalty: { type: 'number', doc: 'beam search length penalty' },
      use_beam_search: { type: 'boolean', doc: 'beam search (not with stream)' },
      priority: { type: 'integer', doc: 'scheduling priority' },
    },
    logprobs: 'classic',
    streamEnd: 'done',
    usage: { note: 'streamed usage comes only with stream_options.include_usage, as a last chunk without choices' },
    tokenize: { path: '/tokenize', fromOrigin: true, shape: 'vllm' },
    contextLength: 'models-max_model_len',
    blankMeans: 'the model\'s generation_config.json, then OpenAI\'s defaults; max_tokens blank means 16',
    modelOptional: true, // vllm-project/vllm@002032ee protocol.py: model: str | None
    defaultMaxTokens: 16, // vllm-project/vllm@002032ee protocol.py normalize_null_max_tokens
    blankWarnings: [
      { param: 'max_tokens', why: 'vLLM generates 16 tokens when max_tokens is blank', source: `${VLLM}@002032ee vllm/entrypoints/openai/completion/protocol.py (normalize_null_max_tokens)` },
    ],
    notes: [
      'logprobs up to the server\'s --max-logprobs (default 20); more is a 400 from the server',
      'its errors are nested {error: {message, type, param, code}} since v0.10.1, flat before; both are read',
    ],
    sources: [`${VLLM}: vllm/entrypoints/openai/completion/protocol.py@002032ee, serving.py@030ea52e, renderers/online_renderer.py@01063cd0, entrypoints/serve/tokenize/api_router.py@045d7575`],
  },
  lmstudio: {
    id: 'lmstudio',
    label: 'LM Studio',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:1234/v1',
    placeholder: 'http://localhost:1234/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    limits: NO_LIMITS,
    refuses: [],
    ignores: [],
    ownParams: {
      top_k: SHARED_PARAMS.top_k,
      repeat_penalty: SHARED_PARAMS.repeat_penalty,
      ttl: { type: 'integer', min: 0, doc: 'seconds a just-in-time loaded model stays loaded when idle' },
    },
    logprobs: 'classic',
    streamEnd: 'done',
    usage: { note: 'streamed usage with stream_options.include_usage, since 0.3.18' },
    tokenize: null,
    contextLength: null,
    blankMeans: 'the model\'s preset in LM Studio',
    blankWarnings: [],
    notes: [
      'documented parameters: model, top_p, top_k, temperature, max_tokens, stream, stop, presence_penalty, frequency_penalty, logit_bias, repeat_penalty, seed; n, best_of, echo, logprobs, suffix and user are not documented',
      'no prompt template is applied: a raw completion',
      '/v1/models lists the models visible to the server (all downloaded ones with just-in-time loading)',
    ],
    sources: ['lmstudio-ai/docs@c6854fb: 1_developer/3_openai-compat/completions.mdx, chat-completions.md, models.md, api-changelog.md'],
  },
  localai: {
    id: 'localai',
    label: 'LocalAI',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:8080/v1',
    placeholder: 'http://localhost:8080/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    limits: NO_LIMITS,
    refuses: [
      { param: 'prompt', when: { notOneString: true }, with: { stream: true }, why: 'streams only a single string prompt (HTTP 400 otherwise)', source: `${LOCALAI} core/http/endpoints/openai/completion.go:22-31` },
    ],
    ignores: [
      { param: 'prompt', when: { tokens: true }, why: 'drops token-id prompts: it reads only strings', source: `${LOCALAI} core/http/middleware/request.go:631-640` },
      { param: 'best_of', when: { above: 1 }, why: 'ignores it', source: `${LOCALAI} core/schema/openai.go:188-258 (no such field)` },
      { param: 'suffix', when: { present: true }, why: 'ignores it', source: `${LOCALAI} core/schema/openai.go:188-258 (no such field)` },
      { param: 'echo', when: { is: true }, with: { stream: true }, why: 'does not echo the prompt into a stream', source: `${LOCALAI} core/backend/llm.go:473-476` },
      { param: 'logprobs', when: { above: 0 }, with: { stream: true }, why: 'returns logprobs only when not streaming', source: `${LOCALAI} core/http/endpoints/openai/inference.go:193-196` },
    ],
    ownParams: {
      top_k: SHARED_PARAMS.top_k,
      min_p: SHARED_PARAMS.min_p,
      top_logprobs: { type: 'integer', min: 0, doc: 'how many alternatives logprobs lists (LocalAI reads the count here; the node copies logprobs into it)' },
      repeat_penalty: SHARED_PARAMS.repeat_penalty,
      repeat_last_n: { type: 'integer', doc: 'how many recent tokens the repeat penalty looks at' },
      n_keep: { type: 'integer', doc: 'prompt tokens kept when the context fills' },
      typical_p: SHARED_PARAMS.typical_p,
      ignore_eos: SHARED_PARAMS.ignore_eos,
      grammar: { type: 'string', doc: 'a grammar the output must follow' },
      backend: { type: 'string', doc: 'the backend to run the model on' },
    },
    logprobs: 'chat',
    streamEnd: 'done',
    usage: { zeroUnlessStreamed: true, note: 'token counts are 0 in answers that are not streamed (since commit 96f8ec040, Jan 2025)' },
    tokenize: { path: '/tokenize', fromOrigin: false, shape: 'localai' },
    contextLength: null,
    blankMeans: 'the model\'s YAML configuration in LocalAI',
    modelOptional: true, // mudler/LocalAI v4.9.0 core/http/routes/openai.go:124-125: the first model that can complete
    blankWarnings: [],
    notes: [
      'finish_reason is always "stop" on this endpoint, so an answer cut at max_tokens cannot be told apart (completion.go:270-273)',
      'a stream that fails sends "Internal error: …" as text and no [DONE]: the node fails the message with that text',
      'while a model loads on a distributed node, 503 with Retry-After',
    ],
    sources: [`${LOCALAI}: core/http/endpoints/openai/completion.go, inference.go, core/http/middleware/request.go, core/schema/openai.go, core/schema/tokenize.go`],
  },
  sglang: {
    id: 'sglang',
    label: 'SGLang',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:30000/v1',
    placeholder: 'http://localhost:30000/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    limits: NO_LIMITS,
    refuses: [],
    ignores: [
      { param: 'best_of', when: { above: 1 }, why: 'accepts it but does not pass it to sampling', source: `${SGLANG} python/sglang/srt/entrypoints/openai/serving_completions.py (_build_sampling_params)` },
    ],
    ownParams: {
      top_k: { type: 'integer', doc: 'keep only the k most likely tokens (-1: off)' },
      min_p: SHARED_PARAMS.min_p,
      min_tokens: SHARED_PARAMS.min_tokens,
      repetition_penalty: SHARED_PARAMS.repetition_penalty,
      stop_token_ids: SHARED_PARAMS.stop_token_ids,
      ignore_eos: SHARED_PARAMS.ignore_eos,
      skip_special_tokens: { type: 'boolean', doc: 'leave special tokens out of the text' },
      no_stop_trim: { type: 'boolean', doc: 'keep the stop string in the text' },
      json_schema: { type: 'string', doc: 'a JSON schema the output must follow' },
      regex: { type: 'string', doc: 'a regular expression the output must match' },
      ebnf: { type: 'string', doc: 'an EBNF grammar the output must follow' },
    },
    logprobs: 'classic',
    streamEnd: 'done',
    usage: { note: 'streamed usage with stream_options.include_usage' },
    tokenize: null,
    contextLength: 'models-max_model_len',
    blankMeans: 'the model\'s generation config; max_tokens blank means 16',
    modelOptional: true, // sgl-project/sglang@004c82e0 protocol.py
    defaultMaxTokens: 16, // sgl-project/sglang@004c82e0 protocol.py
    blankWarnings: [
      { param: 'max_tokens', why: 'SGLang generates 16 tokens when max_tokens is blank', source: `${SGLANG} python/sglang/srt/entrypoints/openai/protocol.py (CompletionRequest)` },
    ],
    notes: ['suffix is used only with a completion template configured for fill-in-the-middle', 'its errors are flat {object: "error", message, type, param, code}'],
    sources: [`${SGLANG}: python/sglang/srt/entrypoints/openai/protocol.py, serving_completions.py`],
  },
  tgi: {
    id: 'tgi',
    label: 'Hugging Face TGI',
    family: 'self-hosted',
    defaultBaseUrl: 'http://localhost:8080/v1',
    placeholder: 'http://localhost:8080/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'optional',
    // --max-stop-sequences defaults to 4 (launcher/src/main.rs:662); the operator may raise it.
    limits: NO_LIMITS,
    refuses: [
      { param: 'suffix', when: { present: true }, why: 'refuses it (HTTP 422 "Suffix is not supported")', source: `${TGI} router/src/server.rs:748-758` },
      { param: 'prompt', when: { tokens: true }, why: 'takes only string prompts', source: `${TGI} router/src/lib.rs:459-489 (PromptDeserializer)` },
    ],
    ignores: [
      { param: 'n', when: { above: 1 }, why: 'ignores it: it returns one choice per prompt', source: `${TGI} router/src/lib.rs:491-543 (no such field)` },
      { param: 'best_of', when: { above: 1 }, why: 'ignores it on this endpoint', source: `${TGI} router/src/lib.rs:491-543` },
      { param: 'echo', when: { is: true }, why: 'ignores it', source: `${TGI} router/src/lib.rs:491-543` },
      { param: 'logprobs', when: { above: 0 }, why: 'ignores it on this endpoint (logprobs are always null)', source: `${TGI} router/src/server.rs:864-880` },
      { param: 'logit_bias', when: { nonEmpty: true }, why: 'ignores it on this endpoint', source: `${TGI} router/src/lib.rs:491-543` },
      { param: 'presence_penalty', when: { above: 0 }, why: 'ignores it on this endpoint', source: `${TGI} router/src/lib.rs:491-543` },
    ],
    ownParams: {
      repetition_penalty: SHARED_PARAMS.repetition_penalty,
    },
    logprobs: 'none',
    streamEnd: 'done',
    usage: { perChoiceWhenStreamed: true, note: 'usage only on the final chunk of each prompt' },
    tokenize: { path: '/tokenize', fromOrigin: true, shape: 'tgi' },
    contextLength: 'tgi-info',
    blankMeans: 'TGI\'s defaults',
    modelOptional: true, // huggingface/text-generation-inference v3.3.7 router/src/lib.rs: the model field is not used
    blankWarnings: [],
    notes: [
      'stop must be a list on TGI: the node sends a single stop string as a list of one',
      'at most 4 prompts per request by default (--max-client-batch-size)',
      'its errors are flat {error, error_type}',
    ],
    sources: [`${TGI}: router/src/lib.rs, router/src/server.rs, router/src/validation.rs, launcher/src/main.rs`],
  },
  openrouter: {
    id: 'openrouter',
    label: 'OpenRouter',
    family: 'hosted',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    placeholder: 'https://openrouter.ai/api/v1',
    resourceEndpoint: false,
    auth: 'bearer',
    apiKey: 'required',
    limits: NO_LIMITS,
    refuses: [],
    ignores: [],
    ownParams: {
      top_k: SHARED_PARAMS.top_k,
      min_p: SHARED_PARAMS.min_p,
      top_a: { type: 'number', doc: 'top-a sampling' },
      repetition_penalty: SHARED_PARAMS.repetition_penalty,
      top_logprobs: { type: 'integer', doc: 'how many alternatives per token' },
      models: { type: 'string[]', doc: 'models to fall back to' },
      provider: { type: 'object', doc: 'provider routing preferences' },
      transforms: { type: 'string[]', doc: 'prompt transforms' },
    },
    logprobs: 'classic',
    streamEnd: 'done',
    usage: {},
    tokenize: null,
    contextLength: 'models-context_length',
    blankMeans: 'the chosen provider\'s defaults',
    blankWarnings: [],
    notes: ['an error after generation started comes with HTTP 200, in the body or as a stream event', 'its error codes are numbers'],
    sources: ['https://openrouter.ai/docs/api-reference/overview', 'https://openrouter.ai/docs/api/reference/errors-and-debugging'],
  },
  other: {
    id: 'other',
    label: 'OpenAI-compatible (other)',
    family: 'hosted',
    defaultBaseUrl: null,
    placeholder: 'http://host:port/v1',
    resourceEndpoint: false,
    auth: 'openai',
    apiKey: 'optional',
    limits: NO_LIMITS,
    refuses: [],
    ignores: [],
    ownParams: {},
    logprobs: 'classic',
    streamEnd: 'done',
    usage: {},
    tokenize: null,
    contextLength: null,
    blankMeans: 'the server\'s defaults',
    blankWarnings: [],
    notes: ['requests are sent as they are; use Check to see what the server honours'],
    sources: [],
  },
  openai: {
    id: 'openai',
    label: 'OpenAI',
    family: 'legacy',
    defaultBaseUrl: 'https://api.openai.com/v1',
    placeholder: 'https://api.openai.com/v1',
    resourceEndpoint: false,
    auth: 'openai',
    apiKey: 'required',
    limits: OPENAI_LIMITS,
    refuses: [],
    ignores: [],
    ownParams: {},
    logprobs: 'classic',
    streamEnd: 'done',
    usage: {},
    tokenize: null,
    contextLength: 'known-models',
    blankMeans: 'OpenAI\'s defaults (temperature 1, top_p 1, max_tokens 16)',
    defaultMaxTokens: 16, // the OpenAI API reference
    blankWarnings: [],
    notes: [
      'gpt-3.5-turbo-instruct, davinci-002 and babbage-002 were shut down on 2026-09-28; fine-tuned completion models may remain',
      'a chat model on this endpoint answers 404 "This is a chat model and not supported in the v1/completions endpoint"',
    ],
    sources: ['https://platform.openai.com/docs/deprecations', 'the OpenAI OpenAPI schema (test/reference/)'],
  },
  azure: {
    ...AZURE_RESOURCE,
    id: 'azure',
    label: 'Azure OpenAI (deployments)',
    apiVersionQuery: true,
    refuses: [
      // The deployment is a path segment: "." or ".." would take the request elsewhere on the host.
      { param: 'model', when: { oneOf: ['.', '..'] }, why: 'cannot have a deployment named "." or ".."', source: 'RFC 3986 5.2.4 (dot segments are removed from a path)' },
    ],
    notes: [
      'the model field names the deployment; Azure retired babbage-002 and davinci-002 on 2025-01-27, and gpt-35-turbo-instruct after them',
      'GET /openai/models lists models, not deployments, so the dialog offers no list',
    ],
    sources: ['https://learn.microsoft.com/en-us/azure/ai-services/openai/reference', 'https://learn.microsoft.com/en-us/rest/api/azureopenai/models/list'],
  },
  'azure-v1': {
    ...AZURE_RESOURCE,
    id: 'azure-v1',
    label: 'Azure OpenAI (v1 API)',
    refuses: [],
    notes: ['the model field names the deployment'],
    sources: ['https://learn.microsoft.com/en-us/azure/ai-services/openai/api-version-lifecycle'],
  },
};

/** A kind's profile; a flow from before server kinds existed means OpenAI. */
export function profileOf(id: unknown): ServerProfile {
  return (SERVER_KIND_IDS as readonly unknown[]).includes(id) ? PROFILES[id as ServerKindId] : PROFILES.openai;
}

/** Every parameter name the node knows: the API's, and every server's own or ruled on. */
export const KNOWN_PARAMS: ReadonlySet<string> = new Set([
  ...SEED_PARAMS,
  ...Object.values(PROFILES).flatMap((p) => [...Object.keys(p.ownParams), ...p.refuses.map((r) => r.param), ...p.ignores.map((r) => r.param)]),
]);

/** The values a rule is about, after its parameter's name: ` = 0`, ` > 1`, ` of token ids`, or nothing for any value. */
function qualifierOf(rule: ServerRule): string {
  const { when } = rule;
  const value = (v: unknown) => JSON.stringify(v);
  let words = '';
  if ('is' in when) words = ` = ${value(when.is)}`;
  else if ('above' in when) words = ` > ${when.above}`;
  else if ('notString' in when) words = ' other than a string';
  else if ('nonEmpty' in when) words = ' with entries';
  else if ('tokens' in when) words = ' of token ids';
  else if ('notOneString' in when) words = ' other than one string';
  else if ('oneOf' in when) words = ` = ${when.oneOf.map(value).join(' or ')}`;
  const together = Object.entries(rule.with ?? {}).map(([param, v]) => `${param} = ${value(v)}`);
  return together.length > 0 ? `${words} with ${together.join(', ')}` : words;
}

/**
 * A text users read, without the references to recordings and source lines that
 * stand in this file for its readers ("(rec 12)", "(server/routes.go:496-520)").
 */
function forUsers(text: string): string {
  return text.replace(/\s*\((?:(?:v0\.5\.0 )?rec \d[^)]*|[\w./-]+\.(?:go|py|cpp|h|ts|rs|md|mdx)(?::[\d-]+)?[^)]*)\)/g, '');
}

// The dialogs and errors show these texts: each rule gets its subject, and every text
// its references taken out (the sources stay in the `source` fields and above).
for (const profile of Object.values(PROFILES)) {
  for (const rule of [...profile.refuses, ...profile.ignores]) {
    rule.subject = `${rule.param}${qualifierOf(rule)}`;
    rule.why = forUsers(rule.why);
  }
  profile.notes = profile.notes.map(forUsers);
  profile.blankMeans = forUsers(profile.blankMeans);
  profile.blankWarnings = profile.blankWarnings.map((w) => ({ ...w, why: forUsers(w.why) }));
}
