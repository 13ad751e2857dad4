// What llama-server makes of a request: its error answers, its parameter schema and its
// prompt forms. Sources as in ../llamacpp.ts.

import { BOS, countPieces, encode } from '../../tokenizer';
import { has, isInt, isObject } from '../common';
import type { Reply } from '../types';
import { INT32_MAX } from './constants';

// v0.5.0 server-common.cpp:36-80 format_error_response: {code, message, type}; each type has
// its status. Error answers close the connection (rec 12, 26, 30: "Connection: close").
function errorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 501:
      return 'not_supported_error';
    case 503:
      return 'unavailable_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

export function taskError(status: number, message: string, extra: Record<string, unknown> = {}, type = errorType(status)): Reply {
  return { status, body: { error: { code: status, message, type, ...extra } }, headers: { connection: 'close' } };
}

// The HTTP layer's own errors (404, 401, 503) put the keys in another order (v0.5.0
// server-http.cpp:199-210, 290-297, 312-321).
export function httpError(status: number, message: string, type: string): Reply {
  return { status, body: { error: { message, type, code: status } }, headers: { connection: 'close' } };
}

/** nlohmann::json's name of a value's type, as its type_error.302 text says it. */
export function jsonTypeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'boolean') return 'boolean';
  if (typeof x === 'number') return 'number';
  if (typeof x === 'string') return 'string';
  return 'object';
}

// Bad JSON: json::parse throws parse_error, ex_wrapper answers any exception other than
// std::invalid_argument with 500 server_error (rec 31). The text is nlohmann's; the column
// here is where JSON.parse gave up, which can differ from nlohmann's by a character or two.
export function parseError(text: string): Reply {
  if (text.trim() === '') {
    return taskError(500, '[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an empty input; check that your input string or stream contains the expected JSON');
  }
  let at = text.length;
  try {
    JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    if (m) at = Number(m[1]);
  }
  const before = text.slice(0, at + 1);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n') - 1;
  return taskError(500, `[json.exception.parse_error.101] parse error at line ${line}, column ${Math.max(1, column)}: syntax error while parsing value - invalid literal; last read: '${before.slice(-10)}'`);
}

// ---------------------------------------------------------------------------------------
// The request schema (v0.5.0 server-schema.cpp:17-475): a null value counts as absent; names
// are tried in order; a hard limit is an error "Field 'x': Value must be between A <= value
// <= B, but got X" (rec 12), a type error "Field 'x': [json.exception.type_error.302] type
// must be number, but is string" (v0.5.0 answer to logprobs:"x"); plain limits clamp.

export interface Field {
  names: string[];
  kind: 'int' | 'float' | 'bool';
  hard?: [number, number];
}

export function schema(slots: number): Field[] {
  const int = (names: string[], hard?: [number, number]): Field => ({ names, kind: 'int', hard });
  const float = (names: string[], hard?: [number, number]): Field => ({ names, kind: 'float', hard });
  const bool = (names: string[]): Field => ({ names, kind: 'bool' });
  return [
    bool(['verbose']),
    bool(['timings_per_token']),
    bool(['stream']),
    bool(['cache_prompt']),
    bool(['return_tokens']),
    bool(['return_progress']),
    int(['sse_ping_interval'], [-1, INT32_MAX]),
    int(['n_predict', 'max_completion_tokens', 'max_tokens'], [-1, INT32_MAX]),
    int(['n_indent'], [0, INT32_MAX]),
    int(['n_keep'], [-1, INT32_MAX]),
    int(['n_discard'], [0, INT32_MAX]),
    int(['n_cmpl', 'n'], [1, slots]),
    int(['n_cache_reuse'], [0, INT32_MAX]),
    int(['t_max_predict_ms'], [-1, Number.MAX_SAFE_INTEGER]),
    int(['top_k']),
    float(['top_p']),
    float(['min_p']),
    float(['top_n_sigma']),
    float(['xtc_probability']),
    float(['xtc_threshold']),
    float(['typical_p']),
    float(['temperature']),
    float(['dynatemp_range']),
    float(['dynatemp_exponent']),
    int(['repeat_last_n'], [0, INT32_MAX]),
    float(['repeat_penalty']),
    float(['frequency_penalty']),
    float(['presence_penalty']),
    float(['dry_multiplier']),
    float(['dry_base']),
    int(['dry_allowed_length'], [0, INT32_MAX]),
    int(['dry_penalty_last_n'], [0, INT32_MAX]),
    int(['mirostat']),
    float(['mirostat_tau']),
    float(['mirostat_eta']),
    float(['adaptive_target']),
    float(['adaptive_decay'], [0, 0.99]),
    int(['n_probs', 'logprobs']),
    int(['min_keep'], [0, INT32_MAX]),
    bool(['backend_sampling']),
    bool(['post_sampling_probs']),
    bool(['grammar_lazy']),
    bool(['parse_tool_calls']),
    bool(['echo']),
    bool(['reasoning_control']),
    int(['reasoning_budget_tokens'], [-1, INT32_MAX]),
    bool(['ignore_eos']),
  ];
}

/** The value a field takes from the body (its first name present and not null). */
export function fieldValue(body: Record<string, unknown>, names: string[]): { name: string; value: unknown } | undefined {
  for (const name of names) if (body[name] !== undefined && body[name] !== null) return { name, value: body[name] };
  return undefined;
}

// std::to_string prints floats with six decimals.
const cppNumber = (x: number, kind: Field['kind']): string => (kind === 'float' ? x.toFixed(6) : String(x));

export function fieldRefusal(body: Record<string, unknown>, fields: Field[]): Reply | null {
  for (const f of fields) {
    const found = fieldValue(body, f.names);
    if (!found) continue;
    const { name, value } = found;
    const want = f.kind === 'bool' ? 'boolean' : 'number';
    if (jsonTypeName(value) !== want) {
      return taskError(400, `Field '${name}': [json.exception.type_error.302] type must be ${want}, but is ${jsonTypeName(value)}`);
    }
    if (f.hard && typeof value === 'number') {
      const v = f.kind === 'int' ? Math.trunc(value) : value;
      if (v < f.hard[0] || v > f.hard[1]) {
        return taskError(400, `Field '${name}': Value must be between ${cppNumber(f.hard[0], f.kind)} <= value <= ${cppNumber(f.hard[1], f.kind)}, but got ${cppNumber(v, f.kind)}`);
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Prompts (v0.5.0 server-common.cpp:980-1030 tokenize_input_prompts): an array without
// numbers is several prompts, anything else is one; an element is a string, a token list, a
// mixed list of strings and tokens, or {prompt_string} (a string or such a list); an empty
// list is refused. The model has no media support, so multimodal_data is refused (v0.5.0 62).

export type Subprompt = { text: string; tokens: number } | { ids: number[] };

const ELEMENTS_ERROR = '"prompt" elements must be a string, a list of tokens, a JSON object containing a prompt string, or a list of mixed strings & tokens.';
const MEDIA_ERROR = 'Multimodal data provided, but model does not support multimodal requests.';

/** One prompt's tokens as the server counts them: BOS first when text is tokenized with
 * add_special (rec 02: 6 = BOS + 5; rec 23: "a" is 2; rec 22: [1,2,3] is 3, no BOS); the
 * error text where the server refuses it. */
function subprompt(p: unknown): Subprompt | string {
  if (typeof p === 'string') return { text: p, tokens: 1 + countPieces(p) };
  if (Array.isArray(p) && p.length > 0 && p.every((x) => isInt(x))) return { ids: p as number[] };
  if (Array.isArray(p) && p.length > 0 && p.every((x) => isInt(x) || typeof x === 'string') && p.some((x) => typeof x === 'string')) {
    const ids = mixedTokens(p as Array<string | number>, true);
    return { ids };
  }
  if (isObject(p) && (typeof p.prompt_string === 'string' || Array.isArray(p.prompt_string))) {
    if (has(p, 'multimodal_data')) return MEDIA_ERROR;
    return subprompt(p.prompt_string);
  }
  return ELEMENTS_ERROR;
}

/** tokenize_mixed: strings are tokenized, numbers kept; with add_special, BOS before the
 * first piece when it is a string (v0.5.0 64: [15043, "world"] has none). */
export function mixedTokens(parts: Array<string | number>, addSpecial: boolean): number[] {
  const ids: number[] = addSpecial && typeof parts[0] === 'string' ? [BOS.id] : [];
  for (const part of parts) {
    if (typeof part === 'number') ids.push(part);
    else ids.push(...encode(part));
  }
  return ids;
}

export function parsePrompts(prompt: unknown): Subprompt[] | Reply {
  const several = Array.isArray(prompt) && !prompt.some((x) => typeof x === 'number');
  const items = several ? (prompt as unknown[]) : [prompt];
  if (items.length === 0) return taskError(400, '"prompt" must not be empty');
  const out: Subprompt[] = [];
  for (const item of items) {
    const sp = subprompt(item);
    if (typeof sp === 'string') return taskError(400, sp);
    out.push(sp);
  }
  return out;
}

export const subpromptTokens = (sp: Subprompt): number => ('ids' in sp ? sp.ids.length : sp.tokens);
/** What the generator reads for a prompt: the text, or the token list. */
export const generatorPrompt = (sp: Subprompt): string | number[] => ('ids' in sp ? sp.ids : sp.text);
