/**
 * The flow `npm start` deploys into a fresh user directory: every way to use
 * create-completion, on one tab, through the one connection the examples share.
 */
import { PROFILES, type ServerKindId } from '../nodes/lib/servers/profiles';
import {
  CONNECTION_ID, catchNode, comment, completion, connectionNode, debug, inject, join, layOut, serverHelp, switchNode,
  type FlowNode,
} from './flow-nodes';

export const DEMO_TAB = 'demo-tab';
/** The name of the connection when it points at the demo server. */
export const DEMO_CONNECTION_NAME = 'demo server';

/** How parameters travel down a chain: the chain's comment says it where it happens. */
export const CHAIN_HELP = [
  'Output 2 (the passthrough) sends on the message that came in, unchanged, once the request has finished. So whatever `msg.payload` holds reaches the next node too, where each parameter it carries overrides that node\'s own field, as in the first node.',
  '',
  'Here the inject sends `{"max_tokens": 6}`: both nodes answer in at most 6 tokens. The payload has no `prompt`, so each node uses the prompt of its own dialog and the two answers differ. Had the inject sent a `prompt` (or a string, which is the prompt), both nodes would have answered that same prompt.',
  '',
  'Put in the payload only what every node of the chain shares. To give a later node another prompt, set it in that node\'s dialog and keep it out of the payload, or change `msg.payload.prompt` between the nodes with a change node. To build the next prompt from an answer, wire output 1 (the result) through a template or change node instead: see the example *06 Chaining*.',
].join('\n');

/**
 * The demo flow, talking to `baseUrl` with `model`. `connectionName` names the connection
 * ('' lets the editor label it with its kind and host).
 */
export function demoFlow(baseUrl: string, model: string, connectionName: string, kind: ServerKindId = 'other'): FlowNode[] {
  const c = (id: string, name: string, fields: Parameters<typeof completion>[2], wires: string[][]) => completion(id, name, { model, ...fields }, wires);
  const where = connectionName ? `${connectionName} at ${baseUrl}` : baseUrl;
  // Servers that return one choice whatever n says (Ollama, TGI) get a request for one.
  const twoChoices = ![...PROFILES[kind].ignores, ...PROFILES[kind].refuses].some((rule) => rule.param === 'n');
  return [
    { id: DEMO_TAB, type: 'tab', label: 'Create Completion demo', disabled: false, info: '' },
    connectionNode({ kind, baseUrl, name: connectionName }),
    ...layOut({ as: 'deployed', tab: DEMO_TAB }, [
      {
        node: comment('demo-comment', `Talking to ${where}. Click an inject's button; the results show in the debug sidebar.`, [
          `Each row sends one request through the connection *${connectionName || kind}* (${baseUrl}) with the model \`${model}\`.`,
          '',
          '- **prompt string**: a string payload is the prompt; the raw response is `{ body, status }`.',
          `- **with parameters**: a payload object sets request parameters over the node's own fields${twoChoices ? '; two choices as texts' : ''}.`,
          '- **stream**: one message per event as it arrives, then the assembled response (`msg.complete`), which a join turns into the whole text.',
          '- **chain**: two nodes one after the other, through the passthrough.',
          '- **invalid parameters**: refused before sending, every bad field named, caught by a catch node.',
          '',
          serverHelp(connectionName === DEMO_CONNECTION_NAME
            ? `The connection points at the demo server on ${baseUrl}, a deterministic stand-in, not a language model.`
            : `The connection points at ${baseUrl}.`),
          '',
          'Or start over with the demo flow pointed at your server: `COMPLETION_BASE_URL=http://localhost:8080/v1 npm start -- --reset` (with `COMPLETION_SERVER_KIND`, `COMPLETION_MODEL` and `COMPLETION_API_KEY` where the address does not say it all).',
        ].join('\n')),
        col: 0, row: 0, free: true,
      },

      { node: inject('demo-inject-basic', 'prompt string', 'Say this is a test', ['demo-basic']), col: 0, row: 1 },
      { node: c('demo-basic', 'format: raw', { max_tokens: '16' }, [['demo-debug-basic'], []]), col: 1, row: 1 },
      { node: debug('demo-debug-basic', 'body and status'), col: 2, row: 1 },

      { node: inject('demo-inject-params', 'with parameters', { prompt: 'Write a tagline for an ice cream shop.', ...(twoChoices ? { n: 2 } : {}), max_tokens: 12, temperature: 0.7 }, ['demo-text']), col: 0, row: 2 },
      { node: c('demo-text', twoChoices ? 'text, 2 choices' : 'format: text', { resultFormat: 'text' }, [['demo-debug-text'], []]), col: 1, row: 2 },
      { node: debug('demo-debug-text', twoChoices ? 'two texts' : 'text'), col: 2, row: 2 },

      { node: inject('demo-inject-stream', 'stream', 'Tell me a short story about a robot.', ['demo-stream']), col: 0, row: 3 },
      { node: c('demo-stream', 'streaming text', { resultFormat: 'text', stream: 'true', include_usage: 'true', max_tokens: '24' }, [['demo-stream-final', 'demo-join'], []]), col: 1, row: 3 },
      { node: switchNode('demo-stream-final', 'msg.complete?', 'complete', [{ t: 'true' }, { t: 'else' }], [['demo-debug-assembled'], ['demo-debug-delta']]), col: 2, row: 3 },
      { node: debug('demo-debug-delta', 'each piece'), col: 3, row: 3.5 },
      { node: debug('demo-debug-assembled', 'assembled response (complete msg)', 'true'), col: 3, row: 2.75 },
      { node: join('demo-join', 'join the pieces', ['demo-debug-joined']), col: 2, row: 4.25 },
      { node: debug('demo-debug-joined', 'the joined text'), col: 3, row: 4.25 },

      { node: comment('demo-chain-comment', 'Chain: the payload\'s parameters reach both nodes; each node keeps its own prompt', CHAIN_HELP), col: 0, row: 5.25, free: true },
      { node: inject('demo-inject-chain', 'chain', { max_tokens: 6 }, ['demo-chain-a']), col: 0, row: 6 },
      { node: c('demo-chain-a', 'first: a colour', { resultFormat: 'text', prompt: 'Name a colour.' }, [['demo-debug-chain-a'], ['demo-chain-b']]), col: 1, row: 6 },
      { node: debug('demo-debug-chain-a', 'first answer'), col: 2, row: 6 },
      { node: c('demo-chain-b', 'then: a fruit', { resultFormat: 'text', prompt: 'Name a fruit.' }, [['demo-debug-chain-b'], []]), col: 2, row: 6.75 },
      { node: debug('demo-debug-chain-b', 'second answer'), col: 3, row: 6.75 },

      { node: inject('demo-inject-invalid', 'invalid parameters', { prompt: 'x', temperature: 3, n: 0 }, ['demo-invalid']), col: 0, row: 8 },
      { node: c('demo-invalid', 'validated', {}, [[], []]), col: 1, row: 8 },
      { node: catchNode('demo-catch', 'errors', null, ['demo-debug-error']), col: 0, row: 9 },
      { node: debug('demo-debug-error', 'msg.error', 'error'), col: 1, row: 9 },
    ]),
  ];
}

export { CONNECTION_ID };
