import type { CompletionResponse } from '../http/attempt';
import { ownCopy } from '../own-copy';

export interface CacheSettings {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
}

interface Entry {
  response: CompletionResponse;
  bytes: number;
  until: number;
}

/**
 * Answers to deterministic requests (temperature 0 or a seed, one choice, not
 * streamed), kept by their request (keyOf), so a repeated request is answered
 * without sending it. Bounded by entries, bytes and age. Each hit is a fresh copy: a
 * flow may change the message it gets.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly settings: CacheSettings, private readonly clock: () => number = Date.now) {}

  /** Whether a request's answer may be kept: the same request gives the same answer. */
  static cacheable(request: Record<string, unknown>): boolean {
    if (request.stream === true) return false;
    if ((request.n ?? 1) !== 1 || (request.best_of ?? 1) !== 1) return false;
    return request.temperature === 0 || (typeof request.seed === 'number');
  }

  /**
   * The key of a request: its JSON with every object's keys in order, so the same request
   * built another way (a change node setting fields one by one, a function node's literal)
   * finds the same answer.
   */
  static keyOf(request: Record<string, unknown>): string {
    return JSON.stringify(request, (_key, value: unknown) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : value,
    );
  }

  get(key: string): CompletionResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.clock()) {
      this.drop(key, entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return Object.assign(ownCopy(entry.response), { headers: ownCopy(entry.response.headers), body: structuredClone(entry.response.body) });
  }

  put(key: string, response: CompletionResponse): void {
    if (response.status !== 200) return;
    const bytes = key.length + JSON.stringify(response.body).length;
    if (bytes > this.settings.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { response: Object.assign(ownCopy(response), { body: structuredClone(response.body) }), bytes, until: this.clock() + this.settings.ttlMs });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.settings.maxEntries && this.bytes <= this.settings.maxBytes) break;
      this.drop(oldest, entry);
    }
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
