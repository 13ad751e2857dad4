/**
 * The flow `npm start` deploys: every way to use create-completion, on one tab,
 * talking to the connection it is given.
 */
type FlowNode = Record<string, unknown>;

const TAB = 'demo-tab';
const API = 'demo-api';

export function demoFlow(baseUrl: string, model: string, connectionName: string): FlowNode[] {
  const at = (x: number, y: number) => ({ z: TAB, x, y });
  const completion = (id: string, name: string, fields: FlowNode, wires: string[][], x: number, y: number): FlowNode => ({
    id, type: 'create-completion', name, api: API, model, prompt: '', promptType: 'str', resultFormat: 'raw',
    best_of: '', echo: '', frequency_penalty: '', logit_bias: [], logprobs: '', max_tokens: '', n_completions: '', presence_penalty: '',
    seed: '', stop: [], stream: '', include_usage: '', suffix: '', temperature: '', top_p: '', user: '', extra: '',
    ...fields, wires, ...at(x, y),
  });
  const inject = (id: string, name: string, payload: unknown, wires: string[], x: number, y: number): FlowNode => ({
    id, type: 'inject', name,
    props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '',
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload), payloadType: typeof payload === 'string' ? 'str' : 'json',
    wires: [wires], ...at(x, y),
  });
  const debug = (id: string, name: string, property: string, x: number, y: number): FlowNode => ({
    id, type: 'debug', name, active: true, tosidebar: true, console: false, tostatus: false,
    complete: property, targetType: property === 'true' ? 'full' : 'msg', statusVal: '', statusType: 'auto', wires: [], ...at(x, y),
  });

  return [
    { id: TAB, type: 'tab', label: 'Create Completion demo', disabled: false, info: '' },
    { id: API, type: 'completion-api', name: connectionName, serverKind: 'other', apiVersion: '2024-10-21', headers: [], tls: '', baseUrl, timeout: '120', maxRetries: '2', maxInFlight: '4', maxQueue: '10000', maxResponseMB: '16' },
    { id: 'demo-comment', type: 'comment', name: `Talking to ${connectionName} at ${baseUrl}. Click an inject button, watch the debug sidebar.`, info: '', wires: [], ...at(360, 40) },

    inject('demo-inject-basic', 'prompt string', 'Say this is a test', ['demo-basic'], 140, 100),
    completion('demo-basic', 'raw response', { max_tokens: '16' }, [['demo-debug-basic'], []], 370, 100),
    debug('demo-debug-basic', 'body and status', 'payload', 620, 100),

    inject('demo-inject-params', 'parameters', { prompt: 'Write a tagline for an ice cream shop.', n: 2, max_tokens: 12, temperature: 0.7, logprobs: 1 }, ['demo-text'], 140, 160),
    completion('demo-text', 'text of 2 choices', { resultFormat: 'text' }, [['demo-debug-text'], []], 370, 160),
    debug('demo-debug-text', 'texts', 'payload', 620, 160),

    inject('demo-inject-stream', 'stream', 'Tell me a short story about a robot.', ['demo-stream'], 140, 240),
    completion('demo-stream', 'streamed text', { resultFormat: 'text', stream: 'true', include_usage: 'true', max_tokens: '48' }, [['demo-debug-delta', 'demo-join'], []], 370, 240),
    debug('demo-debug-delta', 'each delta', 'payload', 620, 220),
    { id: 'demo-join', type: 'join', name: 'whole text', mode: 'auto', build: 'object', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '', count: '', reduceRight: false, wires: [['demo-debug-joined']], ...at(600, 260) },
    debug('demo-debug-joined', 'joined text', 'payload', 800, 260),

    inject('demo-inject-chain', 'chain', { prompt: 'Name a colour.', max_tokens: 4 }, ['demo-chain-a'], 140, 320),
    completion('demo-chain-a', 'first', { resultFormat: 'text' }, [['demo-debug-chain-a'], ['demo-chain-b']], 370, 320),
    completion('demo-chain-b', 'then second', { resultFormat: 'text', prompt: 'Name a fruit.', max_tokens: '4' }, [['demo-debug-chain-b'], []], 600, 340),
    debug('demo-debug-chain-a', 'first result', 'payload', 620, 300),
    debug('demo-debug-chain-b', 'second result', 'payload', 840, 340),

    inject('demo-inject-invalid', 'invalid request', { prompt: 'x', temperature: 3, n: 0 }, ['demo-invalid'], 140, 400),
    completion('demo-invalid', 'validated', {}, [[], []], 370, 400),
    { id: 'demo-catch', type: 'catch', name: 'errors', scope: null, uncaught: false, wires: [['demo-debug-error']], ...at(370, 460) },
    debug('demo-debug-error', 'error', 'error', 620, 460),
  ];
}
