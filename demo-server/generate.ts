// Deterministic text generation for the local OpenAI-compatible demo server.
//
// Everything here is a pure function of the request: the same request (prompt, seed,
// max_tokens, stop, n, echo, logprobs...) always gives the same completion, so tests can
// compare a streamed answer with a non-streamed one and benchmarks cost almost nothing.
// Generation: FNV-1a of (prompt text, seed) mixed with the choice's index among the `n`
// choices of its prompt seeds a small PRNG (mulberry32) that picks tokens from a fixed
// vocabulary (tokenizer.ts). No model: a stand-in, not a language model.

import { fnv1a, makeRng } from './hash';
import { countPieces, splitPieces, tokenId, utf8Bytes, VOCABULARY } from './tokenizer';

export { fnv1a, tokenId, utf8Bytes, VOCABULARY };

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: CompletionLogprobs | null;
  finish_reason: 'stop' | 'length';
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CompletionBody {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: CompletionChoice[];
  usage: CompletionUsage;
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    text: string;
    index: number;
    logprobs: CompletionLogprobs | null;
    finish_reason: 'stop' | 'length' | null;
  }>;
  usage?: CompletionUsage | null;
}

export interface CompletionMeta {
  id: string;
  created: number;
}

export const SYSTEM_FINGERPRINT = 'fp_demo';
export const DEFAULT_PROMPT = '<|endoftext|>';
export const DEFAULT_MAX_TOKENS = 16;

const round4 = (x: number): number => Math.round(x * 10000) / 10000;

// ---------------------------------------------------------------------------------------
// Request normalisation (lenient: the server validates strictly before calling this)

export interface PromptInfo {
  /** The prompt as text (token-id prompts rendered as "<1212><318>"). */
  text: string;
  /** Prompt token count: pieces of a string prompt (tokenizer.ts), length of a token-id array. */
  tokenCount: number;
  /** The prompt split into tokens whose concatenation is `text` (for echo + logprobs). */
  tokens: string[];
}

export interface Plan {
  model: string;
  prompts: PromptInfo[];
  n: number;
  maxTokens: number;
  stops: string[];
  echo: boolean;
  /** null when logprobs were not asked for. */
  logprobs: number | null;
  seed: string;
  includeUsage: boolean;
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

function stringPrompt(text: string): PromptInfo {
  return { text, tokenCount: countPieces(text), tokens: splitPieces(text) };
}

function tokenPrompt(ids: readonly number[]): PromptInfo {
  const tokens = ids.map((id) => `<${id}>`);
  return { text: tokens.join(''), tokenCount: ids.length, tokens };
}

/** The prompts of a request, in order. A missing/null prompt is "<|endoftext|>". */
export function promptsOf(prompt: unknown): PromptInfo[] {
  if (prompt === undefined || prompt === null) return [stringPrompt(DEFAULT_PROMPT)];
  if (typeof prompt === 'string') return [stringPrompt(prompt)];
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) return [];
    if (prompt.every((p) => typeof p === 'number')) return [tokenPrompt(prompt as number[])];
    return prompt.map((p) => {
      if (typeof p === 'string') return stringPrompt(p);
      if (Array.isArray(p)) return tokenPrompt(p.filter((x): x is number => typeof x === 'number'));
      return stringPrompt(String(p));
    });
  }
  return [stringPrompt(String(prompt))];
}

/** Normalise a request into a generation plan (defaults for absent or odd values). */
export function planFor(request: Record<string, unknown>): Plan {
  const n = isInt(request.n) && request.n >= 1 ? request.n : 1;
  const maxTokens = isInt(request.max_tokens) && request.max_tokens >= 0 ? request.max_tokens : DEFAULT_MAX_TOKENS;
  const stop = request.stop;
  const stops = (typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : []).filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  const streamOptions = request.stream_options as Record<string, unknown> | null | undefined;
  return {
    model: typeof request.model === 'string' ? request.model : '',
    prompts: promptsOf(request.prompt),
    n,
    maxTokens,
    stops,
    echo: request.echo === true,
    logprobs: isInt(request.logprobs) && request.logprobs >= 0 ? request.logprobs : null,
    seed: request.seed === undefined || request.seed === null ? '' : String(request.seed),
    includeUsage: !!streamOptions && typeof streamOptions === 'object' && streamOptions.include_usage === true,
  };
}

// ---------------------------------------------------------------------------------------
// Generation

/** One choice, with its streaming segmentation. */
export interface GeneratedChoice {
  index: number;
  text: string;
  finishReason: 'stop' | 'length';
  /** Logprob tokens (echoed prompt tokens first when echo, then completion tokens). */
  tokens: string[];
  /** Number of completion tokens (excludes echoed prompt tokens). */
  completionTokens: number;
  /** Streaming events: [text, first token index, end token index). */
  pieces: Array<[string, number, number]>;
  /** Character offsets of each logprob token from the start of the prompt text. */
  offsets: number[];
  /** Hash state for logprob numbers. */
  hash: number;
}

function generateChoice(plan: Plan, prompt: PromptInfo, promptHash: number, i: number, index: number): GeneratedChoice {
  const hash = Math.imul(promptHash ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
  const rng = makeRng(hash);
  const V = VOCABULARY.length;
  const raw: string[] = new Array(plan.maxTokens);
  for (let t = 0; t < plan.maxTokens; t++) raw[t] = VOCABULARY[rng() % V];

  // Stop sequences: cut the completion before the earliest one.
  let completion: string[] = raw;
  let finishReason: 'stop' | 'length' = 'length';
  if (plan.stops.length > 0 && plan.maxTokens > 0) {
    const full = raw.join('');
    let cut = -1;
    for (const s of plan.stops) {
      const at = full.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      finishReason = 'stop';
      completion = [];
      let pos = 0;
      for (const tok of raw) {
        if (pos >= cut) break;
        completion.push(pos + tok.length <= cut ? tok : tok.slice(0, cut - pos));
        pos += tok.length;
      }
    }
  }

  const tokens: string[] = [];
  const offsets: number[] = [];
  const pieces: Array<[string, number, number]> = [];
  let offset = 0;
  let text = '';
  if (plan.echo) {
    if (prompt.text.length > 0) {
      for (const tok of prompt.tokens) {
        tokens.push(tok);
        offsets.push(offset);
        offset += tok.length;
      }
      pieces.push([prompt.text, 0, tokens.length]);
    }
    text = prompt.text;
  } else {
    offset = prompt.text.length;
  }
  for (const tok of completion) {
    pieces.push([tok, tokens.length, tokens.length + 1]);
    tokens.push(tok);
    offsets.push(offset);
    offset += tok.length;
  }
  text += completion.join('');
  return { index, text, finishReason, tokens, completionTokens: completion.length, pieces, offsets, hash };
}

/** Generate every choice of a request (choice index = promptIndex * n + i). */
export function generateChoices(plan: Plan): GeneratedChoice[] {
  const out: GeneratedChoice[] = [];
  plan.prompts.forEach((prompt, p) => {
    const promptHash = fnv1a(plan.seed, fnv1a(prompt.text) ^ 0x5bd1e995);
    for (let i = 0; i < plan.n; i++) out.push(generateChoice(plan, prompt, promptHash, i, p * plan.n + i));
  });
  return out;
}

/** Logprobs for tokens [from, to) of a choice, or null when not requested. */
export function logprobsSlice(plan: Plan, choice: GeneratedChoice, from: number, to: number): CompletionLogprobs | null {
  const k = plan.logprobs;
  if (k === null) return null;
  const result: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (let t = from; t < to; t++) {
    const tok = choice.tokens[t];
    const h = Math.imul(choice.hash ^ Math.imul(t + 1, 0x27d4eb2d), 0x165667b1) >>> 0;
    const lp = -round4(0.01 + (h % 20000) / 10000); // in [-2.01, -0.01]
    const top: Record<string, number> = {};
    if (k > 0) {
      Object.defineProperty(top, tok, { value: lp, enumerable: true, writable: true, configurable: true });
      let v = (h >>> 8) % VOCABULARY.length;
      let added = 1;
      let step = 1;
      for (let guard = 0; added < k && guard < VOCABULARY.length * 2; guard++) {
        const alt = VOCABULARY[v];
        v = (v + 7) % VOCABULARY.length;
        if (Object.prototype.hasOwnProperty.call(top, alt)) continue;
        top[alt] = round4(lp - 0.5 * step - ((h >>> (step + 3)) % 100) / 1000);
        step++;
        added++;
      }
    }
    result.tokens.push(tok);
    result.token_logprobs.push(lp);
    result.top_logprobs.push(top);
    result.text_offset.push(choice.offsets[t]);
  }
  return result;
}

export function usageFor(plan: Plan, choices: readonly GeneratedChoice[]): CompletionUsage {
  let prompt = 0;
  for (const p of plan.prompts) prompt += p.tokenCount;
  let completion = 0;
  for (const c of choices) completion += c.completionTokens;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A request's generation, computed once: what the body, the stream and a dialect's
 * shaping all read. */
export interface Generation {
  plan: Plan;
  choices: GeneratedChoice[];
  meta: CompletionMeta;
}

export function generationFor(request: Record<string, unknown>, meta: CompletionMeta): Generation {
  const plan = planFor(request);
  return { plan, choices: generateChoices(plan), meta };
}

/** The non-streamed response body of a generation. */
export function bodyOf(g: Generation): CompletionBody {
  const { plan, meta } = g;
  const choices: CompletionChoice[] = g.choices.map((c) => ({
    text: c.text,
    index: c.index,
    logprobs: logprobsSlice(plan, c, 0, c.tokens.length),
    finish_reason: c.finishReason,
  }));
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: plan.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    usage: usageFor(plan, g.choices),
  };
}

/** The non-streamed response body for a request. */
export function completionFor(request: Record<string, unknown>, meta: CompletionMeta): { body: CompletionBody } {
  return { body: bodyOf(generationFor(request, meta)) };
}

/**
 * The chunks of the streamed answer, lazily: one per generated token (or echoed prompt)
 * per choice, choices interleaved round-robin; each choice's last chunk carries its
 * finish_reason (a choice with nothing to say still gets one empty chunk). With
 * stream_options.include_usage every chunk has `usage: null` and a last chunk with
 * `choices: []` carries the usage. `data: [DONE]` is not a chunk.
 */
export function* chunksOf(g: Generation): Generator<CompletionChunk> {
  const { plan, meta } = g;
  const generated = g.choices;
  const steps = generated.reduce((m, c) => Math.max(m, c.pieces.length, 1), 0);
  for (let s = 0; s < steps; s++) {
    for (const c of generated) {
      const count = Math.max(c.pieces.length, 1);
      if (s >= count) continue;
      const piece = c.pieces[s];
      const last = s === count - 1;
      const chunk: CompletionChunk = {
        id: meta.id,
        object: 'text_completion',
        created: meta.created,
        model: plan.model,
        system_fingerprint: SYSTEM_FINGERPRINT,
        choices: [
          {
            text: piece ? piece[0] : '',
            index: c.index,
            logprobs: piece ? logprobsSlice(plan, c, piece[1], piece[2]) : logprobsSlice(plan, c, 0, 0),
            finish_reason: last ? c.finishReason : null,
          },
        ],
      };
      if (plan.includeUsage) chunk.usage = null;
      yield chunk;
    }
  }
  if (plan.includeUsage) {
    yield {
      id: meta.id,
      object: 'text_completion',
      created: meta.created,
      model: plan.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [],
      usage: usageFor(plan, generated),
    };
  }
}

/** The chunks of the streamed answer for a request (see chunksOf). */
export function streamChunkIterator(request: Record<string, unknown>, meta: CompletionMeta): Generator<CompletionChunk> {
  return chunksOf(generationFor(request, meta));
}

/** All chunks of the streamed answer (without [DONE]). */
export function streamChunksFor(request: Record<string, unknown>, meta: CompletionMeta): object[] {
  return Array.from(streamChunkIterator(request, meta));
}
