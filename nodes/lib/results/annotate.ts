import type { Accounting } from '../accounting/accounting';
import type { Message, ResultFormat } from './result-messages';

/**
 * Puts what a result cost and how long it took on each result message, in every
 * format: `msg.usage`, `msg.timing`, `msg.rateLimit`, `msg.cost`, `msg.truncated`
 * (the answer was cut at max_tokens; per choice in `choices` format) and `msg.cached`.
 */
export function annotate(messages: Message[], accounting: Accounting, format: ResultFormat): Message[] {
  const last = messages.length - 1;
  for (let i = 0; i <= last; i++) {
    const msg = messages[i];
    // The accounting was made for this answer alone: the last message takes its objects,
    // every other one a copy, so that no two messages share what a receiver may change.
    const own = i === last;
    if (accounting.usage) msg.usage = own ? accounting.usage : { ...accounting.usage };
    msg.timing = own ? accounting.timing : { ...accounting.timing };
    if (accounting.rateLimit) msg.rateLimit = own ? accounting.rateLimit : { ...accounting.rateLimit };
    if (accounting.cost) msg.cost = own ? accounting.cost : { ...accounting.cost };
    msg.truncated = format === 'choices' && isChoice(msg.payload)
      ? (msg.payload as { finish_reason?: unknown }).finish_reason === 'length'
      : accounting.truncated.length > 0;
    if (accounting.cached) msg.cached = true;
  }
  return messages;
}

function isChoice(payload: unknown): boolean {
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) && 'finish_reason' in payload;
}
