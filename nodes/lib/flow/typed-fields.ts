import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { CompletionError } from '../errors/errors';
import type { DialogValues } from '../request/build-request';

interface TypedConfig {
  prompt?: string;
  promptType?: string;
  model?: string;
  modelType?: string;
}

/**
 * The dialog's typed inputs (prompt, model) for one message: a plain string is used as
 * it is, the others (msg, flow, global, env, JSON…) are evaluated by Node-RED. A model
 * typed as a plain string is already among the dialog's defaults.
 */
export async function dialogValues(RED: NodeAPI, node: Node, config: TypedConfig, msg: NodeMessageInFlow): Promise<DialogValues> {
  const evaluate = (field: 'prompt' | 'model', type: string): Promise<unknown> => {
    const value = config[field] ?? '';
    if (type === 'str') return Promise.resolve(value || undefined);
    return new Promise((resolve, reject) => {
      RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) =>
        err ? reject(new CompletionError('INVALID_REQUEST', `${field}: ${err.message}`, { fields: [{ field, reason: err.message }] })) : resolve(result),
      );
    });
  };
  const modelType = config.modelType || 'str';
  return {
    prompt: await evaluate('prompt', config.promptType || 'str'),
    model: modelType === 'str' ? undefined : await evaluate('model', modelType),
  };
}

/**
 * The dialog's values when neither typed input needs the message (both plain strings,
 * the usual case): worked out once at deploy, so a message does not wait a turn for them.
 */
export function fixedDialogValues(config: TypedConfig): DialogValues | undefined {
  if ((config.promptType || 'str') !== 'str' || (config.modelType || 'str') !== 'str') return undefined;
  return Object.freeze({ prompt: config.prompt || undefined, model: undefined });
}
