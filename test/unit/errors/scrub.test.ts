import assert from 'node:assert/strict';
import { scrubText, scrubValue, jsonMayHoldSecret } from '../../../nodes/lib/errors/scrub';

const KEY = 'sk-SECRETKEY-1234567890abcdef';
const escapeAll = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

describe('errors/scrub: a secret is masked however a server spells it', () => {
  it('as it is, and several times', () => {
    assert.equal(scrubText(`a ${KEY} b ${KEY}`, [KEY]), 'a *** b ***');
  });

  it('spelt with \\u escapes inside a text (a gateway quoting an upstream body it did not decode)', () => {
    assert.equal(scrubText(`upstream said: {"detail":"bad key ${escapeAll(KEY)}"}`, [KEY]), 'upstream said: {"detail":"bad key ***"}');
  });

  it('with only some of its letters escaped', () => {
    const partly = `${KEY.slice(0, 5)}\\u0054${KEY.slice(6, 20)}\\u0061${KEY.slice(21)}`.replace('\\u0054', `\\u${KEY.charCodeAt(5).toString(16).padStart(4, '0')}`).replace('\\u0061', `\\u${KEY.charCodeAt(20).toString(16).padStart(4, '0')}`);
    assert.notEqual(partly.includes(KEY), true);
    assert.equal(scrubText(`key: ${partly}.`, [KEY]), 'key: ***.');
  });

  it('quoted twice (the escapes escaped again)', () => {
    const twice = escapeAll(KEY).replace(/\\/g, '\\\\');
    assert.equal(scrubText(`x ${twice} y`, [KEY]), 'x *** y');
  });

  it('leaves text with backslashes but no secret exactly as it was', () => {
    const code = 'printf("%s\\n", path); // C:\\\\Users \\u00e9';
    assert.equal(scrubText(code, [KEY]), code);
  });

  it('in a parsed value: strings and keys holding escapes are masked in place', () => {
    const text = JSON.stringify({ error: { message: `upstream: {"k":"${escapeAll(KEY)}"}` } });
    assert.equal(jsonMayHoldSecret(text, [KEY]), true);
    const value = scrubValue(JSON.parse(text), [KEY]);
    assert.equal(value.error.message, 'upstream: {"k":"***"}');
  });
});
