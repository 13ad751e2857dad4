import { abortError, CompletionError } from './errors';

interface Waiter {
  start: () => void;
}

/**
 * Caps the requests in flight on one connection. Work beyond the cap waits in
 * arrival order, in a bounded queue; a task that cannot be queued, or is aborted
 * while waiting, fails instead of vanishing.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly maxActive: number, private readonly maxWaiting: number) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.maxActive && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new CompletionError('QUEUE_FULL', `queue full: ${this.active} requests in flight and ${this.waiting.length} waiting`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(abortError(signal));
      };
      const waiter: Waiter = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next.start();
  }
}
