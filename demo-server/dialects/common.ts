// Small helpers the dialects share.

import type { IncomingHttpHeaders } from 'node:http';
import { generateChoices, planFor, type CompletionBody, type CompletionChunk, type Generation } from '../generate';
import type { Shaper } from './types';

export const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
export const present = (x: unknown): boolean => x !== undefined && x !== null;
export const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const DONE = 'data: [DONE]\n\n';

export function queryParam(query: string, name: string): string | null {
  return query === '' ? null : new URLSearchParams(query).get(name);
}

/** The token of an `Authorization: Bearer <token>` header, prefix matched exactly. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/** The last path segment after `prefix`, decoded; undefined when the path has more. */
export function segment(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

/** The prompts of a request as the generator reads them: strings, or token-id lists. */
export function promptList(prompt: unknown): Array<string | number[]> {
  if (typeof prompt === 'string') return [prompt];
  if (!Array.isArray(prompt) || prompt.length === 0) return [];
  if (prompt.every((p) => typeof p === 'number')) return [prompt as number[]];
  return prompt.map((p) => (Array.isArray(p) ? (p as number[]) : String(p)));
}

/** A shaper that sends the generator's body and chunks as they are, OpenAI's way. */
export function plainShaper(options: { end?: string; failure?: (message: string) => unknown; body?: (b: CompletionBody) => unknown; chunk?: (c: CompletionChunk) => unknown } = {}): Shaper {
  return {
    body: (b) => (options.body ? options.body(b) : b),
    events: (c) => [options.chunk ? options.chunk(c) : c],
    end: options.end ?? DONE,
    failure: (message) => ({ events: options.failure ? [options.failure(message)] : [], end: '' }),
  };
}


/** The stop sequence that ended each choice, null for a choice that ran to its length: the
 * earliest of the request's stops in the text the choice would have had without them. */
export function matchedStops(request: Record<string, unknown>, g: Generation): Array<string | null> {
  if (!g.choices.some((c) => c.finishReason === 'stop')) return g.choices.map(() => null);
  const free = generateChoices(planFor({ ...request, stop: null }));
  return g.choices.map((c, i) => {
    if (c.finishReason !== 'stop') return null;
    const text = free[i]?.text ?? '';
    let best: string | null = null;
    let at = -1;
    for (const s of g.plan.stops) {
      const k = text.indexOf(s);
      if (k >= 0 && (at < 0 || k < at)) {
        at = k;
        best = s;
      }
    }
    return best;
  });
}
