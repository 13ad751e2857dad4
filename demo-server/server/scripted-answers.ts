// The faults and special answers a test can queue: one per following completions request.

export type ScriptedAnswer =
  /** body: object -> JSON; string -> sent as-is (text/plain); omitted -> the server's error for that status. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Destroy the socket without any response. */
  | { kind: 'reset-before-headers' }
  /** 200 and headers (and an optional partial body), then destroy the socket. */
  | { kind: 'reset-after-headers'; partialBody?: string }
  /** Never answer (the socket stays open until the client gives up or the server closes). */
  | { kind: 'hang' }
  /** The normal answer, after ms. */
  | { kind: 'delay'; ms: number }
  /** The normal answer, body written chunkBytes (default 1) at a time every intervalMs. */
  | { kind: 'drip'; intervalMs: number; chunkBytes?: number }
  /** 200 application/json with a body that is not JSON. */
  | { kind: 'malformed' }
  /** 200 application/json: a valid completion padded to at least `bytes`. */
  | { kind: 'large'; bytes: number }
  /** Streamed: after N normal events, an error event (`message` or the server's 500 text), then end. */
  | { kind: 'stream-error-event'; afterEvents: number; style: 'data' | 'event'; message?: string }
  /** Streamed: after N events, destroy the socket mid-stream. */
  | { kind: 'stream-truncate'; afterEvents: number }
  /** Streamed: all events, then end the response cleanly without `data: [DONE]`. */
  | { kind: 'stream-no-done' }
  /** Streamed, one byte per write. */
  | { kind: 'stream-bytewise'; lineEnd?: '\n' | '\r\n' | '\r'; comments?: boolean }
  /** Streamed: after N events, the failure report of the dialect's server (llama.cpp: an error
   * event and no [DONE]; vLLM: an error event, then [DONE]; LocalAI: an "Internal error: …" chunk
   * and no [DONE]; Ollama: an empty chunk and no [DONE]). */
  | { kind: 'stream-fail'; afterEvents: number; message?: string }
  /** The server's answer while its model loads (llama.cpp: 503 "Loading model"; LocalAI: 503 with
   * Retry-After); a plain 503 for servers that have none. */
  | { kind: 'loading'; retryAfter?: number }
  /** OpenAI's 429 insufficient_quota; a plain 429 for servers that have none. */
  | { kind: 'insufficient-quota' };

