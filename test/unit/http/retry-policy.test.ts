import assert from 'node:assert/strict';
import { CompletionError } from '../../../nodes/lib/errors/errors';
import { backoffMs, decide, serverRequestedDelayMs, shouldRetryStatus, type Outcome } from '../../../nodes/lib/http/retry-policy';

const settings = { maxRetries: 2, maxRetryWaitMs: 60_000, retryTimeouts: false };
const answer = (status: number, headers: Record<string, string> = {}, body: unknown = {}): Outcome => ({ kind: 'answer', status, headers, body });
const failure = (error: CompletionError, events = 0, headers: Record<string, string> = {}): Outcome => ({ kind: 'failure', error, headers, events });

describe('unit: the retry policy', () => {
  it('retries 408, 409, 429 and 5xx unless x-should-retry says otherwise', () => {
    for (const status of [408, 409, 429, 500, 503]) assert.equal(shouldRetryStatus(status, {}), true);
    for (const status of [400, 401, 404, 422]) assert.equal(shouldRetryStatus(status, {}), false);
    assert.equal(shouldRetryStatus(503, { 'x-should-retry': 'false' }), false);
    assert.equal(shouldRetryStatus(400, { 'x-should-retry': 'true' }), true);
  });

  it('reads retry-after-ms, retry-after in seconds and as a date', () => {
    assert.equal(serverRequestedDelayMs({ 'retry-after-ms': '250' }), 250);
    assert.equal(serverRequestedDelayMs({ 'retry-after': '2' }), 2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(serverRequestedDelayMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now), 3000);
  });

  it('backs off exponentially with jitter up to 8 s', () => {
    assert.equal(backoffMs(1, () => 0), 500);
    assert.equal(backoffMs(3, () => 0), 2000);
    assert.equal(backoffMs(10, () => 0), 8000);
    assert.equal(backoffMs(1, () => 1), 375);
  });

  it('waits as long as the server asks, within the connection\'s limit; asked for longer, it stops retrying', () => {
    assert.deepEqual(decide(answer(429, { 'retry-after-ms': '250' }), 1, settings), { retry: true, delayMs: 250, reason: 'HTTP 429' });
    assert.deepEqual(decide(answer(503, { 'retry-after': '3600' }), 1, settings), { retry: false });
    assert.deepEqual(decide(answer(503, { 'retry-after': '90' }), 1, { ...settings, maxRetryWaitMs: 120_000 }), { retry: true, delayMs: 90_000, reason: 'HTTP 503' });
  });

  it('stops after maxRetries, and never retries a success, a 4xx or an exhausted quota', () => {
    assert.equal(decide(answer(500), 2, settings).retry, true);
    assert.equal(decide(answer(500), 3, settings).retry, false);
    assert.equal(decide(answer(200), 1, settings).retry, false);
    assert.equal(decide(answer(404), 1, settings).retry, false);
    const quota = { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } };
    assert.equal(decide(answer(429, {}, quota), 1, settings).retry, false);
  });

  it('retries connection faults before any output, but not a request the server accepted and is still working on', () => {
    assert.equal(decide(failure(new CompletionError('NETWORK_ERROR', 'reset', { code: 'ECONNRESET' })), 1, settings).retry, true);
    assert.equal(decide(failure(new CompletionError('TIMEOUT', 't', { phase: 'connect' })), 1, settings).retry, true);
    assert.equal(decide(failure(new CompletionError('TIMEOUT', 't', { phase: 'response' })), 1, settings).retry, false);
    assert.equal(decide(failure(new CompletionError('TIMEOUT', 't', { phase: 'idle' })), 1, settings).retry, false);
    assert.equal(decide(failure(new CompletionError('TIMEOUT', 't', { phase: 'response' })), 1, { ...settings, retryTimeouts: true }).retry, true);
    assert.equal(decide(failure(new CompletionError('STREAM_ERROR', 'ended', { phase: 'body' })), 1, settings).retry, true);
    assert.equal(decide(failure(new CompletionError('STREAM_ERROR', 'ended', { phase: 'body' }), 3), 1, settings).retry, false, 'not after output');
    assert.equal(decide(failure(new CompletionError('NETWORK_ERROR', 'reset'), 1), 1, settings).retry, false, 'not after output');
    for (const code of ['BAD_RESPONSE', 'RESPONSE_TOO_LARGE', 'ABORTED'] as const) assert.equal(decide(failure(new CompletionError(code, 'x')), 1, settings).retry, false, code);
  });
});
