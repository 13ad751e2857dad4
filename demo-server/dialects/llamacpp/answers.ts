// How llama-server's answers look: the OpenAI-compatible body and stream, the native
// /completion answer, and logprobs in the chat shape. Sources as in ../llamacpp.ts.

import { alnum } from '../../hash';
import type { CompletionBody, CompletionChunk, CompletionLogprobs, GeneratedChoice, Generation } from '../../generate';
import { BOS, decode, tokenId, utf8Bytes } from '../../tokenizer';
import { DONE, matchedStops } from '../common';
import type { Shaper } from '../types';
import { LLAMA_FINGERPRINT, LLAMA_MODEL_PATH } from './constants';
import type { Subprompt } from './request';

// ---------------------------------------------------------------------------------------
// Logprobs

interface ChatTokenLogprob {
  id: number;
  token: string;
  bytes: number[];
  logprob: number;
  top_logprobs: Array<{ id: number; token: string; bytes: number[]; logprob: number }>;
}

/** Logprobs of /v1/completions in the chat style (rec 06): {content: [{id, token, bytes,
 * logprob, top_logprobs: [{id, token, bytes, logprob}]}]}, with the numbers of the
 * generator's classic logprobs; null without logprobs (rec 08: n_probs 0). */
export function chatStyleLogprobs(lp: CompletionLogprobs | null): { content: ChatTokenLogprob[] } | null {
  if (!lp || lp.tokens.length === 0) return null;
  return {
    content: lp.tokens.map((token, i) => ({
      id: tokenId(token),
      token,
      bytes: utf8Bytes(token),
      logprob: lp.token_logprobs[i],
      top_logprobs: Object.entries(lp.top_logprobs[i]).map(([t, logprob]) => ({ id: tokenId(t), token: t, bytes: utf8Bytes(t), logprob })),
    })),
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** post_sampling_probs (rec 09): probabilities after sampling, keys `prob` / `top_probs`. At
 * temperature 0 only the chosen token is left, with prob 1.0. */
function postSamplingProbs(lp: CompletionLogprobs | null, greedy: boolean): unknown {
  const chat = chatStyleLogprobs(lp);
  if (!chat) return null;
  return {
    content: chat.content.map((t) => ({
      id: t.id,
      token: t.token,
      bytes: t.bytes,
      prob: greedy ? 1 : round6(Math.exp(t.logprob)),
      top_probs: (greedy ? t.top_logprobs.slice(0, 1) : t.top_logprobs).map((x) => ({ id: x.id, token: x.token, bytes: x.bytes, prob: greedy ? 1 : round6(Math.exp(x.logprob)) })),
    })),
  };
}

// ---------------------------------------------------------------------------------------
// Answers

// v0.5.0 server-common.cpp:88-100 server_slot_stats::to_json; the numbers are made up but
// consistent (a prompt token 0.3 ms, a generated one 1.1 ms).
export function timings(promptN: number, predictedN: number): Record<string, number> {
  const promptMs = round6(0.3 * promptN + 0.2);
  const predictedMs = round6(1.1 * predictedN + 0.1);
  return {
    cache_n: 0,
    prompt_n: promptN,
    prompt_ms: promptMs,
    prompt_per_token_ms: promptN > 0 ? promptMs / promptN : 0,
    prompt_per_second: promptN > 0 ? (1000 * promptN) / promptMs : 0,
    predicted_n: predictedN,
    predicted_ms: predictedMs,
    predicted_per_token_ms: predictedN > 0 ? predictedMs / predictedN : 0,
    predicted_per_second: predictedN > 0 ? (1000 * predictedN) / predictedMs : 0,
  };
}

// rec 02: usage {completion_tokens, prompt_tokens, total_tokens, prompt_tokens_details}.
const usage = (promptTokens: number, completionTokens: number) => ({
  completion_tokens: completionTokens,
  prompt_tokens: promptTokens,
  total_tokens: promptTokens + completionTokens,
  prompt_tokens_details: { cached_tokens: 0 },
});

// rec 02: the id starts with "chatcmpl-" even on this route: 32 letters and digits.
const answerId = (id: string): string => `chatcmpl-${alnum(id, 32)}`;

export interface Task {
  /** Each prompt's token count, in order. */
  promptTokens: number[];
  maxTokens: number;
  n: number;
  postSampling: boolean;
  greedy: boolean;
  wantsProbs: boolean;
}

function choiceLogprobs(task: Task, lp: CompletionLogprobs | null): unknown {
  if (!task.wantsProbs) return null;
  return task.postSampling ? postSamplingProbs(lp, task.greedy) : chatStyleLogprobs(lp);
}

const taskUsage = (task: Task, choice: GeneratedChoice | undefined, index: number) =>
  usage(task.promptTokens[Math.floor(index / task.n)] ?? 0, choice?.completionTokens ?? 0);

export function oaiShaper(task: Task): Shaper {
  return {
    // rec 02 key order; several prompts or n > 1: the first task's answer with the other
    // tasks' choices appended, so `usage` counts the first task only (rec 10, 23; v0.5.0
    // server-context.cpp:4345-4352).
    body(body: CompletionBody, g: Generation): unknown {
      const first = g.choices[0];
      return {
        choices: body.choices.map((c) => ({ text: c.text, index: c.index, logprobs: choiceLogprobs(task, c.logprobs), finish_reason: c.finish_reason })),
        created: body.created,
        model: LLAMA_MODEL_PATH,
        system_fingerprint: LLAMA_FINGERPRINT,
        object: 'text_completion',
        usage: taskUsage(task, first, 0),
        id: answerId(body.id),
        timings: timings(task.promptTokens[0] ?? 0, first?.completionTokens ?? 0),
      };
    },
    // v0.5.0: each task first reports its start with a result whose JSON is null
    // (server-task.cpp:1026-1030); the stream's first one only sends the headers
    // (server-context.cpp:4376-4383), every other task's goes out as `data: null`
    // (format_oai_sse), as the v0.5.0 server answers a streamed prompt: ["a", "b"]. The n
    // choices of one prompt are child tasks and report no start.
    begin: (): unknown[] => Array.from({ length: Math.max(0, task.promptTokens.length - 1) }, () => null),
    // rec 04, 07, 11: one event per token with only that token's logprobs, then per choice a
    // last event with empty text, finish_reason, usage and timings (whether or not
    // stream_options.include_usage was asked, rec 05); choices interleave (rec 11).
    events(chunk: CompletionChunk, g: Generation): unknown[] {
      const c = chunk.choices[0];
      if (!c) return [];
      const head = { created: chunk.created, model: LLAMA_MODEL_PATH, system_fingerprint: LLAMA_FINGERPRINT, object: 'text_completion' };
      const out: unknown[] = [];
      if (c.text !== '') {
        out.push({ choices: [{ text: c.text, index: c.index, logprobs: choiceLogprobs(task, c.logprobs), finish_reason: null }], ...head, id: answerId(chunk.id) });
      }
      if (c.finish_reason !== null) {
        const choice = g.choices[c.index];
        out.push({
          choices: [{ text: '', index: c.index, logprobs: null, finish_reason: c.finish_reason }],
          ...head,
          usage: taskUsage(task, choice, c.index),
          id: answerId(chunk.id),
          timings: timings(task.promptTokens[Math.floor(c.index / task.n)] ?? 0, choice?.completionTokens ?? 0),
        });
      }
      return out;
    },
    // rec 04: `data: [DONE]` at the end.
    end: DONE,
    // rec 29: a failure after the stream started is an error event, and no [DONE] follows.
    failure: (message: string) => ({ events: [{ error: { code: 500, message, type: 'server_error' } }], end: '' }),
  };
}

// The sampling settings a task ran with (v0.5.0 answer to POST /completion): the server's
// defaults (v0.5.0 44) with the request's own values.
function generationSettings(request: Record<string, unknown>, task: Task): Record<string, unknown> {
  const temperature = typeof request.temperature === 'number' ? request.temperature : 0.800000011920929;
  const stops = typeof request.stop === 'string' ? [request.stop] : Array.isArray(request.stop) ? request.stop.filter((x) => typeof x === 'string' && x !== '') : [];
  return {
    seed: typeof request.seed === 'number' ? request.seed : 4294967295, temperature, dynatemp_range: 0, dynatemp_exponent: 1, top_k: 40,
    top_p: 0.949999988079071, min_p: 0.05000000074505806, top_n_sigma: -1, xtc_probability: 0, xtc_threshold: 0.10000000149011612,
    typical_p: 1, repeat_last_n: 64, repeat_penalty: 1, presence_penalty: 0, frequency_penalty: 0, dry_multiplier: 0, dry_base: 1.75,
    dry_allowed_length: 2, dry_penalty_last_n: 64, dry_sequence_breakers: ['\n', ':', '"', '*'], mirostat: 0, mirostat_tau: 5,
    mirostat_eta: 0.10000000149011612, adaptive_target: -1, adaptive_decay: 0.8999999761581421, stop: stops, max_tokens: task.maxTokens,
    n_predict: task.maxTokens, n_keep: 0, n_discard: 0, ignore_eos: false, stream: request.stream === true, logit_bias: [], n_probs: task.wantsProbs ? request.logprobs : 0,
    min_keep: 0, grammar: '', grammar_lazy: false, grammar_triggers: [], preserved_tokens: [], chat_format: 'Content-only',
    reasoning_format: 'deepseek', reasoning_in_content: false, generation_prompt: '',
    samplers: ['penalties', 'dry', 'top_n_sigma', 'top_k', 'typ_p', 'top_p', 'min_p', 'xtc', 'temperature'], 'speculative.types': 'none',
    timings_per_token: false, post_sampling_probs: task.postSampling, backend_sampling: false, lora: [],
  };
}

// The native endpoint (/completion, /completions; tools/server/README.md "POST /completion"),
// the same schema with its own answer (v0.5.0 answers to POST /completion): one object per
// task (an array for several), the prompt as the server read it; streamed, an event per token
// with its id, then the whole last object, and no [DONE].
export function nativeShaper(request: Record<string, unknown>, task: Task, prompts: Subprompt[]): Shaper {
  const promptText = (i: number): string => {
    const sp = prompts[Math.floor(i / task.n)];
    if (!sp) return '';
    return 'ids' in sp ? decode(sp.ids) : `${BOS.piece} ${sp.text}`;
  };
  const final = (c: { index: number; text: string; finish_reason: string | null }, g: Generation, stop: string | null): Record<string, unknown> => {
    const promptTokens = task.promptTokens[Math.floor(c.index / task.n)] ?? 0;
    const predicted = g.choices[c.index]?.completionTokens ?? 0;
    return {
      index: c.index,
      content: c.text,
      tokens: [],
      id_slot: c.index % 4,
      stop: true,
      model: LLAMA_MODEL_PATH,
      tokens_predicted: predicted,
      tokens_evaluated: promptTokens,
      generation_settings: generationSettings(request, task),
      prompt: promptText(c.index),
      has_new_line: c.text.includes('\n'),
      truncated: false,
      stop_type: c.finish_reason === 'stop' ? 'word' : 'limit',
      stopping_word: stop ?? '',
      tokens_cached: promptTokens + predicted - 1,
      timings: timings(promptTokens, predicted),
    };
  };
  // Tokens streamed so far, per choice.
  const sent = new Map<number, number>();
  return {
    body(body: CompletionBody, g: Generation): unknown {
      const stops = matchedStops(request, g);
      const results = body.choices.map((c, i) => final(c, g, stops[i]));
      return results.length === 1 ? results[0] : results;
    },
    events(chunk: CompletionChunk, g: Generation): unknown[] {
      const c = chunk.choices[0];
      if (!c) return [];
      const out: unknown[] = [];
      const promptTokens = task.promptTokens[Math.floor(c.index / task.n)] ?? 0;
      if (c.text !== '') {
        const predicted = (sent.get(c.index) ?? 0) + 1;
        sent.set(c.index, predicted);
        out.push({ index: c.index, content: c.text, tokens: [tokenId(c.text)], stop: false, id_slot: -1, tokens_predicted: predicted, tokens_evaluated: promptTokens });
      }
      if (c.finish_reason !== null) out.push(final({ index: c.index, text: '', finish_reason: c.finish_reason }, g, matchedStops(request, g)[c.index]));
      return out;
    },
    end: '',
    failure: (message: string) => ({ events: [{ error: { code: 500, message, type: 'server_error' } }], end: '' }),
  };
}
