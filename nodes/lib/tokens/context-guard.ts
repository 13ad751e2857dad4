import type { FieldProblem } from '../request/validate';

/**
 * Whether each prompt, with the tokens asked for, fits the model's context: a request
 * that cannot fit fails before it is sent, naming the numbers, instead of coming back
 * as a server error (or, on some servers, being cut silently). `defaultMaxTokens`: what
 * the server generates when max_tokens is blank (OpenAI and vLLM: 16), if it is known.
 */
export function contextProblems(promptTokens: number[], maxTokens: unknown, contextLength: number, defaultMaxTokens?: number): FieldProblem[] {
  const longest = Math.max(0, ...promptTokens);
  const which = promptTokens.length > 1 ? `its longest prompt has ${longest} tokens` : `it has ${longest} tokens`;
  if (longest > contextLength) {
    return [{ field: 'prompt', reason: `does not fit the model's context of ${contextLength} tokens: ${which}` }];
  }
  const asked = typeof maxTokens === 'number' ? maxTokens : defaultMaxTokens;
  if (asked !== undefined && longest + asked > contextLength) {
    const source = typeof maxTokens === 'number' ? `asks for ${asked} tokens` : `is blank, so the server generates up to ${asked} tokens`;
    const prompt = promptTokens.length > 1 ? 'the longest prompt\'s' : 'the prompt\'s';
    return [{
      field: 'max_tokens',
      reason: `${source}, and with ${prompt} ${longest} that makes ${longest + asked}, more than the model's context of ${contextLength} tokens`,
    }];
  }
  return [];
}
