import { CompletionError, httpError } from '../errors/errors';
import type { CompletionResponse } from '../http/attempt';

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

export interface Choice {
  index?: number;
  text?: unknown;
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

export function choicesOf(response: CompletionResponse): Choice[] {
  const body = response.body as { choices?: unknown } | null;
  const choices = body && typeof body === 'object' ? body.choices : undefined;
  if (!Array.isArray(choices)) {
    throw new CompletionError('BAD_RESPONSE', `HTTP ${response.status} response has no choices`, { status: response.status });
  }
  return choices.filter((c): c is Choice => c !== null && typeof c === 'object');
}

/** Text per choice, ordered by choice index; a single string when there is one choice. */
export function textOf(choices: Choice[]): string | string[] {
  const texts = [...choices]
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((c) => (typeof c.text === 'string' ? c.text : ''));
  return texts.length === 1 ? texts[0] : texts;
}

/** The body without its choices: what each per-choice message carries besides its own choice. */
export function envelopeOf(body: unknown): Record<string, unknown> {
  const { choices: _choices, ...rest } = (body ?? {}) as Record<string, unknown>;
  return rest;
}

export function requireOk(response: CompletionResponse): void {
  if (!isOk(response.status)) throw httpError(response.status, response.body, requestIdOf(response), response.attempts);
}

function requestIdOf(response: Pick<CompletionResponse, 'headers'>): string | undefined {
  const id = response.headers['x-request-id'];
  return Array.isArray(id) ? id[0] : id;
}

export function withResponse(msg: Message, response: CompletionResponse): Message {
  msg.statusCode = response.status;
  msg.headers = { ...response.headers };
  return msg;
}

/**
 * The result messages of a finished, non-streamed call, in the chosen format.
 * `expectedChoices`: how many the request asked for; an answer with more is refused in
 * `choices` format, which would send a message for each.
 */
export function resultMessages(format: ResultFormat, response: CompletionResponse, source: MessageSource, expectedChoices = Infinity): Message[] {
  if (format === 'raw') {
    const msg = withResponse(source.copy(), response);
    msg.payload = { body: response.body, status: response.status };
    return [msg];
  }
  requireOk(response);
  const choices = choicesOf(response);
  if (format === 'text') {
    const msg = withResponse(source.copy(), response);
    msg.payload = textOf(choices);
    msg.completion = response.body;
    return [msg];
  }
  if (choices.length > expectedChoices) {
    throw new CompletionError('BAD_RESPONSE', `HTTP ${response.status} with ${choices.length} choices for a request of ${expectedChoices}`, { status: response.status });
  }
  const envelope = envelopeOf(response.body);
  return choices.map((choice, i) => {
    const msg = withResponse(source.copy(), response);
    msg.payload = choice;
    msg.completion = { ...envelope };
    msg.parts = { id: source.sequenceId, index: i, count: choices.length, type: 'array', len: 1 };
    return msg;
  });
}

/** Total tokens the server reports, for the node status. */
export function tokensUsed(body: unknown): number | undefined {
  const usage = (body as { usage?: { total_tokens?: unknown } } | null)?.usage;
  return typeof usage?.total_tokens === 'number' ? usage.total_tokens : undefined;
}
