import { abortError, CompletionError } from '../errors/errors';
import type { CancelSignal } from '../errors/cancellation';

interface Waiter {
  signal: CancelSignal;
  bytes: number;
  /** Still in the queue: neither started nor withdrawn. */
  queued: boolean;
  start: () => void;
}

/**
 * Caps the requests in flight on one connection. Work beyond the cap waits in
 * arrival order, in a queue bounded by count and by bytes (what the waiting requests
 * weigh); a task that cannot be queued, or is aborted while waiting, fails instead of
 * vanishing.
 */
export class Limiter {
  private active = 0;
  private waiting: Waiter[] = [];
  private waitingBytes = 0;

  constructor(private readonly maxActive: number, private readonly maxWaiting: number, private readonly maxWaitingBytes = Infinity) {}

  /** Whether a task given now would have to wait. */
  get full(): boolean {
    return this.active >= this.maxActive || this.waiting.length > 0;
  }

  /**
   * Takes a slot: at once when one is free (nothing comes back, nothing to wait for), or
   * a promise that resolves once the slot is held, or fails with QUEUE_FULL or the
   * signal's abort. `bytes`: what the task holds while it waits. Every slot taken is
   * given back with `leave()`, however the task ends.
   */
  enter(signal: CancelSignal, bytes = 0): Promise<void> | undefined {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (!this.full) {
      this.active++;
      return undefined;
    }
    return this.wait(signal, bytes);
  }

  /** A place in the queue, if it has room, until a slot frees or the signal aborts. */
  private wait(signal: CancelSignal, bytes: number): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new CompletionError('QUEUE_FULL', `queue full: ${this.active} requests in flight and ${this.waiting.length} waiting`),
      );
    }
    if (this.waitingBytes + bytes > this.maxWaitingBytes) {
      return Promise.reject(
        new CompletionError('QUEUE_FULL', `queue full: the ${this.waiting.length} waiting requests already hold ${megabytes(this.waitingBytes)} of the ${megabytes(this.maxWaitingBytes)} allowed`),
      );
    }
    this.waitingBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.queued) {
          waiter.queued = false;
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          this.waitingBytes -= bytes;
        }
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        signal,
        bytes,
        queued: true,
        start: () => {
          waiter.queued = false;
          signal.removeEventListener('abort', onAbort);
          this.waitingBytes -= bytes;
          this.active++;
          resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /**
   * Takes the waiting tasks of `signals` out of the queue at once, so that none of them can
   * start while their owner, which is going away, aborts them a few at a time. Each still
   * fails, as aborted, once its signal is; until then it holds no place in the queue.
   */
  withdraw(signals: ReadonlySet<CancelSignal>): void {
    const staying: Waiter[] = [];
    for (const waiter of this.waiting) {
      if (!signals.has(waiter.signal)) {
        staying.push(waiter);
        continue;
      }
      waiter.queued = false;
      this.waitingBytes -= waiter.bytes;
    }
    this.waiting = staying;
  }

  leave(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next.start();
  }
}

function megabytes(bytes: number): string {
  return `${+(bytes / 2 ** 20).toFixed(1)} MB`;
}
