// The dialects of the servers users run, for the demo server (completion-server.ts, option
// `dialect`): one file per server in dialects/, each rule with a comment naming the source
// it follows (source file and commit, documentation page, a recorded answer, or an issue
// that quotes the server).

import { azure, azureV1 } from './dialects/azure';
import { llamacpp } from './dialects/llamacpp';
import { lmstudio } from './dialects/lmstudio';
import { localai } from './dialects/localai';
import { ollama } from './dialects/ollama';
import { openai } from './dialects/openai';
import { DIALECTS, type Dialect, type DialectRules, type DialectSettings } from './dialects/types';
import { vllm } from './dialects/vllm';

export * from './dialects/types';
export type { ValidationOptions } from './dialects/openai-validation';
export { AZURE_BAD_TOKEN, AZURE_DENIED, AZURE_NO_DEPLOYMENT } from './dialects/azure';
export { chatStyleLogprobs, LLAMA_DEFAULT_MODEL, LLAMA_FINGERPRINT, LLAMA_MODEL_PATH } from './dialects/llamacpp';

export function isDialect(x: unknown): x is Dialect {
  return (DIALECTS as readonly unknown[]).includes(x);
}

/** The rules of a dialect, for a server that serves `settings.models` (its deployments, for Azure). */
export function createDialect(id: Dialect, settings: DialectSettings): DialectRules {
  switch (id) {
    case 'openai':
      return openai(settings);
    case 'azure':
      return azure(settings);
    case 'azure-v1':
      return azureV1(settings);
    case 'vllm':
      return vllm(settings);
    case 'llamacpp':
      return llamacpp(settings);
    case 'ollama':
      return ollama(settings);
    case 'lmstudio':
      return lmstudio(settings);
    case 'localai':
      return localai(settings);
  }
}
