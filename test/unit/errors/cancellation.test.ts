import assert from 'node:assert/strict';
import { Cancellation, type CancelSignal } from '../../../nodes/lib/errors/cancellation';
import { abortError, CompletionError } from '../../../nodes/lib/errors/errors';

/** The same steps on a signal of either kind, and what its listeners saw. */
function script(controller: { signal: CancelSignal; abort(reason?: unknown): void }): string[] {
  const seen: string[] = [];
  const a = () => seen.push('a');
  const b = () => seen.push('b');
  const removed = () => seen.push('removed');
  controller.signal.addEventListener('abort', a);
  controller.signal.addEventListener('abort', a);
  controller.signal.addEventListener('abort', b, { once: true });
  controller.signal.addEventListener('abort', removed);
  controller.signal.removeEventListener('abort', removed);
  seen.push(`before: ${controller.signal.aborted}`);
  controller.abort();
  controller.abort(new Error('a second time'));
  controller.signal.addEventListener('abort', () => seen.push('late'));
  seen.push(`after: ${controller.signal.aborted}`);
  return seen;
}

describe('unit: cancelling a request', () => {
  it('fires as an AbortController does: once, each listener once, none removed or added late', () => {
    assert.deepEqual(script(new Cancellation()), script(new AbortController()));
    assert.deepEqual(script(new Cancellation()), ['before: false', 'a', 'b', 'after: true']);
  });

  it('keeps the first reason; without one the request ends as ABORTED, with ours as that error', () => {
    const plain = new Cancellation();
    plain.abort();
    assert.equal((plain.reason as DOMException).name, 'AbortError');
    assert.equal(abortError(plain.signal).code, 'ABORTED');

    const timedOut = new Cancellation();
    const reason = new CompletionError('TIMEOUT', 'no answer within 1 s');
    timedOut.abort(reason);
    timedOut.abort(new CompletionError('ABORTED', 'later'));
    assert.equal(abortError(timedOut.signal), reason);
  });

  it('a listener that throws does not keep the others from running', () => {
    const cancellation = new Cancellation();
    const seen: string[] = [];
    cancellation.addEventListener('abort', () => {
      throw new Error('broken listener');
    });
    cancellation.addEventListener('abort', () => seen.push('second'));
    assert.doesNotThrow(() => cancellation.abort());
    assert.deepEqual(seen, ['second']);
  });
});
