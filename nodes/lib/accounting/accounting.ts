import type { CompletionResponse } from '../http/attempt';
import { rateLimitOf, type RateLimit } from './rate-limit';
import { costOf, type Cost, type Prices } from './cost';
import { truncatedChoices, usageOf, type Usage, type UsageContext } from './usage';

/** `msg.timing`: where a result's time went, in milliseconds. */
export interface Timing {
  /** Waiting for a free slot on the connection. */
  queuedMs: number;
  /** From sending the request to the first byte of the answer (its headers). */
  firstByteMs: number;
  /** From sending the request to the first token: the first stream event, or the whole answer when not streamed. */
  firstTokenMs: number;
  /** From the message reaching the connection to the end of the answer. */
  totalMs: number;
  /** Completion tokens per second of generation, where the tokens are known. */
  tokensPerSecond?: number;
}

/** What a result carries besides the answer, in every format, streamed or not. */
export interface Accounting {
  usage?: Usage;
  timing: Timing;
  rateLimit?: RateLimit;
  cost?: Cost;
  /** Indexes of the choices cut at max_tokens. */
  truncated: number[];
  /** Answered from the connection's cache, without a request. */
  cached?: boolean;
}

export interface AccountingInput extends UsageContext {
  startedAt: number;
  slotAt: number;
  prices?: Prices;
  cached?: boolean;
}

export function accountingOf(response: CompletionResponse, input: AccountingInput): Accounting {
  // An error answer generated nothing: no usage, no cost (the node's own count of the prompt would suggest otherwise).
  const usage = response.status >= 200 && response.status < 300 ? usageOf(response.body, input) : undefined;
  const { sentAt, headersAt, firstEventAt, endAt } = response.times;
  const generating = firstEventAt !== undefined ? endAt - firstEventAt : endAt - sentAt;
  const completion = usage?.completion_tokens;
  const timing: Timing = {
    queuedMs: Math.max(0, input.slotAt - input.startedAt),
    firstByteMs: Math.max(0, headersAt - sentAt),
    firstTokenMs: Math.max(0, (firstEventAt ?? endAt) - sentAt),
    totalMs: Math.max(0, endAt - input.startedAt),
  };
  if (completion !== undefined && generating > 0 && !input.cached) timing.tokensPerSecond = Math.round((completion * 1000 * 10) / generating) / 10;
  const accounting: Accounting = { usage, timing, rateLimit: rateLimitOf(response.headers), truncated: truncatedChoices(response.body) };
  if (input.cached) accounting.cached = true;
  else accounting.cost = costOf(usage, input.prices);
  return accounting;
}
