/**
 * The example flows of examples/ (Import → Examples in the editor), written from here so
 * that they share one connection and one layout:
 *
 *   node dist/scripts/example-flows.js      (after the build) rewrites examples/*.json
 *
 * test/node/examples.test.ts checks that the files are what this writes, and runs each
 * one against the demo server.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DEMO_BASE_URL, REAL_SERVER_HELP, catchNode, change, comment, completion, connectionNode, debug, fn, inject, join, layOut, switchNode,
  template, type FlowNode, type Placed,
} from './flow-nodes';

/** The connection every example carries: the same id and address in each. */
export const EXAMPLE_CONNECTION = connectionNode({ kind: 'other', baseUrl: DEMO_BASE_URL });

const info = (...lines: string[]) => [...lines, '', REAL_SERVER_HELP].join('\n');

function flow(placed: Placed[]): FlowNode[] {
  return [...layOut({ as: 'imported' }, placed), EXAMPLE_CONNECTION];
}

function rawCompletion(): FlowNode[] {
  return flow([
    {
      node: comment('ex1-comment', 'Raw completion: a prompt in, the server\'s answer out', info(
        'A **string payload is the prompt**. An inject\'s timestamp (or any number) only runs the node\'s own request: the prompt and parameters of its dialog.',
        '',
        '- **raw** format (the default): `msg.payload = { body, status }`, the server\'s answer as it came, with `msg.statusCode` and `msg.headers` as the core *http request* node sets them. A 4xx or 5xx answer is a result too: look at `msg.statusCode`.',
        '- **text** format: `msg.payload` is the text of the completion, `msg.completion` the whole answer.',
        '- Output 2, the passthrough, sends on the input message once the request has finished.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex1-inject-prompt', 'prompt string', 'Once upon a time', ['ex1-raw']), col: 0, row: 1 },
    { node: completion('ex1-raw', 'format: raw', { max_tokens: '32', temperature: '0.7' }, [['ex1-debug-raw'], ['ex1-debug-pass']]), col: 1, row: 1 },
    { node: debug('ex1-debug-raw', 'body and status'), col: 2, row: 0.75 },
    { node: debug('ex1-debug-pass', 'passthrough: the input'), col: 2, row: 1.5 },
    { node: inject('ex1-inject-trigger', 'timestamp', undefined, ['ex1-text']), col: 0, row: 2.5 },
    { node: completion('ex1-text', 'its own prompt, as text', { resultFormat: 'text', prompt: 'The three primary colours are', max_tokens: '16', temperature: '0' }, [['ex1-debug-text'], []]), col: 1, row: 2.5 },
    { node: debug('ex1-debug-text', 'text'), col: 2, row: 2.5 },
  ]);
}

const FILL_IN = [
  '// A request as an object literal: each property is a request parameter',
  '// and overrides the field of the same name in the node\'s dialog.',
  'msg.payload = {',
  '    prompt: "def is_even(n):\\n    ",',
  '    suffix: "\\n\\nprint(is_even(4))",',
  '    max_tokens: 48,',
  '    temperature: 0,',
  '    stop: ["\\ndef ", "\\nclass "]',
  '};',
  'return msg;',
].join('\n');

function stopAndSuffix(): FlowNode[] {
  return flow([
    {
      node: comment('ex2-comment', 'Stop sequences, and filling in the middle with a suffix', info(
        '**Stop sequences** end the completion before any of them would be written. Here a template node builds a question-and-answer prompt and the node stops at the end of the line, so the answer is one line. OpenAI takes at most 4 stop sequences; llama.cpp, vLLM and Ollama take more.',
        '',
        '**Filling in the middle**: with a `suffix`, the model writes what goes between the prompt and the suffix. The request is an object literal built in a function node: each of its properties is a request parameter and overrides the node\'s own field.',
        '',
        'Which servers fill in: Ollama with a model that can (a code model such as `qwen2.5-coder`), SGLang with a fill-in-the-middle template. vLLM and TGI refuse `suffix`, llama.cpp ignores it on this endpoint (its own `/infill` endpoint fills in): once the connection\'s kind is set, the node says so before sending.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex2-inject-question', 'a question', 'What is the capital of France?', ['ex2-template']), col: 0, row: 1 },
    { node: template('ex2-template', 'Q/A prompt', 'Q: {{{payload}}}\nA:', 'str', ['ex2-stop']), col: 1, row: 1 },
    { node: completion('ex2-stop', 'stop at the end of the line', { resultFormat: 'text', stop: ['\n', 'Q:'], max_tokens: '32', temperature: '0' }, [['ex2-debug-answer'], []]), col: 2, row: 1 },
    { node: debug('ex2-debug-answer', 'the answer'), col: 3, row: 1 },
    { node: inject('ex2-inject-fill', 'fill in', undefined, ['ex2-function']), col: 0, row: 2 },
    { node: fn('ex2-function', 'a request with a suffix', FILL_IN, ['ex2-fill']), col: 1, row: 2 },
    { node: completion('ex2-fill', 'fill in the middle', { resultFormat: 'text' }, [['ex2-debug-middle'], []]), col: 2, row: 2 },
    { node: debug('ex2-debug-middle', 'the middle part'), col: 3, row: 2 },
  ]);
}

const PROBABILITIES = [
  '// The alternatives the server weighed for the first token it wrote,',
  '// as probabilities (a log probability p is the probability e^p).',
  'const logprobs = msg.completion.choices[0].logprobs;',
  'const first = (logprobs && logprobs.top_logprobs && logprobs.top_logprobs[0]) || {};',
  'msg.payload = Object.entries(first)',
  '    .map(([token, logprob]) => ({ token, probability: Math.round(Math.exp(logprob) * 1000) / 1000 }))',
  '    .sort((a, b) => b.probability - a.probability);',
  'return msg;',
].join('\n');

function scoring(): FlowNode[] {
  return flow([
    {
      node: comment('ex3-comment', 'Scoring: the probabilities of the next token (logprobs)', info(
        'With `logprobs: 5` the server returns, for each token it writes, the 5 tokens it found most likely, with their log probabilities. One token at temperature 0 makes the model a classifier: a change node builds the prompt from the review (a JSONata expression), the function node turns the alternatives for the first token into probabilities.',
        '',
        'Servers: llama.cpp (in a shape of its own, which the node converts to the usual one), vLLM (up to its `--max-logprobs`, 20 by default), SGLang, OpenAI (at most 5). Ollama and TGI return no logprobs on this endpoint: once the connection\'s kind is set, the node says so before sending.',
        '',
        'The demo server\'s tokens are words from its fixed list, not " positive" or " negative".',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex3-inject-review', 'review', 'The battery died after two days.', ['ex3-prompt']), col: 0, row: 1 },
    {
      node: change('ex3-prompt', 'classification prompt', [
        { t: 'set', p: 'payload', to: '"Review: " & payload & "\\nSentiment (positive or negative):"', tot: 'jsonata' },
      ], ['ex3-logprobs']),
      col: 1, row: 1,
    },
    { node: completion('ex3-logprobs', 'one token, 5 alternatives', { resultFormat: 'text', max_tokens: '1', logprobs: '5', temperature: '0' }, [['ex3-probabilities'], []]), col: 2, row: 1 },
    { node: fn('ex3-probabilities', 'probabilities', PROBABILITIES, ['ex3-debug']), col: 3, row: 1 },
    { node: debug('ex3-debug', 'next token odds'), col: 4, row: 1 },
  ]);
}

function batch(): FlowNode[] {
  return flow([
    {
      node: comment('ex4-comment', 'Batch: several prompts in one request, one message per choice', info(
        'A **prompt array** asks for a completion of each prompt, in one request. The *choices* format sends one message per choice (`msg.payload` is the choice with its `text` and `index`, `msg.parts` its place), and a join node in automatic mode puts them back into an array, in order.',
        '',
        'The first inject sends a list of product names; a change node (a JSONata expression) turns it into a request object: one prompt per name, and a token limit.',
        '',
        'The second sends its prompts as **token ids**: the numbers the model\'s tokenizer turns text into. They differ from model to model: ask your server (llama.cpp and vLLM have `POST /tokenize`).',
        '',
        'llama.cpp, vLLM and SGLang take several prompts and token ids. Ollama takes one string prompt; TGI and LocalAI take strings only.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex4-inject-names', 'products', ['lemonade', 'umbrella', 'bicycle bell'], ['ex4-request']), col: 0, row: 1 },
    {
      node: change('ex4-request', 'a prompt per product', [
        { t: 'set', p: 'payload', to: '{ "prompt": payload.("A one-line slogan for " & $ & ":"), "max_tokens": 16 }', tot: 'jsonata' },
      ], ['ex4-batch']),
      col: 1, row: 1,
    },
    { node: inject('ex4-inject-tokens', 'token ids', { prompt: [[15496, 11, 616], [40, 588, 257]], max_tokens: 8 }, ['ex4-batch']), col: 0, row: 2 },
    { node: completion('ex4-batch', 'one message per choice', { resultFormat: 'choices' }, [['ex4-debug-choice', 'ex4-join'], []]), col: 2, row: 1.5 },
    { node: debug('ex4-debug-choice', 'each choice'), col: 3, row: 1 },
    { node: join('ex4-join', 'all the choices', ['ex4-debug-all']), col: 3, row: 2 },
    { node: debug('ex4-debug-all', 'array of choices'), col: 4, row: 2 },
  ]);
}

function streaming(): FlowNode[] {
  return flow([
    {
      node: comment('ex5-comment', 'Streaming: each piece as it arrives, then the assembled response', info(
        'With **stream** on, each event the server sends becomes a message the moment it arrives: in *text* format its `msg.payload` is the new piece of text, and `msg.parts` numbers the pieces.',
        '',
        'After the last event comes one more message, the **assembled response**: `msg.complete` is `true`, `msg.payload` the whole text, `msg.completion` the whole answer in the shape of a non-streamed one (`finish_reason`, and `usage` when *Include usage* is on). The switch sends it to a debug node of its own, which shows the complete message, and the pieces to another.',
        '',
        'A join node in automatic mode gives the whole text too. Last, output 2 sends on the input message.',
        '',
        'A stream that breaks off fails the message after the pieces already sent (a catch node gets it), and the join drops what it had gathered.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex5-inject', 'stream: a tale', 'Tell me a short story about a lighthouse.', ['ex5-stream']), col: 0, row: 1.5 },
    {
      node: completion('ex5-stream', 'streaming text', { resultFormat: 'text', stream: 'true', include_usage: 'true', max_tokens: '64' }, [['ex5-final', 'ex5-join'], ['ex5-debug-pass']]),
      col: 1, row: 1.5,
    },
    { node: switchNode('ex5-final', 'msg.complete?', 'complete', [{ t: 'true' }, { t: 'else' }], [['ex5-debug-assembled'], ['ex5-debug-delta']]), col: 2, row: 1 },
    { node: debug('ex5-debug-assembled', 'assembled response (complete msg)', 'true'), col: 3, row: 0.75 },
    { node: debug('ex5-debug-delta', 'each piece'), col: 3, row: 1.4 },
    { node: join('ex5-join', 'join the pieces', ['ex5-debug-joined']), col: 2, row: 2.1 },
    { node: debug('ex5-debug-joined', 'the joined text'), col: 3, row: 2.1 },
    { node: debug('ex5-debug-pass', 'after the stream: the input'), col: 2, row: 2.8 },
  ]);
}

function chaining(): FlowNode[] {
  return flow([
    {
      node: comment('ex6-comment', 'Chaining: one request after another, and an answer into the next prompt', info(
        '**Through the passthrough** (top): output 2 sends on the message that came in once the request has finished, so the next node starts only after this one. Whatever `msg.payload` holds reaches the next node too, and there each parameter it carries overrides that node\'s own field, as in the first node.',
        '',
        'The inject sends `{"max_tokens": 24, "temperature": 0}`: both nodes use them. It sends no `prompt`, so each node answers the prompt of its own dialog. Had it sent one (or a string, which is the prompt), both nodes would have answered that same prompt.',
        '',
        '**An answer into the next prompt** (bottom): output 1 carries the result, and a change node builds the next request from it (a JSONata expression, which keeps quotes and new lines of the answer intact).',
        '',
        'So put in a payload only what every node down the chain shares. To give a later node a prompt of its own, keep `prompt` out of the payload, or set or delete `msg.payload.prompt` with a change node between the nodes.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex6-inject-shared', 'shared parameters', { max_tokens: 24, temperature: 0 }, ['ex6-outline']), col: 0, row: 1 },
    { node: completion('ex6-outline', 'first: an outline', { resultFormat: 'text', prompt: 'Write a three-point outline for a talk about bees.' }, [['ex6-debug-outline'], ['ex6-title']]), col: 1, row: 1 },
    { node: debug('ex6-debug-outline', 'talk outline'), col: 2, row: 1 },
    { node: completion('ex6-title', 'then: a title', { resultFormat: 'text', prompt: 'Write a title for a talk about bees.' }, [['ex6-debug-title'], []]), col: 2, row: 1.75 },
    { node: debug('ex6-debug-title', 'title'), col: 3, row: 1.75 },
    { node: inject('ex6-inject-fact', 'a fact', 'Tell me one surprising fact about bees.', ['ex6-fact']), col: 0, row: 3 },
    { node: completion('ex6-fact', 'one fact', { resultFormat: 'text', max_tokens: '40' }, [['ex6-next', 'ex6-debug-fact'], []]), col: 1, row: 3 },
    { node: debug('ex6-debug-fact', 'fact'), col: 2, row: 2.75 },
    {
      node: change('ex6-next', 'next prompt from the answer', [
        { t: 'set', p: 'payload', to: '{ "prompt": "Write a headline for this fact:\\n" & payload & "\\nHeadline:", "max_tokens": 16, "stop": ["\\n"] }', tot: 'jsonata' },
      ], ['ex6-headline']),
      col: 2, row: 3.5,
    },
    { node: completion('ex6-headline', 'headline', { resultFormat: 'text' }, [['ex6-debug-headline'], []]), col: 3, row: 3.5 },
    { node: debug('ex6-debug-headline', 'headline'), col: 4, row: 3.5 },
  ]);
}

function errors(): FlowNode[] {
  return flow([
    {
      node: comment('ex7-comment', 'Errors: a catch node gets every failure, with msg.error.code', info(
        'Every message ends in a result or in one error a catch node can get.',
        '',
        '- **invalid parameters**: checked before anything is sent. `INVALID_REQUEST` names every bad field, and `msg.error.cause.fields` lists them.',
        '- **unknown model**: the server answers 404. In *text* and *choices* format that fails the message; `msg.error` holds the server\'s own message and `msg.error.cause.status` the HTTP status.',
        '- In *raw* format (the lower node, which gets the same requests) every HTTP answer is a result, 4xx and 5xx included: the switch reads `msg.statusCode`.',
        '',
        'Other codes: `NETWORK_ERROR` (the server is not running, or cannot be reached), `TIMEOUT`, `STREAM_ERROR`, `BAD_RESPONSE`, `RESPONSE_TOO_LARGE`, `QUEUE_FULL`, `ABORTED` (the flow stopped) and `NO_CONNECTION`.',
      )),
      col: 0, row: 0, free: true,
    },
    { node: inject('ex7-inject-valid', 'valid request', { prompt: 'Say hello.', max_tokens: 8 }, ['ex7-text', 'ex7-raw']), col: 0, row: 1 },
    { node: inject('ex7-inject-invalid', 'invalid parameters', { prompt: 'x', temperature: 3, n: 0, max_tokens: -1 }, ['ex7-text']), col: 0, row: 1.75 },
    { node: inject('ex7-inject-model', 'unknown model', { prompt: 'x', model: 'no-such-model' }, ['ex7-text', 'ex7-raw']), col: 0, row: 2.5 },
    { node: completion('ex7-text', 'format: text', { resultFormat: 'text' }, [['ex7-debug-result'], []]), col: 1, row: 1.5 },
    { node: debug('ex7-debug-result', 'result'), col: 2, row: 1.5 },
    { node: completion('ex7-raw', 'format: raw', {}, [['ex7-status'], []]), col: 1, row: 3 },
    {
      node: switchNode('ex7-status', 'status code?', 'statusCode', [{ t: 'btwn', v: '200', vt: 'num', v2: '299', v2t: 'num' }, { t: 'else' }], [['ex7-debug-ok'], ['ex7-debug-http']]),
      col: 2, row: 3,
    },
    { node: debug('ex7-debug-ok', '2xx: the answer'), col: 3, row: 2.75 },
    { node: debug('ex7-debug-http', 'not 2xx: the server\'s error'), col: 3, row: 3.4 },
    { node: catchNode('ex7-catch', 'errors (text format)', ['ex7-text'], ['ex7-by-code']), col: 0, row: 4.25 },
    { node: switchNode('ex7-by-code', 'msg.error.code', 'error.code', [{ t: 'eq', v: 'INVALID_REQUEST', vt: 'str' }, { t: 'else' }], [['ex7-debug-invalid'], ['ex7-debug-server']]), col: 1, row: 4.25 },
    { node: debug('ex7-debug-invalid', 'invalid: fix the flow', 'error'), col: 2, row: 4 },
    { node: debug('ex7-debug-server', 'the server or the network', 'error'), col: 2, row: 4.65 },
  ]);
}

/** The examples by file name: Node-RED lists them in this order under Import → Examples. */
export function exampleFlows(): Record<string, FlowNode[]> {
  return {
    '01 Raw completion.json': rawCompletion(),
    '02 Stop sequences and fill in the middle.json': stopAndSuffix(),
    '03 Scoring with logprobs.json': scoring(),
    '04 Batch prompts.json': batch(),
    '05 Streaming into a join.json': streaming(),
    '06 Chaining.json': chaining(),
    '07 Errors and a catch node.json': errors(),
  };
}

/** A file's text as written: two-space JSON, as Node-RED's export writes it "formatted". */
export function exampleText(nodes: FlowNode[]): string {
  return `${JSON.stringify(nodes, null, 2)}\n`;
}

if (require.main === module) {
  const dir = path.resolve(__dirname, '..', '..', 'examples');
  const flows = exampleFlows();
  for (const file of fs.readdirSync(dir)) if (file.endsWith('.json') && !(file in flows)) fs.rmSync(path.join(dir, file));
  for (const [file, nodes] of Object.entries(flows)) fs.writeFileSync(path.join(dir, file), exampleText(nodes));
  console.log(`wrote ${Object.keys(flows).length} examples to ${dir}`);
}
