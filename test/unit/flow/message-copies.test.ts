import assert from 'node:assert/strict';
import type { NodeMessage, NodeMessageInFlow } from 'node-red';
import { util as redUtil } from '@node-red/util';
import { messageSource } from '../../../nodes/lib/flow/message-copies';

const cloneMessage = (redUtil as unknown as { cloneMessage(m: NodeMessage): NodeMessage }).cloneMessage;
const source = (msg: object) => messageSource(msg as NodeMessageInFlow, cloneMessage, () => 'seq');

describe('unit: the copies of an input message that results are made from', () => {
  it('keep everything but the payload and the node\'s own result properties, as an object spread would', () => {
    const tag = Symbol('tag');
    const msg: Record<PropertyKey, unknown> = { _msgid: 'm1', topic: 't', payload: { prompt: 'x' }, usage: { total_tokens: 9 }, cached: true, complete: true, parts: { id: 'p' } };
    msg[tag] = 'kept';
    Object.defineProperty(msg, 'hidden', { value: 'not enumerable', enumerable: false });
    const copy = source(msg).copy();
    assert.deepEqual(Object.keys(copy), ['_msgid', 'topic', 'parts']);
    assert.equal((copy as Record<symbol, unknown>)[tag], 'kept');
    assert.deepEqual(copy.parts, { id: 'p' });
    assert.notEqual(copy.parts, msg.parts, 'a deep copy: the result shares nothing with the input');
  });

  it('an own "__proto__" (a message parsed from JSON) stays a property of each copy and never becomes its prototype', () => {
    const msg = JSON.parse('{"_msgid":"m2","payload":"x","__proto__":"kept"}');
    const copy = source(msg).copy();
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(copy, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, 'kept');
  });

  it('a message of strings and numbers: each copy is new, and changing one leaves the next as it was', () => {
    const from = source({ _msgid: 'm3', topic: 't', payload: 1 });
    const first = from.copy();
    first.topic = 'changed';
    assert.equal(from.copy().topic, 't');
  });
});
