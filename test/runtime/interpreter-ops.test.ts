// Hand-computed checks of the reference interpreter's arithmetic kernels: elementwise ops with broadcasting,
// Cast, MatMul (transposes, batch broadcasting), reductions, Softmax/LogSoftmax, Conv, RandomUniformLike.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import type { Value } from "../../src/graph/ir.ts";
import { bool, float32, type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { type RefTensor, runReference } from "../../src/runtime/interpreter.ts";

/** Builds a one-output graph from `b` and runs it. */
function run(b: GraphBuilder, y: Value, feeds: Record<string, HostTensor | RefTensor> = {}): RefTensor {
  return runReference(b.build("t", { y }), feeds)["y"]!;
}

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!));
    assert.ok(ok, `element ${i}: ${actual[i]} vs ${expected[i]} (all: ${Array.from(actual)})`);
  }
}

/** Runs a unary builder method on a float32 [n] input fed in float64 (a RefTensor, so unrounded). */
function unary(op: (b: GraphBuilder, x: Value) => Value, xs: number[]): RefTensor {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [xs.length]);
  return run(b, op(b, x), { x: { dtype: "float32", dims: [xs.length], data: Float64Array.from(xs) } });
}

describe("interpreter: elementwise unary", () => {
  it("computes each float op", () => {
    const xs = [-1, 0, 0.5, 2];
    assertClose(unary((b, x) => b.neg(x), xs).data, [1, 0, -0.5, -2]);
    assertClose(
      unary((b, x) => b.exp(x), xs).data,
      [0.36787944117144233, 1, 1.6487212707001282, 7.38905609893065],
    );
    assertClose(
      unary((b, x) => b.tanh(x), xs).data,
      [-0.7615941559557649, 0, 0.46211715726000974, 0.9640275800758169],
    );
    assertClose(
      unary((b, x) => b.sigmoid(x), xs).data,
      [0.2689414213699951, 0.5, 0.6224593312018546, 0.8807970779778823],
    );
    assertClose(unary((b, x) => b.relu(x), xs).data, [0, 0, 0.5, 2]);
    assertClose(unary((b, x) => b.abs(x), xs).data, [1, 0, 0.5, 2]);
    assertClose(
      unary((b, x) => b.erf(x), xs).data,
      [-0.8427007929497149, 0, 0.5204998778130465, 0.9953222650189527],
      1e-15,
    );
    assertClose(unary((b, x) => b.log(x), [0.5, 1, Math.E, 4]).data, [-Math.LN2, 0, 1, 2 * Math.LN2]);
    assertClose(unary((b, x) => b.sqrt(x), [0, 0.25, 4]).data, [0, 0.5, 2]);
    assertClose(unary((b, x) => b.reciprocal(x), [4, 0.5]).data, [0.25, 2]);
    assertClose(unary((b, x) => b.sin(x), [0, Math.PI / 2, Math.PI / 6]).data, [0, 1, 0.5]);
    assertClose(unary((b, x) => b.cos(x), [0, Math.PI, Math.PI / 3]).data, [1, -1, 0.5]);
    assertClose(unary((b, x) => b.identity(x), xs).data, xs);
  });

  it("keeps sigmoid finite for large |x| and does not round to float32", () => {
    assertClose(unary((b, x) => b.sigmoid(x), [-800, 800]).data, [0, 1]);
    // 0.1 is not a float32; the float64 feed survives Identity unrounded.
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [1]);
    const y = run(b, b.identity(x), { x: { dtype: "float32", dims: [1], data: Float64Array.of(0.1) } });
    assert.equal(y.data[0], 0.1);
  });

  it("negates and takes abs of int64, and Not of bool", () => {
    const b = new GraphBuilder();
    const i = b.input("i", "int64", [3]);
    const f = b.input("f", "bool", [2]);
    const out = runReference(b.build("t", { neg: b.neg(i), abs: b.abs(i), not: b.not(f) }), {
      i: int64([-2, 0, 5], [3]),
      f: bool([true, false], [2]),
    });
    assert.deepEqual(Array.from(out["neg"]!.data), [2, 0, -5]);
    assert.equal(out["neg"]!.dtype, "int64");
    assert.deepEqual(Array.from(out["abs"]!.data), [2, 0, 5]);
    assert.deepEqual(Array.from(out["not"]!.data), [0, 1]);
  });

  it("rejects a float-only op on int64", () => {
    const b = new GraphBuilder();
    const i = b.input("i", "int64", [1]);
    assert.throws(
      () => run(b, b.exp(i), { i: int64([1], [1]) }),
      /Exp node \d+: input 0 has dtype int64, expected float32/,
    );
  });
});

describe("interpreter: Cast", () => {
  it("truncates float to int64, tests != 0 for bool, widens back", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [4]);
    const i = b.cast(x, "int64");
    const out = runReference(
      b.build("t", { i, bool: b.cast(x, "bool"), back: b.cast(b.cast(x, "bool"), "int64") }),
      {
        x: float32([-1.75, 0, 2.9, 0.5], [4]),
      },
    );
    assert.deepEqual(Array.from(out["i"]!.data), [-1, 0, 2, 0]);
    assert.equal(out["i"]!.dtype, "int64");
    assert.deepEqual(Array.from(out["bool"]!.data), [1, 0, 1, 1]);
    assert.deepEqual(Array.from(out["back"]!.data), [1, 0, 1, 1]);
  });

  it("refuses to cast NaN to int64", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [1]);
    assert.throws(
      () => run(b, b.cast(x, "int64"), { x: float32([Number.NaN], [1]) }),
      /cannot cast NaN to int64/,
    );
  });
});

describe("interpreter: elementwise binary", () => {
  it("broadcasts [2,3] + [3] and [2,1] * [1,3]", () => {
    const b = new GraphBuilder();
    const a = b.input("a", "float32", [2, 3]);
    const r = b.input("r", "float32", [3]);
    const c = b.input("c", "float32", [2, 1]);
    const d = b.input("d", "float32", [1, 3]);
    const out = runReference(b.build("t", { sum: b.add(a, r), outer: b.mul(c, d), left: b.sub(1, r) }), {
      a: float32([1, 2, 3, 4, 5, 6], [2, 3]),
      r: float32([10, 20, 30], [3]),
      c: float32([1, 2], [2, 1]),
      d: float32([3, 4, 5], [1, 3]),
    });
    assert.deepEqual(out["sum"]!.dims, [2, 3]);
    assert.deepEqual(Array.from(out["sum"]!.data), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(Array.from(out["outer"]!.data), [3, 4, 5, 6, 8, 10]);
    assert.deepEqual(Array.from(out["left"]!.data), [-9, -19, -29]);
  });

  it("divides floats exactly and truncates int64 division toward zero", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "int64", [4]);
    const y = b.input("y", "int64", [4]);
    const f = b.input("f", "float32", [2]);
    const out = runReference(b.build("t", { q: b.div(x, y), fq: b.div(f, 4) }), {
      x: int64([7, -7, 7, -7], [4]),
      y: int64([2, 2, -2, -2], [4]),
      f: float32([1, -3], [2]),
    });
    assert.deepEqual(Array.from(out["q"]!.data), [3, -3, -3, 3]);
    assert.deepEqual(Array.from(out["fq"]!.data), [0.25, -0.75]);
    assert.throws(
      () =>
        runReference(b.build("t", { q: b.div(x, y) }), {
          x: int64([1, 1, 1, 1], [4]),
          y: int64([1, 0, 1, 1], [4]),
        }),
      /Div node \d+: integer division by zero/,
    );
  });

  it("computes Pow, Max and Min with broadcasting; Pow rejects int64", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3]);
    const out = runReference(b.build("t", { p: b.pow(x, 2), mx: b.max(x, 0.5), mn: b.min(x, 0.5) }), {
      x: float32([-2, 0.25, 3], [3]),
    });
    assert.deepEqual(Array.from(out["p"]!.data), [4, 0.0625, 9]);
    assert.deepEqual(Array.from(out["mx"]!.data), [0.5, 0.5, 3]);
    assert.deepEqual(Array.from(out["mn"]!.data), [-2, 0.25, 0.5]);
    const bi = new GraphBuilder();
    const i = bi.input("i", "int64", [1]);
    assert.throws(
      () => run(bi, bi.pow(i, 2), { i: int64([3], [1]) }),
      /Pow node \d+: input 0 has dtype int64/,
    );
  });

  it("compares into bool and combines bools", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "int64", [3]);
    const p = b.input("p", "bool", [4]);
    const q = b.input("q", "bool", [4]);
    const out = runReference(
      b.build("t", {
        eq: b.equal(x, 2),
        lt: b.less(x, 2),
        le: b.lessOrEqual(x, 2),
        gt: b.greater(x, 2),
        ge: b.greaterOrEqual(x, 2),
        and: b.and(p, q),
        or: b.or(p, q),
      }),
      { x: int64([1, 2, 3], [3]), p: bool([0, 0, 1, 1], [4]), q: bool([0, 1, 0, 1], [4]) },
    );
    assert.equal(out["eq"]!.dtype, "bool");
    assert.deepEqual(Array.from(out["eq"]!.data), [0, 1, 0]);
    assert.deepEqual(Array.from(out["lt"]!.data), [1, 0, 0]);
    assert.deepEqual(Array.from(out["le"]!.data), [1, 1, 0]);
    assert.deepEqual(Array.from(out["gt"]!.data), [0, 0, 1]);
    assert.deepEqual(Array.from(out["ge"]!.data), [0, 1, 1]);
    assert.deepEqual(Array.from(out["and"]!.data), [0, 0, 0, 1]);
    assert.deepEqual(Array.from(out["or"]!.data), [0, 1, 1, 1]);
  });

  it("broadcasts all three operands of Where", () => {
    const b = new GraphBuilder();
    const c = b.input("c", "bool", [2, 1]);
    const x = b.input("x", "float32", [1, 3]);
    const y = run(b, b.where(c, x, -1), { c: bool([1, 0], [2, 1]), x: float32([1, 2, 3], [1, 3]) });
    assert.deepEqual(y.dims, [2, 3]);
    assert.deepEqual(Array.from(y.data), [1, 2, 3, -1, -1, -1]);
  });
});

describe("interpreter: MatMul", () => {
  const a = [1, 2, 3, 4, 5, 6]; // [2, 3]
  const bT = [7, 8, 9, 10, 11, 12]; // B^T as [2, 3], so B = [[7, 10], [8, 11], [9, 12]]
  const product = [50, 68, 122, 167]; // A B

  it("multiplies with every transA/transB combination", () => {
    const aT = [1, 4, 2, 5, 3, 6]; // A^T as [3, 2]
    const bMat = [7, 10, 8, 11, 9, 12]; // B as [3, 2]
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const b = new GraphBuilder();
      const x = b.input("x", "float32", transA ? [3, 2] : [2, 3]);
      const w = b.input("w", "float32", transB ? [2, 3] : [3, 2]);
      const y = run(b, b.matmul(x, w, { transA, transB }), {
        x: float32(transA ? aT : a, transA ? [3, 2] : [2, 3]),
        w: float32(transB ? bT : bMat, transB ? [2, 3] : [3, 2]),
      });
      assert.deepEqual(y.dims, [2, 2]);
      assert.deepEqual(Array.from(y.data), product, `transA=${transA} transB=${transB}`);
    }
  });

  it("broadcasts batch dims: [2,1,2,2] x [3,2,2] -> [2,3,2,2]", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 1, 2, 2]);
    const w = b.input("w", "float32", [3, 2, 2]);
    const mats = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const y = run(b, b.matmul(x, w), {
      x: float32([1, 0, 0, 1, 2, 0, 0, 2], [2, 1, 2, 2]), // I and 2I
      w: float32(mats, [3, 2, 2]),
    });
    assert.deepEqual(y.dims, [2, 3, 2, 2]);
    assert.deepEqual(Array.from(y.data), [...mats, ...mats.map((v) => 2 * v)]);
  });

  it("broadcasts a rank-2 operand against a batch, with transB", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [1, 2]);
    const w = b.input("w", "float32", [2, 3, 2]);
    const y = run(b, b.matmul(x, w, { transB: true }), {
      x: float32([1, 10], [1, 2]),
      w: float32([1, 2, 3, 4, 5, 6, 0, 1, 1, 0, 2, 2], [2, 3, 2]),
    });
    assert.deepEqual(y.dims, [2, 1, 3]);
    assert.deepEqual(Array.from(y.data), [21, 43, 65, 10, 1, 22]);
  });

  it("names the node when inner dims differ at run time", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, "k"]);
    const w = b.input("w", "float32", ["j", 2]);
    assert.throws(
      () => run(b, b.matmul(x, w), { x: float32(a, [2, 3]), w: float32([1, 2, 3, 4], [2, 2]) }),
      /MatMul node \d+: inner dims differ/,
    );
  });
});

describe("interpreter: reductions and softmax", () => {
  const xs = [1, 2, 3, 4, 5, 6];

  it("reduces over listed axes with and without keepdims", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 3]);
    const out = runReference(
      b.build("t", {
        sum1: b.reduceSum(x, [1]),
        sum1k: b.reduceSum(x, [1], true),
        sumAll: b.reduceSum(x, [0, 1]),
        mean0: b.reduceMean(x, [0]),
        max1: b.reduceMax(x, [-1]),
      }),
      { x: float32(xs, [2, 3]) },
    );
    assert.deepEqual(Array.from(out["sum1"]!.data), [6, 15]);
    assert.deepEqual(out["sum1k"]!.dims, [2, 1]);
    assert.deepEqual(out["sumAll"]!.dims, []);
    assert.deepEqual(Array.from(out["sumAll"]!.data), [21]);
    assert.deepEqual(Array.from(out["mean0"]!.data), [2.5, 3.5, 4.5]);
    assert.deepEqual(Array.from(out["max1"]!.data), [3, 6]);
  });

  it("accepts negative axes, empty axes (reduce all) and noop_with_empty_axes", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "int64", [2, 3]);
    const [neg] = b.emit("ReduceSum", [x, b.ints([-1])], { keepdims: 0 }, [{ dtype: "int64", shape: [2] }]);
    const [all] = b.emit("ReduceMax", [x, b.ints([])], { keepdims: 0 }, [{ dtype: "int64", shape: [] }]);
    const [noop] = b.emit("ReduceSum", [x, b.ints([])], { keepdims: 1, noop_with_empty_axes: 1 }, [
      { dtype: "int64", shape: [2, 3] },
    ]);
    const out = runReference(b.build("t", { neg: neg!, all: all!, noop: noop! }), { x: int64(xs, [2, 3]) });
    assert.deepEqual(Array.from(out["neg"]!.data), [6, 15]);
    assert.deepEqual(Array.from(out["all"]!.data), [6]);
    assert.deepEqual(Array.from(out["noop"]!.data), xs);
  });

  it("computes Softmax and LogSoftmax along an axis, stably", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3]);
    const m = b.input("m", "float32", [2, 2]);
    const out = runReference(
      b.build("t", {
        p: b.softmax(x),
        lp: b.logSoftmax(x),
        p0: b.softmax(m, 0),
        big: b.softmax(b.add(x, 1000)),
      }),
      { x: float32([1, 2, 3], [3]), m: float32([1, 3, 1, 1], [2, 2]) },
    );
    const expected = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
    assertClose(out["p"]!.data, expected);
    assertClose(out["big"]!.data, expected);
    assertClose(out["lp"]!.data, [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806]);
    assertClose(out["p0"]!.data, [0.5, 0.8807970779778823, 0.5, 0.11920292202211755]);
  });
});

describe("interpreter: Conv and RandomUniformLike", () => {
  it("convolves with bias, padding and stride", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [1, 1, 5]);
    const w = b.constant(float32([1, 0, -1], [1, 1, 3]));
    const bias = b.constant(float32([10], [1]));
    const out = runReference(
      b.build("t", { plain: b.conv1d(x, w, bias), strided: b.conv1d(x, w, bias, { stride: 2, padding: 1 }) }),
      { x: float32([1, 2, 3, 4, 5], [1, 1, 5]) },
    );
    assert.deepEqual(Array.from(out["plain"]!.data), [8, 8, 8]);
    assert.deepEqual(out["strided"]!.dims, [1, 1, 3]);
    assert.deepEqual(Array.from(out["strided"]!.data), [8, 8, 14]);
  });

  it("sums over input channels per output channel and batch", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 2, 3]);
    const w = b.constant(float32([1, 1, 1, -1], [2, 2, 1]));
    const y = run(b, b.conv1d(x, w, undefined), {
      x: float32([1, 2, 3, 4, 5, 6, 0, 0, 1, 1, 1, 0], [2, 2, 3]),
    });
    assert.deepEqual(y.dims, [2, 2, 3]);
    assert.deepEqual(Array.from(y.data), [5, 7, 9, -3, -3, -3, 1, 1, 1, -1, -1, 1]);
  });

  it("draws seeded uniform [0, 1) noise, repeatable per node and distinct across nodes", () => {
    const b = new GraphBuilder({ seed: 3 });
    const x = b.input("x", "float32", [50, 20]);
    const graph = b.build("t", { r1: b.randomUniformLike(x), r2: b.randomUniformLike(x) });
    const feeds = { x: float32(new Array(1000).fill(0), [50, 20]) };
    const first = runReference(graph, feeds);
    const again = runReference(graph, feeds);
    const r1 = Array.from(first["r1"]!.data);
    assert.deepEqual(first["r1"]!.dims, [50, 20]);
    assert.ok(r1.every((v) => v >= 0 && v < 1));
    assert.deepEqual(Array.from(again["r1"]!.data), r1);
    assert.notDeepEqual(Array.from(first["r2"]!.data), r1);
    const mean = r1.reduce((s, v) => s + v, 0) / r1.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });
});
