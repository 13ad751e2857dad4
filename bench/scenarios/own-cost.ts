/**
 * The node's own work per message, without network or runtime: the plain functions
 * from nodes/lib that create-completion calls for one non-streamed request, in a
 * tight loop, on a real response body and headers from the demo server.
 */
import { performance } from 'node:perf_hooks';
import { util as redUtil } from '@node-red/util';
import { mergeRequest } from '../../nodes/lib/build-request';
import { validateRequest } from '../../nodes/lib/validate';
import { prepareRequest } from '../../nodes/lib/prepare-request';
import { serializeRequest } from '../../nodes/lib/serialize-request';
import { serverKind } from '../../nodes/lib/server-kinds';
import { editorDefaults } from '../../nodes/lib/request-defaults';
import { resultMessages, type Message, type MessageSource } from '../../nodes/lib/result-messages';
import { scrubValue } from '../../nodes/lib/scrub';
import type { CompletionResponse } from '../../nodes/lib/call-completion';
import { BENCH_API_KEY, REQUEST } from '../common';


export interface OwnCostResult {
  iterations: number;
  /** prepareRequest (merge, validate, server-kind gaps, JSON with a finite-number check) + the key check on the raw body + JSON.parse + resultMessages: what the node does per request. */
  coreUs: number;
  /** The same when the server echoed the API key, so the parsed body is scrubbed too (rare). */
  withScrubUs: number;
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
  const defaults = editorDefaults({ model: '', prompt: '', stream: '', echo: '', include_usage: '', stop: [], logit_bias: [], extra: '' } as never);
  const secrets = [BENCH_API_KEY];
  const inputMsg = (i: number) => ({ _msgid: `m${i}`, topic: 'bench', payload: { ...REQUEST } });
  const source = (msg: Record<string, unknown>): MessageSource => ({
    sequenceId: generateId(),
    copy: () => {
      const { payload: _payload, ...rest } = msg;
      return cloneMessage(rest) as Message;
    },
  });

  const kind = serverKind('openai');
  const raw = Buffer.from(bodyText);
  const core = (i: number, echoed: boolean): unknown => {
    const msg = inputMsg(i);
    const prepared = prepareRequest(defaults, undefined, msg.payload, kind);
    if (!prepared.ok) throw new Error(`bench request invalid: ${JSON.stringify(prepared.problems)}`);
    const mentions = secrets.some((secret) => raw.includes(secret));
    const parsed: unknown = JSON.parse(bodyText);
    const body = echoed || mentions ? scrubValue(parsed, secrets) : parsed;
    const response: CompletionResponse = { status, headers, body, events: 0, attempts: 1 };
    const out = resultMessages('raw', response, source(msg));
    return prepared.body.length + out.length;
  };

  const coreUs = timeLoop(iterations, (i) => core(i, false));
  const withScrubUs = timeLoop(iterations, (i) => core(i, true));

  // Where those microseconds go, step by step (each step alone, same inputs).
  const part = Math.max(1000, Math.floor(iterations / 2));
  const sampleMsg = inputMsg(0);
  const merged = mergeRequest({ ...defaults.params }, sampleMsg.payload).request;
  const parsedBody: unknown = JSON.parse(bodyText);
  const response: CompletionResponse = { status, headers, body: parsedBody, events: 0, attempts: 1 };
  const sampleResult = resultMessages('raw', response, source(sampleMsg))[0];
  const breakdownUs: Record<string, number> = {
    'mergeRequest': timeLoop(part, (i) => mergeRequest({ ...defaults.params }, inputMsg(i).payload)),
    'validateRequest': timeLoop(part, () => validateRequest(merged)),
    'serializeRequest (JSON, finite numbers only)': timeLoop(part, () => serializeRequest(merged)),
    'API key check on the raw body': timeLoop(part, () => secrets.some((secret) => raw.includes(secret))),
    'JSON.parse(body)': timeLoop(part, () => JSON.parse(bodyText)),
    'resultMessages (cloneMessage + headers copy)': timeLoop(part, (i) => resultMessages('raw', response, source(inputMsg(i)))),
    'scrubValue(body), only when a server echoed the key': timeLoop(part, () => scrubValue(sampleResult, secrets)),
  };
  return { iterations, coreUs, withScrubUs, breakdownUs, bodyBytes: Buffer.byteLength(bodyText) };
}
