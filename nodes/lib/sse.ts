import { StringDecoder } from 'node:string_decoder';

/** One server-sent event: its `event` name (if any) and its data lines joined by `\n`. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * An incremental server-sent-events decoder (WHATWG rules): bytes go in as they
 * arrive, whole events come out. Handles `\r\n`, `\r` and `\n` line ends (also a
 * `\r\n` split across two chunks), comment lines, multi-line data, and UTF-8
 * characters split across chunks.
 */
export class SseDecoder {
  private readonly text = new StringDecoder('utf8');
  private pending = '';
  private skipLeadingLf = false;
  private data: string[] = [];
  private eventName: string | undefined;

  /** Feeds a chunk of the body; returns the events it completed. */
  push(chunk: Buffer | string): SseEvent[] {
    let input = typeof chunk === 'string' ? chunk : this.text.write(chunk);
    if (this.skipLeadingLf && input.length > 0) {
      if (input[0] === '\n') input = input.slice(1);
      this.skipLeadingLf = false;
    }
    const events: SseEvent[] = [];
    let buffer = this.pending + input;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.line(buffer.slice(start, i), events);
      if (ch === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    this.pending = buffer.slice(start);
    buffer = '';
    return events;
  }

  /** True when bytes of an unfinished event are still held (the stream ended mid-event). */
  get hasPartialEvent(): boolean {
    return this.pending.length > 0 || this.data.length > 0 || this.eventName !== undefined;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        events.push(this.eventName === undefined ? { data: this.data.join('\n') } : { event: this.eventName, data: this.data.join('\n') });
      }
      this.data = [];
      this.eventName = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    // `id` and `retry` steer browser reconnection, which a one-shot request never does.
  }
}
