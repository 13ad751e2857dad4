/**
 * The node's own work per message, without network or runtime: the plain functions
 * from nodes/lib that create-completion calls for one non-streamed request, in a
 * tight loop, on a real response body and headers from the demo server.
 */
import { performance } from 'node:perf_hooks';
import { util as redUtil } from '@node-red/util';
import { buildRequest } from '../../nodes/lib/request/build-request';
import { validateRequest } from '../../nodes/lib/request/validate';
import { serverKind } from '../../nodes/lib/servers/server-kinds';
import { dialogDefaults } from '../../nodes/lib/request/dialog-defaults';
import { normalizeChoicesLogprobs } from '../../nodes/lib/stream/logprobs';
import { resultMessages, type Message, type MessageSource } from '../../nodes/lib/results/result-messages';
import { scrubValue } from '../../nodes/lib/errors/scrub';
import { messageSource } from '../../nodes/lib/flow/message-copies';
import type { CompletionResponse } from '../../nodes/lib/http/attempt';
import { accountingOf } from '../../nodes/lib/accounting/accounting';
import { rateLimitOf } from '../../nodes/lib/accounting/rate-limit';
import { annotate } from '../../nodes/lib/results/annotate';
import { BENCH_API_KEY, REQUEST } from '../common';


export interface OwnCostResult {
  iterations: number;
  /** buildRequest (merge, validate, server-kind gaps, JSON with a finite-number check) + JSON.parse + the key scrub of the parsed body + logprobs shape + accounting + resultMessages + annotate: what the node does per request. */
  coreUs: number;
  breakdownUs: Record<string, number>;
  bodyBytes: number;
}

const cloneMessage = (redUtil as unknown as { cloneMessage<T>(m: T): T }).cloneMessage;
const generateId = (redUtil as unknown as { generateId(): string }).generateId;

function timeLoop(iterations: number, body: (i: number) => unknown): number {
  let sink = 0;
  // Warm the function up first so the JIT has compiled it.
  for (let i = 0; i < Math.min(5000, iterations); i++) if (body(i)) sink++;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) if (body(i)) sink++;
  const us = ((performance.now() - t0) * 1000) / iterations;
  if (sink < 0) console.log(sink);
  return us;
}

export async function ownCost(demoUrl: string, iterations: number): Promise<OwnCostResult> {
  const res = await fetch(`${demoUrl}/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` },
    body: JSON.stringify(REQUEST),
  });
  const bodyText = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => (headers[name] = value));
  const status = res.status;

  // A node as the dialog leaves it: every request field blank, the payload gives them.
  const defaults = dialogDefaults({ model: '', prompt: '', stream: '', echo: '', include_usage: '', stop: [], logit_bias: [], extra: '' } as never);
  const secrets = [BENCH_API_KEY];
  const inputMsg = (i: number) => ({ _msgid: `m${i}`, topic: 'bench', payload: { ...REQUEST } });
  // The node's own copies (flow/message-copies.ts): a message of strings and numbers is copied without a deep clone.
  const source = (msg: Record<string, unknown>): MessageSource => messageSource(msg as never, cloneMessage as never, generateId);

  const kind = serverKind('openai');
  const core = (i: number): unknown => {
    const msg = inputMsg(i);
    const built = buildRequest(defaults, {}, msg.payload, kind);
    if (!built.ok) throw new Error(`bench request invalid: ${JSON.stringify(built.problems)}`);
    const body = scrubValue(JSON.parse(bodyText) as unknown, secrets);
    normalizeChoicesLogprobs(body);
    const response: CompletionResponse = { status, headers, body, events: 0, attempts: 1, times: { sentAt: 0, headersAt: 0, endAt: 0 } };
    const accounting = accountingOf(response, { startedAt: 0, slotAt: 0, streamed: false });
    const out = annotate(resultMessages('raw', response, source(msg)), accounting, 'raw');
    return built.body.length + out.length;
  };

  const coreUs = timeLoop(iterations, (i) => core(i));

  // Where those microseconds go, step by step (each step alone, same inputs).
  const part = Math.max(1000, Math.floor(iterations / 2));
  const sampleMsg = inputMsg(0);
  const merged = { ...sampleMsg.payload, model: 'bench' };
  const parsedBody: unknown = JSON.parse(bodyText);
  const response: CompletionResponse = { status, headers, body: parsedBody, events: 0, attempts: 1, times: { sentAt: 0, headersAt: 0, endAt: 0 } };
  const breakdownUs: Record<string, number> = {
    'buildRequest (merge, validate, gaps, JSON)': timeLoop(part, (i) => buildRequest(defaults, {}, inputMsg(i).payload, kind)),
    '  of which validateRequest': timeLoop(part, () => validateRequest(merged)),
    'JSON.parse(body)': timeLoop(part, () => JSON.parse(bodyText)),
    'scrubValue(parsed body): the key looked for in every string': timeLoop(part, () => scrubValue(parsedBody, secrets)),
    'resultMessages (the message copy + headers copy)': timeLoop(part, (i) => resultMessages('raw', response, source(inputMsg(i)))),
    'accountingOf (usage, timing, rate limits, cost, truncation)': timeLoop(part, () => accountingOf(response, { startedAt: 0, slotAt: 0, streamed: false })),
    '  of which rateLimitOf (x-ratelimit-* headers)': timeLoop(part, () => rateLimitOf(headers)),
    'annotate (usage, timing, rateLimit, cost onto the result)': timeLoop(part, (i) => annotate([{ _msgid: String(i) }], accountingOf(response, { startedAt: 0, slotAt: 0, streamed: false }), 'raw')),
  };
  return { iterations, coreUs, breakdownUs, bodyBytes: Buffer.byteLength(bodyText) };
}
