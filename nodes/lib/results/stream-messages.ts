import type { CompletionResponse } from '../http/attempt';
import { CompletionError } from '../errors/errors';
import { choiceIndexProblem, choicesOf, envelopeOf, requireOk, textOf, withResponse, type Choice, type Message, type MessageSource, type ResultFormat } from './result-messages';

/**
 * The messages of one streamed completion: one per event as it arrives, then the
 * assembled response, all tied into sequences that a core `join` node in automatic mode
 * puts back together.
 *
 * In `text` format with several choices (`n` > 1 or several prompts), servers interleave
 * the choices' events. Each choice is then a sequence of its own (`msg.parts.id` per
 * choice) nested in the completion's (`msg.parts.parts`), so a join gives each choice's
 * whole text, and a second join the array of texts a non-streamed answer has. Its
 * assembled response comes as one final message per choice.
 */
export class StreamMessages {
  private events = 0;
  /** Text messages sent so far per choice index. */
  private readonly deltas = new Map<number, number>();
  private textMessages = 0;

  constructor(
    private readonly format: ResultFormat,
    private readonly source: MessageSource,
    /** Choices the request asks for: `n` times the number of prompts. */
    private readonly expectedChoices: number,
  ) {}

  private get nested(): boolean {
    return this.format === 'text' && this.expectedChoices > 1;
  }

  private requireIndex(index: unknown, status: number): void {
    const problem = choiceIndexProblem(index, this.expectedChoices);
    if (problem) throw new CompletionError('STREAM_ERROR', `the server sent ${problem}`, { status });
  }

  private choiceSequence(index: number): string {
    return this.nested ? `${this.source.sequenceId}.${index}` : this.source.sequenceId;
  }

  /** The messages for one event, the moment it arrived. */
  chunk(event: Record<string, unknown>, status: number): Message[] {
    const choices = Array.isArray(event.choices) ? (event.choices as Array<Choice | null>) : [];
    if (this.format === 'choices') {
      // One message per event, whatever it holds; but not a choice the request did not ask for.
      for (const choice of choices) this.requireIndex(choice?.index, status);
    }
    if (this.format !== 'text') {
      const msg = this.source.copy();
      msg.statusCode = status;
      msg.payload = this.format === 'raw' ? { body: event, status } : choices;
      msg.parts = { id: this.source.sequenceId, index: this.events++, type: 'array', len: 1 };
      return [msg];
    }
    this.events++;
    const out: Message[] = [];
    for (const choice of choices) {
      if (choice === null || typeof choice !== 'object') continue;
      // One message per choice of an event: a server that invents choices must not
      // turn one event into thousands of messages.
      this.requireIndex(choice.index, status);
      const index = choice.index ?? 0;
      const count = this.deltas.get(index) ?? 0;
      this.deltas.set(index, count + 1);
      const position = this.nested ? count : this.textMessages;
      this.textMessages++;
      const msg = this.source.copy();
      msg.statusCode = status;
      msg.payload = typeof choice.text === 'string' ? choice.text : '';
      msg.choiceIndex = index;
      msg.parts = this.textParts(index, position);
      out.push(msg);
    }
    return out;
  }

  private textParts(index: number, position: number, close?: { outerIndex: number; outerCount: number }): Record<string, unknown> {
    const parts: Record<string, unknown> = { id: this.choiceSequence(index), index: position, type: 'string', ch: '' };
    if (close) {
      parts.count = position + 1;
      // The join reads the final message's `delta` (the text still held back, usually
      // empty) rather than repeating the whole text its payload carries.
      parts.property = 'delta';
    }
    if (this.nested) {
      parts.parts = { id: this.source.sequenceId, index: close?.outerIndex ?? index, type: 'array', len: 1, ...(close ? { count: close.outerCount } : {}) };
    }
    return parts;
  }

  /** The assembled response, closing every sequence the events opened. */
  final(response: CompletionResponse): Message[] {
    const tails = response.tails ?? new Map<number, string>();
    if (this.format === 'raw') {
      const msg = withResponse(this.source.copy(), response);
      msg.payload = { body: response.body, status: response.status };
      this.close(msg, this.events, { type: 'array', len: 1 });
      return [msg];
    }
    requireOk(response);
    const choices = choicesOf(response);
    if (this.format === 'choices') return this.finalChoices(response, choices);
    if (!this.nested) {
      const msg = withResponse(this.source.copy(), response);
      msg.payload = textOf(choices);
      msg.completion = response.body;
      msg.delta = [...tails.values()].join('');
      msg.parts = this.textParts(0, this.textMessages, { outerIndex: 0, outerCount: 1 });
      msg.complete = true;
      return [msg];
    }
    const ordered = [...choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return ordered.map((choice, position) => {
      const index = choice.index ?? 0;
      const msg = withResponse(this.source.copy(), response);
      msg.payload = typeof choice.text === 'string' ? choice.text : '';
      msg.choiceIndex = index;
      msg.completion = response.body;
      msg.delta = tails.get(index) ?? '';
      msg.parts = this.textParts(index, this.deltas.get(index) ?? 0, { outerIndex: position, outerCount: ordered.length });
      msg.complete = true;
      return msg;
    });
  }

  private finalChoices(response: CompletionResponse, choices: Choice[]): Message[] {
    if (choices.length > this.expectedChoices) {
      throw new CompletionError('STREAM_ERROR', `the stream held ${choices.length} choices for a request of ${this.expectedChoices}`, { status: response.status });
    }
    const envelope = envelopeOf(response.body);
    if (choices.length === 0) {
      // The chunks already sent opened a sequence: close it, or a join waits forever.
      const msg = withResponse(this.source.copy(), response);
      msg.payload = [];
      msg.completion = envelope;
      this.close(msg, this.events, { type: 'array', len: 1 });
      return [msg];
    }
    const count = this.events + choices.length;
    return choices.map((choice, i) => {
      const msg = withResponse(this.source.copy(), response);
      msg.payload = choice;
      msg.completion = { ...envelope };
      msg.parts = { id: this.source.sequenceId, index: this.events + i, count, type: 'array', len: 1 };
      if (i === choices.length - 1) msg.complete = true;
      return msg;
    });
  }

  private close(msg: Message, index: number, shape: Record<string, unknown>): void {
    msg.parts = { id: this.source.sequenceId, index, count: index + 1, ...shape };
    msg.complete = true;
  }

  /**
   * After a stream failed half-way: one message per sequence the events opened, with
   * `msg.reset`, so a join discards the partial group instead of holding it forever.
   */
  resets(): Message[] {
    if (this.events === 0) return [];
    const ids = this.format === 'text' ? [...new Set([...this.deltas.keys()].map((i) => this.choiceSequence(i)))] : [this.source.sequenceId];
    return ids.map((id) => {
      const msg = this.source.copy();
      msg.parts = { id };
      msg.reset = true;
      return msg;
    });
  }
}
