/**
 * Tokens before sending, and the cache:
 * - counting with OpenAI's encoding (cl100k_base, gpt-tokenizer) as the node does it,
 *   per KB of English-like prompt, at a few prompt sizes, nothing cached;
 * - the context guard per message with a warm cache, against the demo server in its
 *   llama.cpp dialect (a connection of kind llamacpp counts with POST /tokenize and reads
 *   n_ctx from GET /v1/models): the guard's own step timed alone, and whole messages
 *   through Node-RED with the guard on and off;
 * - a cache hit (connection `cache` on, temperature 0) against the same request sent.
 */
import { performance } from 'node:perf_hooks';
import { Connection } from '../../nodes/lib/connection/connection';
import { openaiTokenIds } from '../../nodes/lib/tokens/openai-encoding';
import { BENCH_API_KEY, REQUEST, okBody } from '../common';
import { closedLoop, type LoopOptions, type LoopResult } from '../loop';
import { apiConfig, completionNode, startRed } from '../red-runtime';
import { outputSinks } from './flows';
import { collect, median } from '../stats';

export interface TokensOptions {
  demoUrl: string;
  llamaUrl: string;
  loop: LoopOptions;
  rounds: number;
  guardIterations: number;
}

export interface TokensResult {
  encodingLoadMs: number;
  counting: Array<{ kb: number; tokens: number; usPerKb: number; msTotal: number }>;
  guard: Array<{ promptChars: number; usPerMessage: number }>;
  rows: Record<string, LoopResult[]>;
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there ' +
  'model server prompt token request answer stream context length budget cache flow message node runtime editor completion llama vllm ' +
  'temperature sampling probability language network memory process thread socket header payload benchmark measure result'
).split(' ');

/** English-like text of `chars` characters: words, commas, full stops and line ends, from a fixed sequence. */
export function englishText(chars: number, seed = 1): string {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  const parts: string[] = [];
  let length = 0;
  let sentence = 0;
  while (length < chars) {
    let word = WORDS[next() % WORDS.length];
    if (sentence === 0) word = word[0].toUpperCase() + word.slice(1);
    sentence++;
    const r = next() % 100;
    const end = sentence > 6 && r < 15 ? (r < 2 ? '.\n' : '. ') : r < 20 ? ', ' : ' ';
    if (end !== ' ' && end !== ', ') sentence = 0;
    parts.push(word + end);
    length += word.length + end.length;
  }
  return parts.join('').slice(0, chars);
}

async function countingCost(): Promise<{ loadMs: number; rows: TokensResult['counting'] }> {
  const t0 = performance.now();
  await openaiTokenIds('load the encoding');
  const loadMs = performance.now() - t0;
  const rows: TokensResult['counting'] = [];
  for (const kb of [1, 10, 100, 1000]) {
    const times: number[] = [];
    let tokens = 0;
    const reps = kb >= 1000 ? 3 : kb >= 100 ? 5 : kb >= 10 ? 20 : 100;
    for (let r = 0; r < reps + 1; r++) {
      // A different text each time: nothing the encoder could have kept.
      const text = englishText(kb * 1024, 7 + r);
      const s = performance.now();
      tokens = (await openaiTokenIds(text)).length;
      if (r > 0) times.push(performance.now() - s);
    }
    const ms = median(times);
    rows.push({ kb, tokens, usPerKb: (ms * 1000) / kb, msTotal: ms });
  }
  return { loadMs, rows };
}

/** The guard's own step (count the prompt, look up the context length, compare), warm, timed alone. */
async function guardCost(llamaUrl: string, iterations: number): Promise<TokensResult['guard']> {
  const connection = Connection.fromConfig({ serverKind: 'llamacpp', baseUrl: llamaUrl, maxRetries: '0' } as never, {});
  const check = (connection as unknown as { checkContext(r: object, s: AbortSignal): Promise<number[] | undefined> }).checkContext.bind(connection);
  const signal = new AbortController().signal;
  const out: TokensResult['guard'] = [];
  try {
    for (const prompt of [REQUEST.prompt, englishText(1024, 3), englishText(8 * 1024, 5)]) {
      const request = { model: 'demo', prompt, max_tokens: 8 };
      const counts = await check(request, signal); // fills the caches: /tokenize and /v1/models once
      if (!counts) throw new Error('the guard did not count the prompt: is the llama.cpp demo server up?');
      for (let i = 0; i < 200; i++) await check(request, signal);
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) await check({ ...request }, signal);
      out.push({ promptChars: prompt.length, usPerMessage: ((performance.now() - t0) * 1000) / iterations });
    }
  } finally {
    connection.close();
  }
  return out;
}

export async function tokens(options: TokensOptions): Promise<TokensResult> {
  const counting = await countingCost();
  const guard = await guardCost(options.llamaUrl, options.guardIterations);

  const z = 'bench';
  const flow = [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api-guard', options.llamaUrl, { serverKind: 'llamacpp' }),
    apiConfig('api-noguard', options.llamaUrl, { serverKind: 'llamacpp', contextGuard: 'false' }),
    apiConfig('api-cache', options.demoUrl, { cache: 'true' }),
    apiConfig('api-sent', options.demoUrl),
    completionNode('guard-on', 'api-guard', z, [['out'], ['pass']]),
    completionNode('guard-off', 'api-noguard', z, [['out'], ['pass']]),
    completionNode('cache-hit', 'api-cache', z, [['out'], ['pass']]),
    completionNode('sent', 'api-sent', z, [['out'], ['pass']]),
    ...outputSinks(z, 'out'),
  ];
  const key = { apiKey: BENCH_API_KEY };
  const red = await startRed(flow, { 'api-guard': key, 'api-noguard': key, 'api-cache': key, 'api-sent': key });
  const pending = new Map<string, { finish: (ok: boolean) => void; left: number; ok: boolean }>();
  red.hub.onSink = (sink, msg) => {
    const entry = pending.get(msg._msgid);
    if (!entry) return;
    if (sink === 'out') entry.ok &&= msg.statusCode === 200 || msg.cached === true ? okBody(msg.payload?.body) : false;
    if (sink === 'errors') entry.ok = false;
    if (sink === 'errors' || --entry.left === 0) {
      pending.delete(msg._msgid);
      entry.finish(entry.ok);
    }
  };
  const rows: Record<string, LoopResult[]> = {};
  const request = { ...REQUEST, temperature: 0 };
  try {
    const names = ['guard-on', 'guard-off', 'cache-hit', 'sent'];
    for (let round = 0; round < options.rounds; round++) {
      for (const name of names.map((_, i) => names[(i + round) % names.length])) {
        const node = red.getNode(name) as { receive(m: object): void };
        let seq = 0;
        await collect();
        const result = await closedLoop(options.loop, (finish) => {
          const id = `${name}-${(seq++).toString(36)}`;
          pending.set(id, { finish, left: 2, ok: true });
          node.receive({ _msgid: id, payload: { ...request } });
        });
        (rows[name] ??= []).push(result);
        process.stdout.write(`round ${round + 1}/${options.rounds} ${name}: ${Math.round(result.rps)} msg/s, ${result.cpuUsPerMsg.toFixed(0)} µs CPU/msg, ${result.errors} errors\n`);
      }
    }
  } finally {
    await red.stop();
  }
  return { encodingLoadMs: counting.loadMs, counting: counting.rows, guard, rows };
}
