import type { ResponseHeaders } from '../http/transport';

/**
 * `msg.rateLimit`: the server's rate-limit headers in one shape. OpenAI and Azure send
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` with resets as durations
 * ("6m0s", "1.5s", "20ms"); OpenRouter and others `x-ratelimit-{limit,remaining,reset}`
 * with the reset as a Unix time. Resets become milliseconds from now.
 */
export interface RateLimit {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "6m0s", "1h2m3.5s", "20ms", or plain seconds, in milliseconds. */
export function durationMs(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const trimmed = text.trim();
  // The common case first: one number and one unit ("17ms", "6s").
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(trimmed);
  if (single) return Math.round(Number(single[1]) * UNIT_MS[single[2]]);
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    // A Unix time (seconds or milliseconds) rather than a duration.
    if (value > 1e12) return Math.max(0, value - now);
    if (value > 1e9) return Math.max(0, value * 1000 - now);
    return value * 1000;
  }
  let total = 0;
  let matched = '';
  for (const [part, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * UNIT_MS[unit];
    matched += part;
  }
  return matched === trimmed ? Math.round(total) : undefined;
}

export function rateLimitOf(headers: ResponseHeaders, now = Date.now()): RateLimit | undefined {
  // Only the values the server gave, added rather than deleted afterwards: an object that
  // loses properties turns slow for every copy made of it later (annotate.ts).
  let out: RateLimit | undefined;
  const add = (key: keyof RateLimit, value: number | undefined) => {
    if (value !== undefined) (out ??= {})[key] = value;
  };
  add('limitRequests', count(header(headers, 'x-ratelimit-limit-requests') ?? header(headers, 'x-ratelimit-limit')));
  add('remainingRequests', count(header(headers, 'x-ratelimit-remaining-requests') ?? header(headers, 'x-ratelimit-remaining')));
  add('resetRequestsMs', durationMs(header(headers, 'x-ratelimit-reset-requests') ?? header(headers, 'x-ratelimit-reset'), now));
  add('limitTokens', count(header(headers, 'x-ratelimit-limit-tokens')));
  add('remainingTokens', count(header(headers, 'x-ratelimit-remaining-tokens')));
  add('resetTokensMs', durationMs(header(headers, 'x-ratelimit-reset-tokens'), now));
  return out;
}
