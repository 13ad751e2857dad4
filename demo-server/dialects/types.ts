// What a dialect is: everything about one server's HTTP surface that the demo server's
// machinery (routing, reading bodies, streaming, scripted faults) asks about.

import type { IncomingHttpHeaders } from 'node:http';
import type { CompletionBody, CompletionChunk, Generation } from '../generate';

export const DIALECTS = ['openai', 'azure', 'azure-v1', 'vllm', 'llamacpp', 'ollama', 'lmstudio', 'localai'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** An error in OpenAI's terms, before a dialect shapes it (scripted statuses, limits). */
export interface StandardError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An answer: an object body is sent as JSON, a string body as text/plain. */
export interface Reply {
  status: number;
  body: unknown;
  /** Headers beyond the dialect's usual ones (Retry-After, Connection: close). */
  headers?: Record<string, string | number>;
  /** When the server labels this answer differently from its usual JSON type. */
  contentType?: string;
}

export interface Route {
  kind: 'completions' | 'models' | 'model' | 'endpoint' | 'unknown';
  /** llama.cpp's own /completion(s) endpoint rather than /v1/completions. */
  native?: boolean;
  deployment?: string;
  modelId?: string;
  /** Azure: the api-version query parameter (null when absent). */
  apiVersion?: string | null;
  /** kind 'endpoint': which side endpoint (tokenize, detokenize, props, health). */
  endpoint?: string;
}

/** A request body as it arrived. */
export interface Incoming {
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  parsed: boolean;
  empty: boolean;
  text: string;
}

export interface ModelInfo {
  id: string;
  created: number;
  owned_by: string;
}

/** The server options a dialect reads, resolved. */
export interface DialectSettings {
  models: readonly ModelInfo[];
  /** ServerOptions.contextLength; undefined: the dialect's default. */
  contextLength: number | undefined;
  /** llama.cpp's slot count (-np). */
  slots: number;
  /** vLLM's --max-logprobs. */
  maxLogprobs: number;
  now: () => Date;
}

/** How one completion request's generation goes on the wire. */
export interface Shaper {
  body(body: CompletionBody, g: Generation): unknown;
  /** SSE data payloads sent before the first chunk's; absent: none. */
  begin?(g: Generation): unknown[];
  /** The SSE data payloads for one generated chunk (none, one or more). */
  events(chunk: CompletionChunk, g: Generation): unknown[];
  /** Written after the last event of a stream that went well. */
  end: string;
  /** How the server reports a failure after the stream has started. */
  failure(message: string, g: Generation): { events: unknown[]; end: string };
}

export type Prepared = { reply: Reply } | { request: Record<string, unknown>; shaper: Shaper };

export interface DialectRules {
  readonly id: Dialect;
  /** Path after the origin for the base URL a client is given. */
  readonly basePath: string;
  /** Content type of JSON answers. */
  readonly jsonType: string;
  route(method: string, pathname: string, query: string): Route;
  /** Refusals of the route itself, before authentication (Azure's api-version). */
  refuseRoute(route: Route): Reply | null;
  auth(headers: IncomingHttpHeaders, requireApiKey: string | undefined, route: Route): Reply | null;
  notFound(method: string, pathname: string): Reply;
  /** The server's own refusals, then the request the generator gets and how to shape it. */
  prepare(incoming: Incoming, route: Route): Prepared;
  /** Shape a StandardError the dialect's way. */
  error(e: StandardError): Reply;
  models(): Reply;
  model(id: string): Reply;
  /** Side endpoints (tokenize, props, health); absent: none. */
  endpoint?(route: Route, incoming: Incoming): Reply;
  /** Response headers of every answer (fresh object). */
  headers(requestNumber: number, start: number): Record<string, string | number>;
  /** Headers a stream adds to headers(). */
  streamHeaders(): Record<string, string>;
  /** The answer while a model loads; null: the server has none (it makes clients wait). */
  loading(route: Route, retryAfterSeconds: number): Reply | null;
  /** The answer when the account is out of credit; null: the server has none. */
  quota(): Reply | null;
}
