// The scripted answers: those that replace the answer, and those that change how the
// normal answer goes out.

import type { CompletionBody } from '../generate';
import { standardErrorForStatus, SERVER_ERROR_MESSAGE } from '../dialects/openai-errors';
import type { DialectRules, Incoming } from '../dialects/types';
import { destroyWhenFlushed, JSON_TYPE, TEXT_TYPE, type Exchange, type Headers, type Responder } from './responder';
import type { ScriptedAnswer } from './scripted-answers';
import type { StreamEnding } from './stream-writer';

/** How a scripted answer changes the normal answer. */
export interface AnswerChange {
  delayMs?: number;
  drip?: { intervalMs: number; chunkBytes: number };
  ending?: StreamEnding;
  bytewise?: { lineEnd: '\n' | '\r\n' | '\r'; comments: boolean };
}

type NormalBody = (ex: Exchange, incoming: Incoming) => { body: CompletionBody; shape: (b: CompletionBody) => unknown };

export class ScriptedFaults {
  constructor(
    private readonly rules: DialectRules,
    private readonly responder: Responder,
    private readonly normalBody: NormalBody,
  ) {}

  /** Answers in place of the normal answer; false when the scripted answer only changes it. */
  async replace(ex: Exchange, incoming: Incoming, a: ScriptedAnswer): Promise<boolean> {
    const { res } = ex;
    switch (a.kind) {
      case 'status':
        this.status(ex, incoming, a);
        return true;
      case 'reset-before-headers':
        ex.req.socket.destroy();
        return true;
      case 'reset-after-headers': {
        res.writeHead(200, this.responder.headers(ex, JSON_TYPE));
        if (a.partialBody) res.write(a.partialBody);
        else res.flushHeaders();
        const socket = res.socket;
        setImmediate(() => destroyWhenFlushed(socket));
        return true;
      }
      case 'hang':
        return true;
      case 'malformed':
        this.responder.text(ex, 200, '{"id":"cmpl-malformed","object":"text_completion","choices":[{"text":"this is not', this.responder.headers(ex, JSON_TYPE));
        return true;
      case 'large':
        this.large(ex, incoming, a.bytes);
        return true;
      case 'loading':
        this.responder.reply(ex, this.rules.loading(ex.route, Math.max(1, Math.round(a.retryAfter ?? 5))) ?? this.rules.error(standardErrorForStatus(503)));
        return true;
      case 'insufficient-quota':
        this.responder.reply(ex, this.rules.quota() ?? this.rules.error(standardErrorForStatus(429)));
        return true;
      default:
        return false;
    }
  }

  change(a: ScriptedAnswer): AnswerChange {
    switch (a.kind) {
      case 'delay':
        return { delayMs: Math.max(0, a.ms) };
      case 'drip':
        return { drip: { intervalMs: a.intervalMs, chunkBytes: a.chunkBytes ?? 1 } };
      case 'stream-error-event':
        return { ending: { kind: 'error-event', after: a.afterEvents, style: a.style, message: a.message ?? SERVER_ERROR_MESSAGE } };
      case 'stream-truncate':
        return { ending: { kind: 'truncate', after: a.afterEvents } };
      case 'stream-no-done':
        return { ending: { kind: 'no-done' } };
      case 'stream-fail':
        return { ending: { kind: 'fail', after: a.afterEvents, message: a.message ?? SERVER_ERROR_MESSAGE } };
      case 'stream-bytewise':
        return { bytewise: { lineEnd: a.lineEnd ?? '\n', comments: a.comments === true } };
      default:
        return {};
    }
  }

  private status(ex: Exchange, incoming: Incoming, a: Extract<ScriptedAnswer, { kind: 'status' }>): void {
    const status = a.status;
    let headers: Headers = this.responder.headers(ex);
    let text: string | undefined;
    if (a.body === undefined) {
      if (status >= 400) {
        const parts = this.responder.replyParts(ex, this.rules.error(standardErrorForStatus(status)));
        text = parts.text;
        headers = parts.headers;
      } else if (status !== 204 && status !== 304 && !(status >= 100 && status < 200)) {
        const normal = this.normalBody(ex, incoming);
        text = JSON.stringify(normal.shape(normal.body));
        headers = this.responder.headers(ex, JSON_TYPE);
      }
    } else if (typeof a.body === 'string') {
      text = a.body;
      headers['content-type'] = TEXT_TYPE;
    } else {
      text = JSON.stringify(a.body);
      headers['content-type'] = JSON_TYPE;
    }
    if (text !== undefined) headers['content-length'] = Buffer.byteLength(text);
    for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = v;
    ex.res.writeHead(status, headers);
    ex.res.end(text);
  }

  private large(ex: Exchange, incoming: Incoming, bytes: number): void {
    const { body, shape } = this.normalBody(ex, incoming);
    const size = Buffer.byteLength(JSON.stringify(shape(body)));
    if (size < bytes && body.choices.length > 0) {
      const pad = ' lorem';
      body.choices[0].text += pad.repeat(Math.ceil((bytes - size) / pad.length));
    }
    this.responder.json(ex, 200, shape(body));
  }
}
