// Finite-difference checks of every VJP rule (broadcasting included) and of the composites built on them.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradients } from "../../src/graph/autodiff.ts";
import { Builder } from "../../src/graph/composites.ts";
import { int64 } from "../../src/graph/tensor.ts";
import { VJP_RULES } from "../../src/graph/vjp.ts";
import { CASES } from "../helpers/grad-cases.ts";
import { gradCheck } from "../helpers/gradcheck.ts";

describe("VJP rules match finite differences", () => {
  for (const [op, cases] of Object.entries(CASES)) {
    for (const [name, c] of Object.entries(cases)) test(`${op}: ${name}`, () => gradCheck(c));
  }
  test("every op with a rule has a case", () => {
    const missing = Object.keys(VJP_RULES).filter((op) => !(op in CASES));
    assert.deepEqual(missing, []);
  });
});

describe("composites match finite differences", () => {
  test("linear on [batch, t, in] with bias", () =>
    gradCheck({ shapes: [[2, 3, 4], [5, 4], [5]], fn: (b, [x, w, bias]) => b.linear(x!, w!, bias!) }));
  test("layer norm", () =>
    gradCheck({ shapes: [[2, 3, 5], [5], [5]], fn: (b, [x, g, beta]) => b.layerNorm(x!, g!, beta!, 1e-5) }));
  test("RMS norm", () => gradCheck({ shapes: [[2, 5], [5]], fn: (b, [x, g]) => b.rmsNorm(x!, g!, 1e-6) }));
  test("GELU (erf) and GELU (tanh)", () => {
    gradCheck({ shapes: [[2, 5]], fn: (b, [x]) => b.gelu(x!) });
    gradCheck({ shapes: [[2, 5]], fn: (b, [x]) => b.geluTanh(x!) });
  });
  test("softmax attention over [batch, heads, t, d]", () =>
    gradCheck({
      shapes: [
        [1, 2, 3, 4],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
      ],
      fn: (b, [q, k, v]) => b.matmul(b.softmax(b.mul(b.matmul(q!, k!, { transB: true }), 0.5), -1), v!),
    }));
  test("cross-entropy with label smoothing and an ignored target", () =>
    gradCheck({
      shapes: [[2, 3, 5]],
      fn: (b, [logits]) =>
        b.crossEntropy(logits!, b.constant(int64([1, 4, 0, 2, 0, 3], [2, 3])), {
          ignoreIndex: 0,
          labelSmoothing: 0.1,
        }).loss,
    }));
});

describe("the walker", () => {
  test("a missing rule is an error naming the op", () => {
    const b = new Builder();
    const x = b.input("x", "float32", [2, 3]);
    const y = b.sumAll(b.scatterElements(x, b.constant(int64([0, 1, 2, 0, 1, 2], [2, 3])), x, 1));
    assert.throws(() => gradients(b, y, [x]), /no gradient rule for op ScatterElements/);
  });
  test("a value the loss does not depend on gets no gradient", () => {
    const b = new Builder();
    const x = b.input("x", "float32", [2]);
    const unused = b.input("u", "float32", [2]);
    const [gx, gu] = gradients(b, b.sumAll(b.mul(x, x)), [x, unused]);
    assert.ok(gx);
    assert.equal(gu, undefined);
  });
});
