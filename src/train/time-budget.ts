// train.maxSeconds as a budget that is not overrun: the loop stops before an iteration (a step, and the
// validation and checkpoint that may follow it) would end past the budget, predicting the iteration's cost
// from the last one of its kind.

export class TimeBudget {
  /** Seconds of the last iteration that did not validate, and of the last that did. */
  private plain = 0;
  private validating = 0;

  /** `seconds` ≤ 0: no budget. `started`: when the budget began, in ms (Date.now()). */
  constructor(
    readonly seconds: number,
    private readonly started: number,
  ) {}

  /** Records an iteration that ran from `startMs` to `endMs`. */
  record(startMs: number, endMs: number, validated: boolean): void {
    const seconds = (endMs - startMs) / 1000;
    if (validated) this.validating = seconds;
    else this.plain = seconds;
  }

  /** Whether the next iteration, starting at `nowMs`, would end past the budget. */
  exhausted(nowMs: number, validatesNext: boolean): boolean {
    if (this.seconds <= 0) return false;
    const next = validatesNext ? Math.max(this.validating, this.plain) : this.plain;
    return (nowMs - this.started) / 1000 + next > this.seconds;
  }
}
