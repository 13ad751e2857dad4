// llama-server's side endpoints: the model list, /props, /tokenize and /detokenize.
// Sources as in ../llamacpp.ts.

import { BOS, decode, encode, pieceOf, VOCAB_SIZE } from '../../tokenizer';
import { has, isInt } from '../common';
import type { Reply } from '../types';
import { LLAMA_CONTEXT_LENGTH, LLAMA_FINGERPRINT, LLAMA_MODEL_PATH } from './constants';
import { jsonTypeName, mixedTokens, taskError } from './request';

// ---------------------------------------------------------------------------------------
// Side endpoints

// rec 01, 33 (and v0.5.0 01): an Ollama-style `models` list and an OpenAI-style `data` list
// whose `meta` has the per-slot n_ctx and n_ctx_train.
export function modelsBody(contextLength: number): unknown {
  const p = LLAMA_MODEL_PATH;
  return {
    models: [
      {
        name: p,
        model: p,
        modified_at: '',
        size: '',
        digest: '',
        type: 'model',
        description: '',
        tags: [''],
        capabilities: ['completion'],
        parameters: '',
        details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' },
      },
    ],
    object: 'list',
    data: [
      {
        id: p,
        aliases: [p],
        tags: [],
        object: 'model',
        created: Math.floor(Date.now() / 1000),
        owned_by: 'llamacpp',
        meta: { vocab_type: 1, n_vocab: VOCAB_SIZE, n_ctx: contextLength, n_ctx_train: Math.max(contextLength, LLAMA_CONTEXT_LENGTH), n_embd: 64, n_params: 4178240, size: 16712960, ftype: 'all F32' },
      },
    ],
  };
}

// v0.5.0 44 (GET /props): the generation defaults, the per-slot n_ctx and total_slots.
export function propsBody(contextLength: number, slots: number): unknown {
  return {
    default_generation_settings: {
      params: {
        seed: 4294967295, temperature: 0.800000011920929, dynatemp_range: 0, dynatemp_exponent: 1, top_k: 40, top_p: 0.949999988079071,
        min_p: 0.05000000074505806, top_n_sigma: -1, xtc_probability: 0, xtc_threshold: 0.10000000149011612, typical_p: 1, repeat_last_n: 64,
        repeat_penalty: 1, presence_penalty: 0, frequency_penalty: 0, dry_multiplier: 0, dry_base: 1.75, dry_allowed_length: 2,
        dry_penalty_last_n: 64, mirostat: 0, mirostat_tau: 5, mirostat_eta: 0.10000000149011612, adaptive_target: -1,
        adaptive_decay: 0.8999999761581421, max_tokens: -1, n_predict: -1, n_keep: 0, n_discard: 0, ignore_eos: false, stream: false,
        n_probs: 0, min_keep: 0, chat_format: 'Content-only', reasoning_format: 'none', reasoning_in_content: false, generation_prompt: '',
        samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'], 'speculative.types': 'none',
        timings_per_token: false, post_sampling_probs: false, backend_sampling: false, lora: [],
      },
      n_ctx: contextLength,
    },
    total_slots: slots,
    model_alias: LLAMA_MODEL_PATH,
    model_ftype: 'all F32',
    model_path: LLAMA_MODEL_PATH,
    modalities: { vision: false, video: false, audio: false },
    media_marker: '<__media_demo__>',
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    ui: true,
    ui_settings: {},
    chat_template: '',
    chat_template_caps: {
      supports_object_arguments: false,
      supports_parallel_tool_calls: false,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: false,
      supports_tools: false,
      supports_typed_content: false,
    },
    bos_token: BOS.piece,
    eos_token: '</s>',
    build_info: LLAMA_FINGERPRINT,
    is_sleeping: false,
    cors_proxy_enabled: false,
  };
}

// v0.5.0 server-context.cpp:5084-5123 post_tokenize: {content, add_special=false,
// parse_special=true, with_pieces=false} -> {tokens}; no content -> no tokens (v0.5.0 40-42).
export function tokenize(body: Record<string, unknown>): Reply {
  if (!has(body, 'content')) return { status: 200, body: { tokens: [] } };
  const content = body.content;
  const addSpecial = body.add_special === true;
  let ids: number[];
  if (typeof content === 'string') ids = [...(addSpecial ? [BOS.id] : []), ...encode(content)];
  else if (Array.isArray(content) && content.every((x) => isInt(x) || typeof x === 'string')) ids = mixedTokens(content as Array<string | number>, addSpecial);
  else return taskError(500, `[json.exception.type_error.302] type must be string, but is ${jsonTypeName(content)}`);
  if (body.with_pieces === true) return { status: 200, body: { tokens: ids.map((id) => ({ id, piece: pieceOf(id) ?? `<${id}>` })) } };
  return { status: 200, body: { tokens: ids } };
}

// v0.5.0 server-context.cpp:5125-5137 post_detokenize: {tokens} -> {content}; an id past the
// vocabulary is a 500 from std::vector::at (v0.5.0 answer to [99999]).
export function detokenize(body: Record<string, unknown>): Reply {
  const tokens = Array.isArray(body.tokens) ? body.tokens : [];
  const bad = tokens.find((t) => !isInt(t) || t < 0 || t >= VOCAB_SIZE);
  if (bad !== undefined) {
    return taskError(500, isInt(bad) ? `vector::_M_range_check: __n (which is ${bad}) >= this->size() (which is ${VOCAB_SIZE})` : `[json.exception.type_error.302] type must be number, but is ${jsonTypeName(bad)}`);
  }
  return { status: 200, body: { content: decode(tokens as number[]) } };
}
