// The completions route: the dialect prepares the request, the generator writes the text,
// the dialect shapes the body or the stream.

import { DEFAULT_MODEL } from '../models';
import { bodyOf, generationFor, type CompletionBody, type Generation } from '../generate';
import { isInt, isObject } from '../dialects/common';
import { costRefusal, promptCount } from '../dialects/openai-validation';
import type { DialectRules, Incoming, Prepared, Reply, Shaper } from '../dialects/types';
import { JSON_TYPE, type Exchange, type Responder } from './responder';
import { ScriptedFaults } from './faults';
import type { ScriptedAnswer } from './scripted-answers';
import type { StreamEnding, StreamWriter } from './stream-writer';
import type { Sleeper } from './timers';

/** A request the dialect accepted, with its generation. */
export interface Accepted {
  request: Record<string, unknown>;
  shaper: Shaper;
  g: Generation;
}

export class CompletionsRoute {
  private readonly faults: ScriptedFaults;

  constructor(
    private readonly rules: DialectRules,
    private readonly responder: Responder,
    private readonly writer: StreamWriter,
    private readonly sleeper: Sleeper,
    private readonly idPrefix: string,
  ) {
    this.faults = new ScriptedFaults(rules, responder, (ex, incoming) => this.bodyForFault(ex, incoming));
  }

  async answer(ex: Exchange, incoming: Incoming, scripted: ScriptedAnswer | undefined): Promise<void> {
    if (scripted && (await this.faults.replace(ex, incoming, scripted))) return;
    const change = scripted ? this.faults.change(scripted) : {};
    if (change.delayMs !== undefined) {
      await this.sleeper.sleep(change.delayMs);
      if (this.responder.gone(ex.res)) return;
    }
    const prepared = this.prepare(incoming, ex);
    if ('reply' in prepared) {
      if (change.drip) {
        const { text, headers } = this.responder.replyParts(ex, prepared.reply);
        const bytes = Buffer.from(text, 'utf8');
        headers['content-length'] = bytes.length;
        return this.writer.drip(ex, prepared.reply.status, headers, bytes, change.drip.intervalMs, change.drip.chunkBytes);
      }
      return this.responder.reply(ex, prepared.reply);
    }
    const { request, shaper, g } = prepared;
    const streamed = request.stream === true || change.ending !== undefined || change.bytewise !== undefined;
    if (!streamed) {
      const body = shaper.body(bodyOf(g), g);
      if (change.drip) {
        const bytes = Buffer.from(JSON.stringify(body), 'utf8');
        const headers = this.responder.headers(ex, JSON_TYPE);
        headers['content-length'] = bytes.length;
        return this.writer.drip(ex, 200, headers, bytes, change.drip.intervalMs, change.drip.chunkBytes);
      }
      return this.responder.json(ex, 200, body);
    }
    if (change.drip) {
      const bytes = Buffer.from(this.writer.text(g, shaper), 'utf8');
      return this.writer.drip(ex, 200, this.responder.streamHeaders(ex), bytes, change.drip.intervalMs, change.drip.chunkBytes);
    }
    if (change.bytewise) return this.writer.bytewise(ex, g, shaper, change.bytewise.lineEnd, change.bytewise.comments);
    const ending: StreamEnding = change.ending ?? { kind: 'normal' };
    return this.writer.write(ex, g, shaper, ending);
  }

  /** The dialect's checks, then the cost guard every server gets, then the generation. */
  prepare(incoming: Incoming, ex: Exchange): { reply: Reply } | Accepted {
    const prepared: Prepared = this.rules.prepare(incoming, ex.route);
    if ('reply' in prepared) return prepared;
    const { request, shaper } = prepared;
    const n = isInt(request.n) && request.n > 0 ? request.n : 1;
    const max = isInt(request.max_tokens) && request.max_tokens >= 0 ? request.max_tokens : 16;
    const tooCostly = costRefusal(promptCount(request.prompt), n, max);
    if (tooCostly) return { reply: this.rules.error(tooCostly) };
    return { request, shaper, g: generationFor(request, { id: `${this.idPrefix}${ex.number}`, created: Math.floor(ex.start / 1000) }) };
  }

  /** A normal body for faults that need one (a 200 without body, a large body): the request's
   * own when the dialect accepts it, else one for a plain prompt. */
  private bodyForFault(ex: Exchange, incoming: Incoming): { body: CompletionBody; shape: (b: CompletionBody) => unknown } {
    const asRequest = (body: Record<string, unknown>): Incoming => ({ body, parsed: true, empty: false, text: JSON.stringify(body) });
    const own = isObject(incoming.body) && incoming.parsed ? { ...incoming.body } : {};
    delete own.stream;
    delete own.stream_options;
    for (const candidate of [own, { model: typeof own.model === 'string' ? own.model : DEFAULT_MODEL, prompt: 'large' }, { model: DEFAULT_MODEL, prompt: 'large' }]) {
      const accepted = this.prepare(asRequest(candidate), ex);
      if ('g' in accepted && accepted.g.choices.length > 0) {
        return { body: bodyOf(accepted.g), shape: (b) => accepted.shaper.body(b, accepted.g) };
      }
    }
    const g = generationFor({ model: DEFAULT_MODEL, prompt: 'large' }, { id: `${this.idPrefix}${ex.number}`, created: Math.floor(ex.start / 1000) });
    return { body: bodyOf(g), shape: (b) => b };
  }
}
