import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import { CompletionError } from '../errors/errors';
import { ownCopy, setOwn } from '../own-copy';
import type { Message, MessageSource } from '../results/result-messages';

type Clone = (msg: NodeMessage) => NodeMessage;

/**
 * What the node writes on its results. An input's own (the result of a node before it
 * in a chain, a message built by hand) never carries over: a fresh answer must not say
 * `cached`, and a stale `reset` or `complete` would make a join drop or cut a group.
 */
const RESULT_PROPERTIES = new Set([
  'completion', 'usage', 'timing', 'rateLimit', 'cost', 'truncated', 'cached',
  'choiceIndex', 'delta', 'complete', 'reset', 'statusCode', 'headers',
]);

/**
 * Copies of the input message for the results, which must share nothing with the
 * passthrough. One that cannot be copied (nested too deep, a getter that throws) fails
 * here, before anything is sent, not after the server has done the work.
 */
/** `newId`: makes the id of a sequence (`msg.parts.id`), asked for only where the results are one. */
export function messageSource(msg: NodeMessageInFlow, clone: Clone, newId: () => string): MessageSource {
  // The input message without its payload and the node's own properties, as it came:
  // each result is a copy of it, never of a result made before (which its receiver may
  // have changed), nor of the input after the passthrough's receivers changed it.
  let base: Message;
  let shallow: boolean;
  try {
    // Taken over one by one rather than copied and deleted from: an object that loses
    // properties is slower to copy, and each result is a copy of this one.
    const input = msg as unknown as Record<PropertyKey, unknown>;
    const rest: Record<PropertyKey, unknown> = {};
    for (const key of Object.keys(input)) if (key !== 'payload' && !RESULT_PROPERTIES.has(key)) setOwn(rest, key, input[key]);
    for (const symbol of Object.getOwnPropertySymbols(input)) if (Object.prototype.propertyIsEnumerable.call(input, symbol)) setOwn(rest, symbol, input[symbol]);
    // Most messages hold only strings and numbers besides their payload (_msgid, topic):
    // a shallow copy of those is already a deep one. Any other is copied here once, so
    // one that cannot be copied fails before anything is sent.
    shallow = onlyPrimitives(rest);
    base = (shallow ? rest : clone(rest as NodeMessage)) as Message;
  } catch (error) {
    const reason = `cannot be copied: ${error instanceof Error ? error.message : String(error)}`;
    throw new CompletionError('INVALID_REQUEST', `the message ${reason}`, { fields: [{ field: 'msg', reason }] });
  }
  let sequenceId: string | undefined;
  return {
    get sequenceId() {
      return (sequenceId ??= newId());
    },
    copy: () => (shallow ? ownCopy(base) : (clone(base as NodeMessage) as Message)),
  };
}

function onlyPrimitives(record: Record<string, unknown>): boolean {
  if (Object.getOwnPropertySymbols(record).length > 0) return false;
  for (const key in record) {
    const value = record[key];
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) return false;
  }
  return true;
}

/**
 * The properties of a message that Node-RED can copy; each one that cannot is replaced
 * by a note saying why. For a Catch node, when Node-RED itself fails to copy the message.
 */
export function copyableMessage(msg: NodeMessageInFlow, clone: Clone): NodeMessage {
  const copy: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(msg);
  } catch {
    return { _msgid: '' } as NodeMessage;
  }
  for (const key of keys) {
    try {
      const value = (msg as Record<string, unknown>)[key];
      clone({ value } as NodeMessage);
      copy[key] = value;
    } catch (error) {
      copy[key] = `[not copied: ${error instanceof Error ? error.message : String(error)}]`;
    }
  }
  return copy as NodeMessage;
}

/**
 * Ends a message with Node-RED's `done`. Node-RED copies the message for Catch and
 * Complete nodes, which can throw (a message nested thousands of levels deep): that must
 * neither escape as an unhandled rejection, which would stop the process, nor keep the
 * error from Catch, which then gets the properties that can be copied.
 */
export function endMessage(done: (error?: Error) => void, error: Error | undefined, msg: NodeMessageInFlow, node: Pick<Node, 'error'>, clone: Clone): void {
  try {
    done(error);
  } catch (failure) {
    if (error) node.error(error, copyableMessage(msg, clone));
    else node.error(`could not end the message: ${(failure as Error).message}`);
  }
}
