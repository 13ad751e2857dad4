import type { FieldProblem } from '../request/validate';

export const SERVER_KINDS = ['openai', 'azure', 'azure-v1', 'vllm', 'llamacpp', 'ollama', 'lmstudio', 'localai', 'other'] as const;
export type ServerKindId = (typeof SERVER_KINDS)[number];

export interface Credentials {
  apiKey?: string;
  organization?: string;
  project?: string;
}

/**
 * What differs between the servers users run: where the endpoint is, how the key is
 * sent, which parameters the server would reject or silently ignore, and how its
 * streams end. Everything else about them is the OpenAI protocol.
 */
export interface ServerKind {
  id: ServerKindId;
  label: string;
  /** Base URLs without a path get `/v1`, except Azure's resource endpoints. */
  addsV1: boolean;
  /** The path and query of the completions endpoint, after the base URL. */
  completionsPath(model: unknown, apiVersion: string): string;
  modelsPath(apiVersion: string): string;
  authHeaders(credentials: Credentials): Record<string, string>;
  /** Parameters this server cannot honour, checked before anything is sent. */
  gaps(request: Record<string, unknown>): FieldProblem[];
  /** Servers that close a finished stream without `data: [DONE]`. */
  streamMayEndWithoutDone: boolean;
}

const bearer = ({ apiKey }: Credentials): Record<string, string> => (apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
const azureKey = ({ apiKey }: Credentials): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {});
const openaiHeaders = (credentials: Credentials): Record<string, string> => {
  const headers = bearer(credentials);
  if (credentials.organization) headers['OpenAI-Organization'] = credentials.organization;
  if (credentials.project) headers['OpenAI-Project'] = credentials.project;
  return headers;
};

const present = (value: unknown) => value !== undefined && value !== null;
const refuse = (field: string, server: string, why: string): FieldProblem => ({ field, reason: `is not supported by ${server}: ${why}` });

function plain(id: ServerKindId, label: string, extra: Partial<ServerKind> = {}): ServerKind {
  return {
    id,
    label,
    addsV1: true,
    completionsPath: () => '/completions',
    modelsPath: () => '/models',
    authHeaders: bearer,
    gaps: () => [],
    streamMayEndWithoutDone: false,
    ...extra,
  };
}

const KINDS: Record<ServerKindId, ServerKind> = {
  openai: plain('openai', 'OpenAI', { authHeaders: openaiHeaders }),
  other: plain('other', 'OpenAI-compatible', { authHeaders: openaiHeaders }),
  azure: plain('azure', 'Azure OpenAI', {
    addsV1: false,
    completionsPath: (model, apiVersion) =>
      `/openai/deployments/${encodeURIComponent(String(model ?? ''))}/completions?api-version=${encodeURIComponent(apiVersion)}`,
    modelsPath: (apiVersion) => `/openai/models?api-version=${encodeURIComponent(apiVersion)}`,
    authHeaders: azureKey,
    // The deployment is a path segment: "." or ".." would take the request elsewhere on the host.
    gaps: (r) => (r.model === '.' || r.model === '..' ? [{ field: 'model', reason: `"${r.model}" cannot name an Azure deployment` }] : []),
  }),
  'azure-v1': plain('azure-v1', 'Azure OpenAI (v1)', {
    addsV1: false,
    completionsPath: () => '/openai/v1/completions',
    modelsPath: () => '/openai/v1/models',
    authHeaders: azureKey,
  }),
  vllm: plain('vllm', 'vLLM', {
    gaps: (r) => [
      ...(typeof r.best_of === 'number' && r.best_of > 1 ? [refuse('best_of', 'vLLM', 'it generates no extra candidates')] : []),
      ...(present(r.suffix) ? [refuse('suffix', 'vLLM', 'it has no insert mode')] : []),
    ],
  }),
  llamacpp: plain('llamacpp', 'llama.cpp server', {
    // llama.cpp's OpenAI layer throws "Unsupported param" (an HTTP 500) for `echo: true`
    // and for `best_of` or `suffix` present at all, whatever their value.
    gaps: (r) => [
      ...(r.echo === true ? [refuse('echo', 'llama.cpp server', 'it rejects echo')] : []),
      ...['best_of', 'suffix'].filter((k) => k in r).map((k) => refuse(k, 'llama.cpp server', 'it rejects this key')),
    ],
    streamMayEndWithoutDone: true,
  }),
  ollama: plain('ollama', 'Ollama', {
    gaps: (r) => {
      const problems: FieldProblem[] = [];
      if (present(r.prompt) && typeof r.prompt !== 'string') problems.push(refuse('prompt', 'Ollama', 'it takes a single string prompt'));
      if (typeof r.n === 'number' && r.n > 1) problems.push(refuse('n', 'Ollama', 'it returns one choice and would ignore n'));
      if (r.echo === true) problems.push(refuse('echo', 'Ollama', 'it would ignore echo'));
      if (r.logit_bias && typeof r.logit_bias === 'object' && Object.keys(r.logit_bias).length > 0) {
        problems.push(refuse('logit_bias', 'Ollama', 'it would ignore logit_bias'));
      }
      return problems;
    },
  }),
  lmstudio: plain('lmstudio', 'LM Studio'),
  localai: plain('localai', 'LocalAI'),
};

export function serverKind(id: unknown): ServerKind {
  return (SERVER_KINDS as readonly unknown[]).includes(id) ? KINDS[id as ServerKindId] : KINDS.openai;
}
