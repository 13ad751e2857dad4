import assert from 'node:assert/strict';
import vm from 'node:vm';
import { isPlainObject, mergeRequest } from '../../nodes/lib/build-request';
import { inOtherRealm } from '../support/realms';

describe('unit: a message request merged over the dialog', () => {
  it('takes a plain object of any realm as parameters: a function node literal, a null-prototype object', () => {
    const fromVm = vm.runInNewContext('({ prompt: "hi", max_tokens: 2, stop: ["\\n"] })');
    assert.notEqual(Object.getPrototypeOf(fromVm), Object.prototype, 'the literal really is from another realm');
    assert.ok(isPlainObject(fromVm));
    assert.ok(isPlainObject(Object.create(null)));
    const merged = mergeRequest({ model: 'm', prompt: 'dialog' }, fromVm);
    assert.deepEqual(merged.problems, []);
    assert.equal(merged.request.prompt, 'hi');
    assert.equal(merged.request.max_tokens, 2);
    assert.deepEqual([...(merged.request.stop as string[])], ['\n']);
  });

  it('takes an array of another realm as the prompt', () => {
    const merged = mergeRequest({ model: 'm' }, inOtherRealm(['a', 'b']));
    assert.deepEqual(merged.problems, []);
    assert.deepEqual([...(merged.request.prompt as string[])], ['a', 'b']);
  });

  it('refuses class instances, maps, dates and boxed values of any realm as parameters', () => {
    class Request { prompt = 'x'; }
    for (const payload of [new Request(), new Map([['prompt', 'x']]), new Date(), vm.runInNewContext('new Date()'), vm.runInNewContext('new (class A { constructor() { this.prompt = "x"; } })()'), Object(5)]) {
      assert.equal(isPlainObject(payload), false, String(payload));
      assert.equal(mergeRequest({ model: 'm' }, payload).problems[0]?.field, 'payload');
    }
  });
});
