import { CompletionError } from '../errors/errors';

export interface BudgetSettings {
  /** Tokens a period may use; undefined: no token budget. */
  tokens?: number;
  /** Cost a period may use, at the connection's prices; undefined: no cost budget. */
  cost?: number;
  period: 'hour' | 'day';
}

export interface Spend {
  tokens: number;
  cost: number;
}

/** The start of the calendar hour or day (local time) a moment falls in. */
function periodStart(period: 'hour' | 'day', now: number): number {
  const date = new Date(now);
  date.setMinutes(0, 0, 0);
  if (period === 'day') date.setHours(0);
  return date.getTime();
}

/**
 * A connection's spending limit per hour or day, kept in memory by this Node-RED
 * instance (it starts afresh with every restart or redeploy of the connection). A
 * request reserves what it may spend before it is sent, so parallel requests cannot
 * overshoot together; its real usage replaces the reservation when it ends.
 */
export class Budget {
  private start = 0;
  private spent: Spend = { tokens: 0, cost: 0 };
  private reserved: Spend = { tokens: 0, cost: 0 };

  constructor(private readonly settings: BudgetSettings, private readonly clock: () => number = Date.now) {}

  get active(): boolean {
    return this.settings.tokens !== undefined || this.settings.cost !== undefined;
  }

  private roll(): void {
    const start = periodStart(this.settings.period, this.clock());
    if (start !== this.start) {
      this.start = start;
      this.spent = { tokens: 0, cost: 0 };
    }
  }

  /** What is left this period (undefined where there is no such budget). */
  left(): { tokens?: number; cost?: number } {
    this.roll();
    const left: { tokens?: number; cost?: number } = {};
    if (this.settings.tokens !== undefined) left.tokens = Math.max(0, this.settings.tokens - this.spent.tokens - this.reserved.tokens);
    if (this.settings.cost !== undefined) left.cost = Math.max(0, this.settings.cost - this.spent.cost - this.reserved.cost);
    return left;
  }

  /**
   * Reserves what a request may spend, or fails with BUDGET_EXCEEDED when it would pass
   * the budget. Returns the function that settles the reservation with what was spent.
   */
  reserve(estimate: Spend): (actual: Spend | undefined) => void {
    this.roll();
    const over: string[] = [];
    const { tokens, cost } = this.settings;
    if (tokens !== undefined && this.spent.tokens + this.reserved.tokens + estimate.tokens > tokens) {
      over.push(`${this.spent.tokens + this.reserved.tokens} of ${tokens} tokens used this ${this.settings.period}, this request may take ${estimate.tokens}`);
    }
    if (cost !== undefined && this.spent.cost + this.reserved.cost + estimate.cost > cost) {
      over.push(`${round(this.spent.cost + this.reserved.cost)} of ${cost} spent this ${this.settings.period}, this request may cost ${round(estimate.cost)}`);
    }
    if (over.length > 0) throw new CompletionError('BUDGET_EXCEEDED', `budget exceeded: ${over.join('; ')}`);
    this.reserved.tokens += estimate.tokens;
    this.reserved.cost += estimate.cost;
    const start = this.start;
    let settled = false;
    return (actual) => {
      if (settled) return;
      settled = true;
      this.reserved.tokens -= estimate.tokens;
      this.reserved.cost -= estimate.cost;
      this.roll();
      // What was spent in a period that has since ended does not count against the new one.
      if (actual && this.start === start) {
        this.spent.tokens += actual.tokens;
        this.spent.cost += actual.cost;
      }
    };
  }

  reset(): void {
    this.spent = { tokens: 0, cost: 0 };
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
