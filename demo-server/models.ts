// The models the demo server serves, and what OpenAI's API says about models it no longer
// (or never) serves on /v1/completions.

export const MODELS: ReadonlyArray<{ id: string; object: 'model'; created: number; owned_by: string }> = [
  { id: 'demo-instruct', object: 'model', created: 1700000000, owned_by: 'node-red-contrib-create-completion' },
  { id: 'gpt-3.5-turbo-instruct', object: 'model', created: 1692901427, owned_by: 'system' },
  { id: 'davinci-002', object: 'model', created: 1692634301, owned_by: 'system' },
  { id: 'babbage-002', object: 'model', created: 1692634615, owned_by: 'system' },
];

/** The demo's own model: used wherever a server fills in a model the request left out. */
export const DEFAULT_MODEL = 'demo-instruct';

export const MODEL_IDS: ReadonlySet<string> = new Set(MODELS.map((m) => m.id));

// OpenAI announced on 2025-09-26 the shutdown of the three completion models for
// 2026-09-28 (docs/DESIGN.md of the shared project notes; OpenAI's deprecations page as
// quoted by codersera.com "GPT-3.5 shutdown dates": gpt-3.5-turbo-instruct September 28,
// 2026). From that day OpenAI answers them with model_not_found and lists them no more.
export const OPENAI_SHUTDOWN: Readonly<Record<string, string>> = {
  'gpt-3.5-turbo-instruct': '2026-09-28',
  'davinci-002': '2026-09-28',
  'babbage-002': '2026-09-28',
};

const SHUTDOWN_AT = new Map(Object.entries(OPENAI_SHUTDOWN).map(([model, day]) => [model, Date.parse(`${day}T00:00:00Z`)]));

export function isShutDown(model: string, now: Date): boolean {
  const at = SHUTDOWN_AT.get(model);
  return at !== undefined && now.getTime() >= at;
}

// Chat models answer /v1/completions with a 404 of their own (see openai-errors.ts
// chatModelError). The families OpenAI serves only on chat: gpt-3.5-turbo (not -instruct),
// gpt-4*, gpt-5*, chatgpt-*, and the o-series reasoning models.
const CHAT_MODEL = /^(gpt-3\.5-turbo(?!-instruct)|gpt-4|gpt-5|gpt-6|chatgpt-|o\d)/;

export function isChatModel(model: string): boolean {
  return CHAT_MODEL.test(model);
}
