import type { FieldProblem } from '../request/validate';
import type { ServerProfile } from '../servers/profiles';

/**
 * How many tokens a request may generate per choice: what its max_tokens asks for, or what
 * the server generates when it is blank (or the server's own value for no limit): a
 * number, `context` (until the model's context is full) or undefined (not known).
 */
export type GenerationLimit = { tokens: number; asked: boolean } | 'context' | undefined;

export function generationLimit(request: Record<string, unknown>, profile: Pick<ServerProfile, 'defaultMaxTokens' | 'maxTokensNoLimit'>): GenerationLimit {
  const asked = request.max_tokens;
  if (typeof asked === 'number' && asked !== profile.maxTokensNoLimit?.value) return { tokens: asked, asked: true };
  const blank = profile.defaultMaxTokens;
  return typeof blank === 'number' ? { tokens: blank, asked: false } : blank;
}

/**
 * Whether each prompt, with the tokens asked for, fits the model's context: a request
 * that cannot fit fails before it is sent, naming the numbers, instead of coming back
 * as a server error (or, on some servers, being cut silently). Generation that runs until
 * the context is full, or that the node cannot know, needs only the prompt to fit.
 */
export function contextProblems(promptTokens: number[], limit: GenerationLimit, contextLength: number): FieldProblem[] {
  const longest = Math.max(0, ...promptTokens);
  const which = promptTokens.length > 1 ? `its longest prompt has ${longest} tokens` : `it has ${longest} tokens`;
  // A prompt as long as the context leaves no room for a single token of answer: servers refuse it.
  if (longest >= contextLength) {
    const room = longest === contextLength ? ' with room for a token of answer' : '';
    return [{ field: 'prompt', reason: `does not fit the model's context of ${contextLength} tokens${room}: ${which}` }];
  }
  if (typeof limit === 'object' && longest + limit.tokens > contextLength) {
    const source = limit.asked ? `asks for ${limit.tokens} tokens` : `is blank, so the server generates up to ${limit.tokens} tokens`;
    const prompt = promptTokens.length > 1 ? 'the longest prompt\'s' : 'the prompt\'s';
    return [{
      field: 'max_tokens',
      reason: `${source}, and with ${prompt} ${longest} that makes ${longest + limit.tokens}, more than the model's context of ${contextLength} tokens`,
    }];
  }
  return [];
}
