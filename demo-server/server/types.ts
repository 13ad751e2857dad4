// The public types of the demo server: its options and the handle tests hold.

import type { Dialect } from '../dialects/types';
import type { ScriptedAnswer } from './scripted-answers';

export interface RecordedRequest {
  method: string;
  /** The request target as sent: pathname AND query string (e.g. "...?api-version=2024-10-21"). */
  path: string;
  /** The pathname alone, without the query string. */
  pathname: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface CompletionServer {
  /** Base URL to give the client, e.g. http://127.0.0.1:43123/v1 (azure: the origin; azure-v1: origin + /openai/v1). */
  url: string;
  port: number;
  readonly dialect: Dialect;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queue answers, one per following completions request. */
  script(...answers: ScriptedAnswer[]): void;
  /** Clear requests and the script. */
  reset(): void;
  /** Close the server AND destroy all open sockets. */
  close(): Promise<void>;
}

export interface ServerOptions {
  port?: number;
  host?: string;
  requireApiKey?: string;
  tokenDelayMs?: number;
  /** Default true; false for benchmarks: do not keep requests. */
  record?: boolean;
  /** Which server to behave like (paths, auth, errors, quirks): see dialects.ts. Default 'openai'. */
  dialect?: Dialect;
  /** Context window in tokens (llama.cpp: per slot; vLLM: max_model_len; Ollama: num_ctx;
   * LM Studio: the loaded context). Default per dialect: 4096. */
  contextLength?: number;
  /** llama.cpp's slot count (-np): the highest `n` it accepts. Default 4. */
  slots?: number;
  /** vLLM's --max-logprobs. Default 20. */
  maxLogprobs?: number;
  /** For this long after start, every request gets the dialect's "model is loading" answer. */
  loadingMs?: number;
  /** The clock for date-dependent answers (OpenAI's model shutdowns). Default: the real one. */
  now?: () => Date;
}
