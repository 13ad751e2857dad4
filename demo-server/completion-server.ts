// A local, deterministic, OpenAI-compatible "Create Completion" server for tests, benchmarks
// and the `npm start` demo. A stand-in for the real service, not a language model: see
// generate.ts for how text is produced, dialects.ts for the servers it can pass for.
//
// node:http only, no framework. Built to be cheap per request (no logging, no per-request
// heavy work) and keep-alive friendly, with a script of faults that tests can queue.
// This file wires the parts together; each part lives in server/ or dialects/.

import type * as http from 'node:http';
import { createDialect, isDialect, DIALECTS, type Dialect } from './dialects';
import { DEFAULT_MODEL, MODELS } from './models';
import { apiError, SERVER_ERROR_MESSAGE } from './dialects/openai-errors';
import { CompletionsRoute } from './server/completions';
import { Listener } from './server/listener';
import { answerOther } from './server/other-routes';
import { MAX_BODY_BYTES, readBody } from './server/request-body';
import { Responder, type Exchange } from './server/responder';
import type { ScriptedAnswer } from './server/scripted-answers';
import { StreamWriter } from './server/stream-writer';
import { Sleeper } from './server/timers';
import type { CompletionServer, RecordedRequest, ServerOptions } from './server/types';

export type { CompletionServer, RecordedRequest, ServerOptions, ScriptedAnswer };
export { MODELS, DEFAULT_MODEL };
export { errorForStatus } from './dialects/openai-errors';
export { validateCompletionRequest } from './dialects/openai-validation';
export { maskKey } from './dialects/openai';

export async function startCompletionServer(options: ServerOptions = {}): Promise<CompletionServer> {
  const host = options.host ?? '127.0.0.1';
  const record = options.record !== false;
  const dialect: Dialect = options.dialect ?? 'openai';
  if (!isDialect(dialect)) throw new Error(`Unknown dialect ${JSON.stringify(dialect)}: expected one of ${DIALECTS.join(', ')}`);
  const rules = createDialect(dialect, {
    models: MODELS,
    contextLength: options.contextLength === undefined ? undefined : Math.max(1, Math.floor(options.contextLength)),
    slots: Math.max(1, Math.floor(options.slots ?? 4)),
    maxLogprobs: options.maxLogprobs ?? 20,
    now: options.now ?? (() => new Date()),
  });

  const requests: RecordedRequest[] = [];
  const queue: ScriptedAnswer[] = [];
  const sleeper = new Sleeper();
  let counter = 0;
  const loadingUntil = Date.now() + Math.max(0, options.loadingMs ?? 0);
  // Answer ids differ between server runs, as a real server's do.
  const idPrefix = `cmpl-demo${Date.now().toString(36)}`;

  const listener = new Listener((req, res) => onRequest(req, res));
  const responder = new Responder(rules, () => listener.closed);
  const writer = new StreamWriter(rules, responder, sleeper, Math.max(0, options.tokenDelayMs ?? 0));
  const completions = new CompletionsRoute(rules, responder, writer, sleeper, idPrefix);

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const start = Date.now();
    const number = ++counter;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const route = rules.route(method, pathname, q < 0 ? '' : url.slice(q + 1));
    // Taken now, in arrival order, even if the body takes a while.
    const scripted = route.kind === 'completions' ? queue.shift() : undefined;
    const ex: Exchange = { req, res, number, start, route };
    readBody(req, (incoming) => {
      if (record) requests.push({ method, path: url, pathname, headers: req.headers, body: incoming.body, at: start });
      if (incoming.tooLarge) return responder.error(ex, apiError(413, `Request body too large: at most ${MAX_BODY_BYTES} bytes.`));
      const refused = rules.refuseRoute(route) ?? rules.auth(req.headers, options.requireApiKey, route);
      if (refused) return responder.reply(ex, refused);
      if (Date.now() < loadingUntil) {
        const loading = rules.loading(route, Math.max(1, Math.ceil((loadingUntil - Date.now()) / 1000)));
        if (loading) return responder.reply(ex, loading);
      }
      if (route.kind !== 'completions') return answerOther(rules, responder, ex, incoming, method, pathname);
      completions.answer(ex, incoming, scripted).catch(() => {
        if (!res.headersSent && !responder.gone(res)) responder.error(ex, apiError(500, SERVER_ERROR_MESSAGE, null, null, 'server_error'));
        else res.destroy();
      });
    });
  }

  const port = await listener.listen(options.port ?? 0, host);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}${rules.basePath}`,
    port,
    get dialect(): Dialect {
      return dialect;
    },
    requests,
    script(...answers: ScriptedAnswer[]): void {
      queue.push(...answers);
    },
    reset(): void {
      requests.length = 0;
      queue.length = 0;
    },
    close(): Promise<void> {
      queue.length = 0;
      const closing = listener.close();
      sleeper.stop();
      return closing;
    },
  };
}

// Re-exported for tests and tools.
export { completionFor, streamChunkIterator, planFor } from './generate';
export type { CompletionBody, CompletionChunk } from './generate';
export { DIALECTS, type Dialect } from './dialects';
