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
 *
 * Linear in what it is fed: each chunk is scanned once, and a line that spans many
 * chunks is kept as a list of pieces, joined once when its end arrives, so a server
 * that sends megabytes without a line end costs no more than one that sends lines.
 */
export class SseDecoder {
  private readonly text = new StringDecoder('utf8');
  /** The start of the current line, in pieces, when it spans chunks. */
  private pieces: string[] = [];
  private skipLeadingLf = false;
  private data: string[] = [];
  private eventName: string | undefined;
  private first = true;

  /** Feeds a chunk of the body; returns the events it completed. */
  push(chunk: Buffer | string): SseEvent[] {
    const input = typeof chunk === 'string' ? chunk : this.text.write(chunk);
    const events: SseEvent[] = [];
    let start = 0;
    // A byte-order mark before the first line is not part of it (WHATWG: "one leading U+FEFF is removed").
    if (this.first && input.length > 0) {
      this.first = false;
      if (input.charCodeAt(0) === 0xfeff) start = 1;
    }
    if (this.skipLeadingLf && input.length > start) {
      if (input.charCodeAt(start) === 10) start++;
      this.skipLeadingLf = false;
    }
    for (let i = start; i < input.length; i++) {
      const ch = input.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.endLine(input.slice(start, i), events);
      if (ch === 13) {
        if (i + 1 < input.length) {
          if (input.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    if (start < input.length) this.pieces.push(start === 0 ? input : input.slice(start));
    return events;
  }

  /** True when bytes of an unfinished event are still held (the stream ended mid-event). */
  get hasPartialEvent(): boolean {
    return this.pieces.length > 0 || this.data.length > 0 || this.eventName !== undefined;
  }

  private endLine(tail: string, events: SseEvent[]): void {
    let line = tail;
    if (this.pieces.length > 0) {
      this.pieces.push(tail);
      line = this.pieces.join('');
      this.pieces = [];
    }
    this.line(line, events);
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
