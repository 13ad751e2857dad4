/**
 * `msg.usage`: what a completion cost in tokens, in the same shape from every server.
 * The server's own numbers where it reports them; where it does not (a stream without
 * include_usage, LocalAI's zeros), the node's own counts of the prompt (and of the
 * answer, where it could count), marked as counted. Where the server's numbers cover
 * less than the request (llama.cpp counts only the first prompt's first choice), the
 * node's own counts of every prompt and choice replace them, or, where it could not
 * count, the note says what they leave out.
 */
export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  /** Prompt tokens the server took from its cache (OpenAI, llama.cpp, vLLM). */
  cached_tokens?: number;
  /** Tokens of each prompt of a batch, as the node counted them. */
  prompts?: number[];
  /** `server`: as the server reported; `counted`: counted by the node, the server reported none. */
  source: 'server' | 'counted';
  /** What the numbers leave out, when the server's report is partial. */
  note?: string;
}

/** More tokens than any request can hold (a context times the most choices): a server that says so is wrong. */
const MAX_COUNT = 2 ** 31 - 1;

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_COUNT;

/**
 * A server's usage the node can pass on and charge a budget by: whole numbers, and a
 * total that is the sum of its parts. One that is not (negative, a string, 1e308, a
 * total that does not add up) is set aside, or it would empty a budget or price a
 * message at nothing.
 */
function usable(reported: Record<string, unknown>): boolean {
  if (!isCount(reported.total_tokens)) return false;
  for (const part of ['prompt_tokens', 'completion_tokens'] as const) {
    if (reported[part] !== undefined && reported[part] !== null && !isCount(reported[part])) return false;
  }
  const { prompt_tokens: prompt, completion_tokens: completion } = reported;
  return !(isCount(prompt) && isCount(completion) && prompt + completion !== reported.total_tokens);
}

export interface UsageContext {
  /** The prompt's tokens as the node counted them (per prompt), if it did. */
  promptTokens?: number[];
  /** The answer's tokens as the node counted them, if it did. */
  completionTokens?: number;
  /** The server's usage covers the first of several tasks (prompts × n) only. */
  firstTaskOnly?: boolean;
  /** The server reports zeros when it does not stream. */
  zeroUnlessStreamed?: boolean;
  streamed: boolean;
}

/** The server's usage in an answer, if it reported one the node can use. */
export function reportedUsage(body: unknown): Record<string, unknown> | undefined {
  const given = (body as { usage?: unknown } | null)?.usage;
  if (given === null || typeof given !== 'object') return undefined;
  let usage = given as Record<string, unknown>;
  // Some servers leave the total out: their two parts make it.
  if ((usage.total_tokens === undefined || usage.total_tokens === null) && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens)) {
    usage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
  }
  return usable(usage) ? usage : undefined;
}

export function usageOf(body: unknown, context: UsageContext): Usage | undefined {
  const given = (body as { usage?: unknown } | null)?.usage;
  const reported = reportedUsage(body);
  const unusable = reported === undefined && given !== null && typeof given === 'object' && ['prompt_tokens', 'completion_tokens', 'total_tokens'].some((key) => key in given);
  const prompts = context.promptTokens && context.promptTokens.length > 1 ? context.promptTokens : undefined;
  const zeros = context.zeroUnlessStreamed && !context.streamed && reported && !reported.total_tokens;
  const partial = reported && typeof reported === 'object' && context.firstTaskOnly;
  if (partial && context.completionTokens !== undefined) {
    const counted = context.promptTokens?.reduce((a, b) => a + b, 0);
    if (counted !== undefined) {
      return withoutUndefined({
        prompt_tokens: counted,
        completion_tokens: context.completionTokens,
        total_tokens: counted + context.completionTokens,
        prompts,
        source: 'counted',
        note: 'the server counted the first prompt\'s first choice only: these are the node\'s counts of all of them',
      } satisfies Usage);
    }
  }
  if (reported && typeof reported === 'object' && isCount(reported.total_tokens) && !zeros) {
    const usage: Usage = {
      prompt_tokens: isCount(reported.prompt_tokens) ? reported.prompt_tokens : undefined,
      completion_tokens: isCount(reported.completion_tokens) ? reported.completion_tokens : undefined,
      total_tokens: reported.total_tokens,
      source: 'server',
    };
    const cached = (reported.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens;
    if (isCount(cached)) usage.cached_tokens = cached;
    if (prompts) usage.prompts = prompts;
    if (partial) usage.note = 'the server counted the first prompt\'s first choice only';
    return withoutUndefined(usage);
  }
  if (!context.promptTokens && context.completionTokens === undefined) return undefined;
  const prompt = context.promptTokens?.reduce((a, b) => a + b, 0);
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: context.completionTokens,
    total_tokens: prompt !== undefined && context.completionTokens !== undefined ? prompt + context.completionTokens : undefined,
    prompts,
    source: 'counted',
    note: unusable ? `the server's usage cannot be right (${JSON.stringify(given).slice(0, 120)}): these are the node's counts` : undefined,
  };
  return withoutUndefined(usage);
}

/** The same object without its undefined properties, made anew (an object that loses properties turns slow for every later copy). */
function withoutUndefined<T extends object>(value: T): T {
  const out = {} as T;
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** Whether an answer was cut at max_tokens: a choice that ended for its length. */
export function truncatedChoices(body: unknown): number[] {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return [];
  return choices
    .filter((c): c is { index?: unknown; finish_reason?: unknown } => c !== null && typeof c === 'object')
    .filter((c) => c.finish_reason === 'length')
    .map((c) => (typeof c.index === 'number' ? c.index : 0));
}
