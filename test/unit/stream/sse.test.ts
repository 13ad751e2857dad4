import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseDecoder, type SseEvent } from '../../../nodes/lib/stream/sse';
import { StreamAssembler } from '../../../nodes/lib/stream/assemble-stream';

const decodeAll = (parts: (Buffer | string)[]): SseEvent[] => {
  const decoder = new SseDecoder();
  return parts.flatMap((p) => decoder.push(p));
};

describe('SSE decoder', () => {
  it('reads data lines, event names, comments and multi-line data', () => {
    const events = decodeAll([': keep-alive\n', 'data: {"a":1}\n\n', 'event: error\ndata: line one\ndata: line two\n\n', 'data:[DONE]\n\n']);
    assert.deepEqual(events, [{ data: '{"a":1}' }, { event: 'error', data: 'line one\nline two' }, { data: '[DONE]' }]);
  });

  it('takes a 24 MB line in 24,000 pieces in one pass (a rescan of what it holds on each piece would take hours)', () => {
    const decoder = new SseDecoder();
    const piece = 'x'.repeat(1024);
    decoder.push('data: ');
    for (let i = 0; i < 24_000; i++) assert.deepEqual(decoder.push(piece), []);
    assert.ok(decoder.hasPartialEvent);
    const [event] = decoder.push('\n\n');
    assert.equal(event.data.length, 24_000 * 1024);
  });

  it('treats \\r\\n, \\r and \\n alike, also a \\r\\n split across chunks', () => {
    assert.deepEqual(decodeAll(['data: a\r', '\ndata: b\r\n\r', '\n']), [{ data: 'a\nb' }]);
    assert.deepEqual(decodeAll(['data: a\r\rdata: b\n\n']), [{ data: 'a' }, { data: 'b' }]);
  });

  it('gives the same events however the bytes are split, UTF-8 characters included', () => {
    const text = 'data: {"text":" café 日本 😀"}\r\n\r\n: c\ndata: x\rdata: y\r\r';
    const bytes = Buffer.from(text, 'utf8');
    const whole = decodeAll([bytes]);
    assert.equal(whole.length, 2);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const sorted = [...cuts].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let at = 0;
        for (const cut of sorted) {
          parts.push(bytes.subarray(at, cut));
          at = cut;
        }
        parts.push(bytes.subarray(at));
        assert.deepEqual(decodeAll(parts), whole);
      }),
    );
    const oneByOne = decodeAll([...bytes].map((b) => Buffer.from([b])));
    assert.deepEqual(oneByOne, whole);
  });

  it('knows when the stream ended in the middle of an event', () => {
    const decoder = new SseDecoder();
    decoder.push('data: {"half":');
    assert.equal(decoder.hasPartialEvent, true);
  });
});

describe('stream assembler', () => {
  it('concatenates text and logprobs per choice index, keeps the last finish_reason and the usage', () => {
    const assembler = new StreamAssembler();
    const lp = (t: string) => ({ tokens: [t], token_logprobs: [-0.1], top_logprobs: [{ [t]: -0.1 }], text_offset: [0] });
    assembler.add({ id: 'c1', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 1, text: 'B', logprobs: lp('B'), finish_reason: null }], usage: null });
    assembler.add({ id: 'c1', created: 1, model: 'm', choices: [{ index: 0, text: 'A', logprobs: lp('A'), finish_reason: null }], usage: null });
    assembler.add({ id: 'c1', created: 1, model: 'm', choices: [{ index: 0, text: 'a', logprobs: lp('a'), finish_reason: 'stop' }] });
    assembler.add({ id: 'c1', choices: [{ index: 1, text: 'b', logprobs: lp('b'), finish_reason: 'length' }] });
    assembler.add({ id: 'c1', choices: [], usage: { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 } });
    const body = assembler.result() as any;
    assert.equal(body.id, 'c1');
    assert.deepEqual(body.choices.map((c: any) => [c.index, c.text, c.finish_reason, c.logprobs.tokens]), [
      [0, 'Aa', 'stop', ['A', 'a']],
      [1, 'Bb', 'length', ['B', 'b']],
    ]);
    assert.deepEqual(body.usage, { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 });
  });
});
