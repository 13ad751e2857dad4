/**
 * Node-RED sends an open editor at most 50 messages every 50 ms; the rest wait in
 * memory. A node that set its status for every message (two a message, thousands of
 * messages a second) made that wait grow by megabytes a second for as long as the load
 * lasted, and the editor show the status of minutes before. Statuses are paced per node:
 * up to STATUS_BURST at once (a message's whole story, retries and all), then
 * STATUS_PER_SECOND; one that comes too soon waits, replaced by any newer one, and the
 * last always shows.
 */
export const STATUS_BURST = 20;
export const STATUS_PER_SECOND = 10;

/** Hands statuses on at the pace above; a newer one replaces one still waiting. */
export class StatusPace<T> {
  private tokens = STATUS_BURST;
  private filledAt: number;
  private waiting: T | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deliver: (status: T) => void, private readonly now: () => number = Date.now) {
    this.filledAt = now();
  }

  push(status: T): void {
    // While one waits, a newer one takes its place: they never go out of order.
    if (this.timer) {
      this.waiting = status;
      return;
    }
    this.refill();
    if (this.tokens >= 1) {
      this.tokens--;
      this.deliver(status);
      return;
    }
    this.waiting = status;
    this.timer = setTimeout(() => this.flush(), Math.ceil(((1 - this.tokens) * 1000) / STATUS_PER_SECOND));
    this.timer.unref?.();
  }

  /** Nothing waiting is shown any more (the node is closing). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const status = this.waiting;
    this.waiting = undefined;
    if (status !== undefined) this.push(status);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(STATUS_BURST, this.tokens + ((now - this.filledAt) * STATUS_PER_SECOND) / 1000);
    this.filledAt = now;
  }
}
