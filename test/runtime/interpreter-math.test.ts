// Checks the interpreter's erf against correctly rounded reference values on every interval of Cody's
// approximation, and the seeded uniform stream's range, repeatability and float32-exactness.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { erf, uniformStream } from "../../src/runtime/interpreter-math.ts";

// [x, erf(x)] to double precision (glibc erf, correctly rounded to within an ulp).
const ERF_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [1e-10, 1.1283791670955126e-10],
  [-0.3, -0.3286267594591274],
  [0.46875, 0.49261347321793797],
  [0.47, 0.4937450508860821],
  [0.9, 0.7969082124228322],
  [1.5, 0.9661051464753108],
  [-2.5, -0.999593047982555],
  [3.99, 0.9999999832607886],
  [4.0, 0.9999999845827421],
  [4.5, 0.9999999998033839],
  [5.5, 0.9999999999999927],
  [5.99, 1.0],
  [6.5, 1.0],
  [-30, -1.0],
];

describe("interpreter math: erf", () => {
  it("matches reference values to a few ulps on every interval", () => {
    for (const [x, expected] of ERF_TABLE) {
      const got = erf(x);
      assert.ok(
        Math.abs(got - expected) <= 4 * Number.EPSILON * Math.abs(expected),
        `erf(${x}) = ${got}, want ${expected}`,
      );
    }
  });

  it("is odd, saturates at +-1 and propagates NaN", () => {
    for (const x of [0.1, 0.7, 2.2, 4.9]) assert.equal(erf(-x), -erf(x));
    assert.equal(erf(Number.POSITIVE_INFINITY), 1);
    assert.equal(erf(Number.NEGATIVE_INFINITY), -1);
    assert.ok(Number.isNaN(erf(Number.NaN)));
  });
});

describe("interpreter math: uniformStream", () => {
  it("repeats per seed, differs across nearby seeds, and stays in [0, 1) on the float32 grid", () => {
    const draw = (seed: number) => {
      const next = uniformStream(seed);
      return Array.from({ length: 2000 }, () => next());
    };
    const a = draw(7);
    assert.deepEqual(draw(7), a);
    assert.notDeepEqual(draw(8).slice(0, 10), a.slice(0, 10));
    assert.ok(a.every((v) => v >= 0 && v < 1 && Number.isInteger(v * 2 ** 24)));
    assert.ok(a.every((v) => Math.fround(v) === v));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean - 0.5) < 0.03, `mean ${mean}`);
  });
});
