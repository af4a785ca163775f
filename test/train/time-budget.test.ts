// train.maxSeconds: the loop stops before an iteration would end past the budget, not after it has.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TimeBudget } from "../../src/train/time-budget.ts";

test("a budget stops before the next step would end past it", () => {
  const budget = new TimeBudget(30, 0);
  assert.equal(budget.exhausted(0, false), false, "nothing measured yet");
  budget.record(0, 1_500, false); // a 1.5 s step
  assert.equal(budget.exhausted(28_000, false), false, "28 + 1.5 ≤ 30");
  assert.equal(budget.exhausted(28_600, false), true, "28.6 + 1.5 > 30: stop now rather than overrun");
});

test("a step that validates is predicted from the last validating iteration", () => {
  const budget = new TimeBudget(30, 0);
  budget.record(0, 1_000, false);
  budget.record(1_000, 11_000, true); // step + validation: 10 s
  assert.equal(budget.exhausted(15_000, false), false);
  assert.equal(budget.exhausted(15_000, true), false, "15 + 10 ≤ 30");
  assert.equal(budget.exhausted(21_000, true), true, "21 + 10 > 30");
  assert.equal(budget.exhausted(21_000, false), false, "a plain step still fits");
});

test("seconds 0 is no budget", () => {
  const budget = new TimeBudget(0, 0);
  budget.record(0, 5_000, false);
  assert.equal(budget.exhausted(1e9, true), false);
});
