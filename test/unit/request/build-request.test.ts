import assert from 'node:assert/strict';
import vm from 'node:vm';
import { buildRequest, isPlainObject } from '../../../nodes/lib/request/build-request';
import { dialogDefaults } from '../../../nodes/lib/request/dialog-defaults';
import { serverKind } from '../../../nodes/lib/servers/server-kinds';

/** The request a message builds over a dialog that sets only the model (and maybe a prompt). */
const build = (payload: unknown, prompt?: string) => buildRequest(dialogDefaults({ model: 'm' }), { prompt }, payload, serverKind('openai'));
import { inOtherRealm } from '../../support/realms';

describe('unit: a message request merged over the dialog', () => {
  it('takes a plain object of any realm as parameters: a function node literal, a null-prototype object', () => {
    const fromVm = vm.runInNewContext('({ prompt: "hi", max_tokens: 2, stop: ["\\n"] })');
    assert.notEqual(Object.getPrototypeOf(fromVm), Object.prototype, 'the literal really is from another realm');
    assert.ok(isPlainObject(fromVm));
    assert.ok(isPlainObject(Object.create(null)));
    const built = build(fromVm, 'dialog');
    assert.ok(built.ok, JSON.stringify(!built.ok && built.problems));
    assert.equal(built.request.prompt, 'hi');
    assert.equal(built.request.max_tokens, 2);
    assert.deepEqual(JSON.parse(built.body), { model: 'm', prompt: 'hi', max_tokens: 2, stop: ['\n'] });
  });

  it('takes an array of another realm as the prompt', () => {
    const built = build(inOtherRealm(['a', 'b']));
    assert.ok(built.ok);
    assert.deepEqual(JSON.parse(built.body).prompt, ['a', 'b']);
  });

  it('refuses class instances, maps, dates and boxed values of any realm as parameters', () => {
    class Request { prompt = 'x'; }
    for (const payload of [new Request(), new Map([['prompt', 'x']]), new Date(), vm.runInNewContext('new Date()'), vm.runInNewContext('new (class A { constructor() { this.prompt = "x"; } })()'), Object(5)]) {
      assert.equal(isPlainObject(payload), false, String(payload));
      const built = build(payload, 'a prompt');
      assert.equal(!built.ok && built.problems[0]?.field, 'payload');
    }
  });
});

describe('unit: the dialog\'s Extra parameters', () => {
  it('JSON that does not parse is refused with the parser\'s words; JSON of another kind with the plain reason', () => {
    const unquoted = dialogDefaults({ model: 'm', extra: '{top_k: 40}' }).problems;
    assert.equal(unquoted.length, 1);
    assert.equal(unquoted[0].field, 'extra');
    assert.match(unquoted[0].reason, /^must be a JSON object of additional parameters: .*(property name|position|token)/i);
    assert.deepEqual(dialogDefaults({ model: 'm', extra: '[1]' }).problems, [{ field: 'extra', reason: 'must be a JSON object of additional parameters' }]);
    assert.deepEqual(dialogDefaults({ model: 'm', extra: '{"top_k": 40}' }).problems, []);
  });
});
