// Tests for the LR schedules against hand-computed values, the factory, config validation, and
// reduce-on-plateau state surviving a JSON round trip.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveConfig } from "../../src/io/config.ts";
import {
  CosineSchedule,
  cosineLr,
  DEFAULT_PLATEAU_CONFIG,
  DEFAULT_SCHEDULE_CONFIG,
  type LrSchedule,
  makeSchedule,
  NoamSchedule,
  noamLr,
  type PlateauConfig,
  PlateauSchedule,
  type ScheduleConfig,
  type ScheduleState,
} from "../../src/train/schedules.ts";

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
}

describe("constant", () => {
  test("returns lr at every step and ignores metrics", () => {
    const s = makeSchedule({ ...DEFAULT_SCHEDULE_CONFIG, kind: "constant", lr: 0.01 });
    assert.equal(s.lrAt(1), 0.01);
    assert.equal(s.lrAt(123456), 0.01);
    assert.equal(s.reportMetric(5), false);
    assert.deepEqual(s.stateDict(), { kind: "constant" });
  });

  test("step must be an integer >= 1", () => {
    const s = makeSchedule(DEFAULT_SCHEDULE_CONFIG);
    assert.throws(() => s.lrAt(0), /step must be an integer ≥ 1, got 0/);
    assert.throws(() => s.lrAt(1.5), /got 1.5/);
  });
});

describe("noam", () => {
  test("relative form: linear warm-up to lr at warmupSteps, then lr*sqrt(warmup/step)", () => {
    const cfg = { warmupSteps: 4000, form: "relative" as const, dModel: 512 };
    close(noamLr(1000, 1e-3, cfg), 2.5e-4);
    close(noamLr(4000, 1e-3, cfg), 1e-3);
    close(noamLr(16000, 1e-3, cfg), 5e-4);
    close(noamLr(1, 1e-3, cfg), 2.5e-7);
  });

  test("classic form: dModel^-0.5 * min(step^-0.5, step*warmup^-1.5)", () => {
    const s = new NoamSchedule(1, { warmupSteps: 4, form: "classic", dModel: 16 });
    close(s.lrAt(1), 0.25 * 0.125);
    close(s.lrAt(2), 0.25 * 0.25);
    close(s.lrAt(4), 0.125);
    close(s.lrAt(16), 0.0625);
    close(new NoamSchedule(2, { warmupSteps: 4, form: "classic", dModel: 16 }).lrAt(16), 0.125);
  });

  test("warmupSteps must be >= 1", () => {
    assert.throws(
      () => new NoamSchedule(1, { warmupSteps: 0, form: "relative", dModel: 8 }),
      /noam.warmupSteps/,
    );
  });
});

describe("cosine", () => {
  const cfg = { warmupSteps: 2, totalSteps: 6, minLr: 0.1 };

  test("warm-up, half cosine to minLr, then flat", () => {
    close(cosineLr(1, 1, cfg), 0.5);
    close(cosineLr(2, 1, cfg), 1);
    close(cosineLr(3, 1, cfg), 0.1 + 0.45 * (1 + Math.SQRT1_2));
    close(cosineLr(4, 1, cfg), 0.55);
    close(cosineLr(6, 1, cfg), 0.1);
    close(cosineLr(1000, 1, cfg), 0.1);
  });

  test("no warm-up starts the decay at once", () => {
    const s = new CosineSchedule(2, { warmupSteps: 0, totalSteps: 4, minLr: 0 });
    close(s.lrAt(2), 1);
    close(s.lrAt(4), 0);
  });

  test("a time budget that ends first ends the decay with it", () => {
    const long = { warmupSteps: 2, totalSteps: 1_000_000, minLr: 0.1 };
    // The rate is at most the cosine of the fraction of the budget spent: half of it at a third.
    close(cosineLr(100, 1, long, 1 / 3), 0.1 + 0.9 * 0.75);
    close(cosineLr(4, 1, long, 1 / 2), 0.55);
    // The budget spent (or overspent): minLr, whatever totalSteps says.
    close(cosineLr(5, 1, long, 1), 0.1);
    close(cosineLr(50, 1, long, 1.2), 0.1);
    // The warm-up goes by steps, and so does a decay whose totalSteps come before the budget's end.
    close(cosineLr(1, 1, long, 0.1), 0.5);
    close(cosineLr(4, 1, cfg, 0.01), cosineLr(4, 1, cfg));
    // No time spent yet: steps alone. The schedule object passes the fraction on; Noam ignores it.
    close(cosineLr(3, 1, cfg, 0), cosineLr(3, 1, cfg));
    close(new CosineSchedule(1, long).lrAt(4, 1 / 2), 0.55);
    const noam: LrSchedule = new NoamSchedule(1, { warmupSteps: 2, form: "relative", dModel: 8 });
    close(noam.lrAt(8, 1), 0.5);
  });

  test("invalid configs are rejected with the key", () => {
    assert.throws(
      () => new CosineSchedule(1, { warmupSteps: 5, totalSteps: 5, minLr: 0 }),
      /cosine.totalSteps/,
    );
    assert.throws(() => new CosineSchedule(1, { warmupSteps: 0, totalSteps: 5, minLr: 2 }), /cosine.minLr/);
  });
});

describe("reduce on plateau", () => {
  const base: PlateauConfig = {
    ...DEFAULT_PLATEAU_CONFIG,
    factor: 0.5,
    patience: 1,
    threshold: 0.1,
    minLr: 0.2,
  };

  test("min mode, relative threshold: halves after patience is exceeded, floors at minLr", () => {
    const s = new PlateauSchedule(1, base);
    const lrs: number[] = [];
    const changed: boolean[] = [];
    for (const loss of [10, 9.5, 9.5, 8, 8, 8, 8, 8, 8, 8]) {
      changed.push(s.reportMetric(loss));
      lrs.push(s.lrAt(1));
    }
    // 9.5 is not < 10 * 0.9, so it counts as bad; 8 < 9 is an improvement.
    assert.deepEqual(lrs, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
    assert.deepEqual(changed, [false, false, true, false, false, true, false, true, false, false]);
  });

  test("max mode with absolute threshold and cooldown", () => {
    const s = new PlateauSchedule(1, {
      ...base,
      mode: "max",
      thresholdMode: "abs",
      threshold: 0.5,
      cooldown: 2,
      minLr: 0,
    });
    const lrs: number[] = [];
    for (const acc of [50, 50.4, 50.4, 50.4, 50.4, 50.4, 50.4, 51]) {
      s.reportMetric(acc);
      lrs.push(s.lrAt(1));
    }
    // Reduce at eval 3; evals 4-5 are cooldown; then 2 more bad evals (6, 7) reduce again.
    assert.deepEqual(lrs, [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  test("state survives JSON and resumes identically", () => {
    const a = new PlateauSchedule(1, base);
    for (const v of [10, 9.5]) a.reportMetric(v);
    const state = JSON.parse(JSON.stringify(a.stateDict())) as ScheduleState;
    assert.deepEqual(state, { kind: "plateau", lr: 1, best: 10, numBadEvals: 1, cooldownCounter: 0 });
    const b = new PlateauSchedule(1, base);
    b.loadStateDict(state);
    assert.equal(b.reportMetric(9.5), true);
    assert.equal(b.lrAt(7), 0.5);
    const fresh = new PlateauSchedule(1, base).stateDict();
    assert.deepEqual(JSON.parse(JSON.stringify(fresh)), {
      kind: "plateau",
      lr: 1,
      best: null,
      numBadEvals: 0,
      cooldownCounter: 0,
    });
    assert.throws(() => b.loadStateDict({ kind: "noam" }), /cannot load a "noam" schedule state/);
  });

  test("a NaN metric counts as a bad evaluation", () => {
    const s = new PlateauSchedule(1, { ...base, patience: 0 });
    s.reportMetric(1);
    assert.equal(s.reportMetric(Number.NaN), true);
    assert.equal(s.lrAt(1), 0.5);
  });
});

describe("makeSchedule", () => {
  test("builds each kind from its config section", () => {
    const cfg: ScheduleConfig = {
      ...DEFAULT_SCHEDULE_CONFIG,
      lr: 1,
      noam: { warmupSteps: 4, form: "relative", dModel: 8 },
      cosine: { warmupSteps: 2, totalSteps: 6, minLr: 0.1 },
    };
    assert.equal(makeSchedule({ ...cfg, kind: "noam" }).lrAt(1), 0.25);
    assert.equal(makeSchedule({ ...cfg, kind: "cosine" }).lrAt(1), 0.5);
    assert.equal(makeSchedule({ ...cfg, kind: "plateau" }).kind, "plateau");
  });

  test("accepts a config resolved from dotted CLI overrides", () => {
    const args = ["--kind", "cosine", "--lr", "1", "--cosine.warmupSteps", "0", "--cosine.totalSteps", "10"];
    const s = makeSchedule(resolveConfig(DEFAULT_SCHEDULE_CONFIG, [], args));
    close(s.lrAt(5), 0.5);
    close(s.lrAt(10), 0);
  });

  test("an unknown kind is a clear error", () => {
    const bad = { ...DEFAULT_SCHEDULE_CONFIG, kind: "linear" } as unknown as ScheduleConfig;
    assert.throws(
      () => makeSchedule(bad),
      /unknown LR schedule kind "linear" \(expected constant, noam, cosine or plateau\)/,
    );
  });
});
