import { Cancellation, type CancelSignal } from '../errors/cancellation';

/**
 * Messages aborted on close per turn of the event loop. Each ends as a catchable error,
 * and Node-RED's work for one (log, Catch routing) takes some 0.1 ms: ten thousand queued
 * messages at once would hold up every other flow for over a second.
 */
const ABORTS_PER_TURN = 50;

/**
 * The messages a node is working on: the Cancellation of each one's request, and the
 * promise each one's handling settles, so that closing the node can end them all.
 */
export class MessagesInFlight {
  private readonly cancellations = new Set<Cancellation>();
  private readonly settling = new Set<Promise<void>>();

  get size(): number {
    return this.cancellations.size;
  }

  /** A message's request starts: its Cancellation, held until `end`. */
  start(): Cancellation {
    const cancellation = new Cancellation();
    this.cancellations.add(cancellation);
    return cancellation;
  }

  end(cancellation: Cancellation): void {
    this.cancellations.delete(cancellation);
  }

  /** A message's handling, watched until it has settled. */
  track(settled: Promise<void>): void {
    this.settling.add(settled);
    settled.finally(() => this.settling.delete(settled)).catch(() => {});
  }

  /**
   * Aborts every request, without a reason, so each ends as ABORTED (errors.ts,
   * abortError); resolves once every message has settled. Aborted in arrival order, a
   * few dozen a turn: those holding a slot come first, so their requests close at once.
   * `withdraw` lets the queue go of them all beforehand, or a slot freed meanwhile would
   * send one of them.
   */
  abortAll(withdraw: (signals: ReadonlySet<CancelSignal>) => void): Promise<void> {
    const cancellations = [...this.cancellations];
    withdraw(new Set(cancellations.map((c) => c.signal)));
    const abortFrom = (first: number) => {
      const end = Math.min(first + ABORTS_PER_TURN, cancellations.length);
      for (let i = first; i < end; i++) cancellations[i].abort();
      if (end < cancellations.length) setImmediate(abortFrom, end);
    };
    abortFrom(0);
    return Promise.allSettled([...this.settling]).then(() => undefined);
  }
}
