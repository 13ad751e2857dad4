import type { Usage } from './usage';

/** Prices per million tokens, as set on the connection, in whatever currency the user wrote them in. */
export interface Prices {
  prompt: number;
  completion: number;
}

/** `msg.cost`: what the tokens of a result cost at the connection's prices. */
export interface Cost {
  prompt: number;
  completion: number;
  total: number;
}

export function costOf(usage: Usage | undefined, prices: Prices | undefined): Cost | undefined {
  if (!prices || !usage) return undefined;
  const prompt = ((usage.prompt_tokens ?? 0) * prices.prompt) / 1e6;
  const completion = ((usage.completion_tokens ?? 0) * prices.completion) / 1e6;
  return { prompt, completion, total: prompt + completion };
}
