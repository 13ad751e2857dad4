import { CompletionError, httpError } from './errors';
import type { CompletionResponse } from './call-completion';

export const RESULT_FORMATS = ['raw', 'text', 'choices'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export type Message = Record<string, unknown>;

/** What the result builders need from the node: a fresh copy of the input message to fill. */
export interface MessageSource {
  /** A deep copy of the input message without its payload, so results share nothing with the passthrough. */
  copy(): Message;
  /** The id that ties the messages of one sequence together (`msg.parts.id`). */
  sequenceId: string;
}

interface Choice {
  index?: number;
  text?: unknown;
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

function choicesOf(response: CompletionResponse): Choice[] {
  const body = response.body as { choices?: unknown } | null;
  const choices = body && typeof body === 'object' ? body.choices : undefined;
  if (!Array.isArray(choices)) {
    throw new CompletionError('BAD_RESPONSE', `HTTP ${response.status} response has no choices`, { status: response.status });
  }
  return choices.filter((c): c is Choice => c !== null && typeof c === 'object');
}

/** Text per choice, ordered by choice index; a single string when there is one choice. */
function textOf(choices: Choice[]): string | string[] {
  const texts = [...choices]
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((c) => (typeof c.text === 'string' ? c.text : ''));
  return texts.length === 1 ? texts[0] : texts;
}

/** The body without its choices: what each per-choice message carries besides its own choice. */
function envelopeOf(body: unknown): Record<string, unknown> {
  const { choices: _choices, ...rest } = (body ?? {}) as Record<string, unknown>;
  return rest;
}

function requireOk(response: CompletionResponse): void {
  if (!isOk(response.status)) throw httpError(response.status, response.body, requestIdOf(response), response.attempts);
}

export function requestIdOf(response: Pick<CompletionResponse, 'headers'>): string | undefined {
  const id = response.headers['x-request-id'];
  return Array.isArray(id) ? id[0] : id;
}

function withResponse(msg: Message, response: CompletionResponse): Message {
  msg.statusCode = response.status;
  msg.headers = { ...response.headers };
  return msg;
}

/**
 * The result messages of a finished call, in the chosen format. `firstIndex` continues
 * the `parts` numbering after streamed chunk messages; with it, the last message marks
 * the sequence complete.
 */
export function resultMessages(
  format: ResultFormat,
  response: CompletionResponse,
  source: MessageSource,
  firstIndex?: number,
): Message[] {
  const streamed = firstIndex !== undefined;
  if (format === 'raw') {
    const msg = withResponse(source.copy(), response);
    msg.payload = { body: response.body, status: response.status };
    if (streamed) closeSequence(msg, source.sequenceId, firstIndex, { type: 'array', len: 1 });
    return [msg];
  }
  requireOk(response);
  const choices = choicesOf(response);
  if (format === 'text') {
    const msg = withResponse(source.copy(), response);
    msg.payload = textOf(choices);
    msg.completion = response.body;
    if (streamed) {
      // The deltas already sent make up the text; a join in automatic mode reads this
      // message's empty `delta` instead of repeating the whole text.
      msg.delta = '';
      closeSequence(msg, source.sequenceId, firstIndex, { type: 'string', ch: '', property: 'delta' });
    }
    return [msg];
  }
  const envelope = envelopeOf(response.body);
  if (streamed && choices.length === 0) {
    // The chunks already sent opened a sequence: close it, or a join waits forever.
    const msg = withResponse(source.copy(), response);
    msg.payload = [];
    msg.completion = envelope;
    closeSequence(msg, source.sequenceId, firstIndex, { type: 'array', len: 1 });
    return [msg];
  }
  const start = firstIndex ?? 0;
  const count = start + choices.length;
  return choices.map((choice, i) => {
    const msg = withResponse(source.copy(), response);
    msg.payload = choice;
    msg.completion = { ...envelope };
    msg.parts = { id: source.sequenceId, index: start + i, count, type: 'array', len: 1 };
    if (streamed && i === choices.length - 1) msg.complete = true;
    return msg;
  });
}

function closeSequence(msg: Message, id: string, index: number, shape: Record<string, unknown>): void {
  msg.parts = { id, index, count: index + 1, ...shape };
  msg.complete = true;
}

/** One message for one server-sent event, sent the moment it arrives. */
export function chunkMessage(
  format: ResultFormat,
  chunk: Record<string, unknown>,
  index: number,
  status: number,
  source: MessageSource,
): Message {
  const msg = source.copy();
  msg.statusCode = status;
  const choices = Array.isArray(chunk.choices) ? (chunk.choices as Choice[]) : [];
  if (format === 'text') {
    msg.payload = choices.map((c) => (typeof c?.text === 'string' ? c.text : '')).join('');
    if (choices.length > 0 && typeof choices[0]?.index === 'number') msg.choiceIndex = choices[0].index;
    msg.parts = { id: source.sequenceId, index, type: 'string', ch: '' };
  } else {
    msg.payload = format === 'raw' ? { body: chunk, status } : choices;
    msg.parts = { id: source.sequenceId, index, type: 'array', len: 1 };
  }
  return msg;
}

/** Total tokens the server reports, for the node status. */
export function tokensUsed(body: unknown): number | undefined {
  const usage = (body as { usage?: { total_tokens?: unknown } } | null)?.usage;
  return typeof usage?.total_tokens === 'number' ? usage.total_tokens : undefined;
}
