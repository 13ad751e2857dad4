import assert from 'node:assert/strict';
import { ownCopy } from '../../nodes/lib/own-copy';

describe('unit: a copy that takes properties cheaply (in place of an object spread)', () => {
  it('holds what { ...source } holds: own enumerable properties and symbols, an own __proto__ as a property, getters read once', () => {
    const tag = Symbol('tag');
    let reads = 0;
    const source = JSON.parse('{"a":1,"__proto__":{"polluted":"yes"},"nested":{"b":2}}') as Record<PropertyKey, unknown>;
    source[tag] = 'symbol';
    Object.defineProperty(source, 'hidden', { value: 'not enumerable', enumerable: false });
    Object.defineProperty(source, 'computed', { get: () => ++reads, enumerable: true });
    const spread = { ...source };
    reads = 0;
    const copy = ownCopy(source);
    assert.equal(reads, 1);
    assert.deepEqual(Reflect.ownKeys(copy), Reflect.ownKeys(spread));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { polluted: 'yes' });
    assert.equal((copy as { polluted?: unknown }).polluted, undefined);
    assert.equal(copy.nested, source.nested, 'shallow, as a spread is');
    copy.added = true;
    assert.equal(source.added, undefined);
  });
});
