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

/**
 * Why a choice index cannot be one of the request's `expected` choices, if it cannot.
 * A missing index is the first choice's (a server that sends one choice may leave it out).
 */
export function choiceIndexProblem(index: unknown, expected: number): string | undefined {
  if (index === undefined) return undefined;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= expected) {
    return `choice ${JSON.stringify(index)} of a request for ${expected} choice${expected === 1 ? '' : 's'}`;
  }
  return undefined;
}

/**
 * The choices of an answer, held to the request: no more than it asked for, each index a
 * whole number below that count, none twice. A server that invents choices must not
 * turn one answer into thousands of messages, nor a choice with an odd index be placed
 * or merged where it does not belong.
 */
export function checkedChoices(response: CompletionResponse, expected: number): Choice[] {
  const choices = choicesOf(response);
  const refuse = (what: string) => {
    throw new CompletionError('BAD_RESPONSE', `HTTP ${response.status} with ${what}`, { status: response.status });
  };
  if (choices.length > expected) refuse(`${choices.length} choices for a request of ${expected}`);
  const seen = new Set<number>();
  for (const [position, choice] of choices.entries()) {
    const problem = choiceIndexProblem(choice.index, expected);
    if (problem) refuse(problem);
    const index = choice.index ?? position;
    if (seen.has(index)) refuse(`choice ${index} twice`);
    seen.add(index);
  }
  return choices;
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
 * `expectedChoices`: how many the request asked for; an answer with more, or with an
 * index outside them, is refused in `text` and `choices` format (raw is as it came).
 */
export function resultMessages(format: ResultFormat, response: CompletionResponse, source: MessageSource, expectedChoices = Infinity): Message[] {
  if (format === 'raw') {
    const msg = withResponse(source.copy(), response);
    msg.payload = { body: response.body, status: response.status };
    return [msg];
  }
  requireOk(response);
  const choices = checkedChoices(response, expectedChoices);
  if (format === 'text') {
    const msg = withResponse(source.copy(), response);
    msg.payload = textOf(choices);
    msg.completion = response.body;
    return [msg];
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
