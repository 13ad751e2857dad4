/**
 * The prompts a request's prompt holds, each as given. An array is several prompts, unless
 * token ids stand at its top: then it is one, of ids (and of texts among them, on a server
 * that mixes them: llama.cpp tools/server/server-common.cpp, tokenize_input_prompts). A string
 * or a prompt object is one prompt.
 */
export function promptsOf(prompt: unknown): unknown[] {
  if (!Array.isArray(prompt)) return [prompt];
  return prompt.some((p) => typeof p === 'number') ? [prompt] : prompt;
}

/** The choices a request asks for each prompt: its `n`, 1 where it gives none. */
export function choicesPerPrompt(request: Record<string, unknown>): number {
  return typeof request.n === 'number' && request.n > 0 ? request.n : 1;
}

/** How many choices a request asks for in all (what the server generates): `n` for each prompt of a batch. */
export function expectedChoices(request: Record<string, unknown>): number {
  return choicesPerPrompt(request) * Math.max(1, promptsOf(request.prompt).length);
}

/** What of one prompt is counted: its texts, each tokenized alone, and its token ids, one token each. */
export interface PromptPieces {
  /** Each text, and whether it opens the prompt, which gives it the special tokens a prompt starts with (llama.cpp's BOS). */
  texts: Array<{ text: string; opens: boolean }>;
  ids: number;
}

/** Why the node cannot count a prompt with media: their tokens are known to the server alone. */
export const MEDIA_NOT_COUNTED = 'a prompt with multimodal_data: only the server knows how many tokens its media take';

/**
 * The pieces of one prompt as the server tokenizes them (llama.cpp tokenize_mixed: each text
 * alone, the first with the special tokens only when the prompt opens with it, ids as they
 * are); where the node cannot count it, why (`MEDIA_NOT_COUNTED`).
 */
export function promptPieces(prompt: unknown): PromptPieces | string {
  if (typeof prompt === 'string') return { texts: [{ text: prompt, opens: true }], ids: 0 };
  if (Array.isArray(prompt)) {
    const pieces: PromptPieces = { texts: [], ids: 0 };
    prompt.forEach((part, i) => {
      if (typeof part === 'string') pieces.texts.push({ text: part, opens: i === 0 });
      else pieces.ids++;
    });
    return pieces;
  }
  const object = prompt as { prompt_string?: unknown; multimodal_data?: unknown } | null;
  if (object === null || typeof object !== 'object') return 'a prompt that is neither text, token ids nor a prompt object';
  return object.multimodal_data === undefined ? promptPieces(String(object.prompt_string ?? '')) : MEDIA_NOT_COUNTED;
}
