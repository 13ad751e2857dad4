/**
 * What the request pipeline needs of an abort signal: whether it fired, why, and a
 * listener for when it does. Node's AbortSignal fits (the admin endpoints pass
 * `AbortSignal.timeout`), and so does Cancellation, which the node makes for every
 * message and every try.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An AbortController without the EventTarget behind it. Two AbortControllers a message,
 * each with a few listeners added and removed, cost the node about half of its CPU time
 * per message in `npm run bench` (EventTarget's bookkeeping and the garbage it leaves);
 * this does the same for a list of functions. Like AbortSignal, it fires once, each
 * listener at most once, and a listener added after it fired never runs.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;

  get signal(): CancelSignal {
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.listeners;
    this.listeners = undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      // One listener's failure must not keep the others from ending their work.
      try {
        listener();
      } catch {
        // The listeners are the pipeline's own and settle their promises first.
      }
    }
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    const listeners = (this.listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const at = listeners.lastIndexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  }
}
