// Hand-computed checks of the reference interpreter's layout kernels: Reshape codes, Transpose, Concat,
// Slice clamping and negative steps, Unsqueeze/Squeeze, bidirectional Expand, and Pad (incl. cropping).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import type { Value } from "../../src/graph/ir.ts";
import type { Shape } from "../../src/graph/shape.ts";
import { float32, type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { type RefTensor, runReference } from "../../src/runtime/interpreter.ts";

function run(b: GraphBuilder, y: Value, feeds: Record<string, HostTensor>): RefTensor {
  return runReference(b.build("t", { y }), feeds)["y"]!;
}

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("interpreter: Reshape", () => {
  it("copies dims for 0, infers -1 and keeps row-major order", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 3, 4]);
    const out = runReference(
      b.build("t", { a: b.reshape(x, [0, -1]), b: b.reshape(x, [-1]), c: b.reshape(x, [4, 0, 2]) }),
      { x: float32(iota(24), [2, 3, 4]) },
    );
    assert.deepEqual(out["a"]!.dims, [2, 12]);
    assert.deepEqual(out["b"]!.dims, [24]);
    assert.deepEqual(out["c"]!.dims, [4, 3, 2]);
    assert.deepEqual(Array.from(out["c"]!.data), iota(24));
  });

  it("adds no node for a reshape to the shape the value already has", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["n", 4]);
    assert.equal(b.reshape(x, [0, 4]), x);
    assert.equal(b.reshape(x, [-1, 4]), x);
    const flat = b.reshape(x, [-1]);
    assert.notEqual(flat, x);
    assert.equal(flat.node.op, "Reshape");
    assert.equal(b.reshape(flat, [-1]), flat);
  });

  it("reshapes to a run-time shape with symbolic dims", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["n", 2]);
    const ref = b.input("ref", "float32", [2, "m"]);
    const y = run(b, b.reshapeLike(x, ref), { x: float32(iota(6), [3, 2]), ref: float32(iota(6), [2, 3]) });
    assert.deepEqual(y.dims, [2, 3]);
  });

  it("rejects sizes that do not divide", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["n"]);
    const [y] = b.emit("Reshape", [x, b.ints([5, -1])], {}, [{ dtype: "float32", shape: [5, "k"] }]);
    assert.throws(() => run(b, y!, { x: float32(iota(24), [24]) }), /Reshape node \d+: cannot infer the -1/);
    const [z] = b.emit("Reshape", [x, b.ints([5, 4])], {}, [{ dtype: "float32", shape: [5, 4] }]);
    assert.throws(() => run(b, z!, { x: float32(iota(24), [24]) }), /cannot reshape x \[24\]/);
  });
});

describe("interpreter: Transpose and Concat", () => {
  it("permutes dims", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 3]);
    const t = b.input("t", "float32", [2, 1, 3]);
    const out = runReference(b.build("t", { m: b.transpose(x, [1, 0]), r: b.transpose(t, [2, 0, 1]) }), {
      x: float32(iota(6), [2, 3]),
      t: float32(iota(6), [2, 1, 3]),
    });
    assert.deepEqual(out["m"]!.dims, [3, 2]);
    assert.deepEqual(Array.from(out["m"]!.data), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(out["r"]!.dims, [3, 2, 1]);
    assert.deepEqual(Array.from(out["r"]!.data), [0, 3, 1, 4, 2, 5]);
  });

  it("concatenates along an inner and a negative axis", () => {
    const b = new GraphBuilder();
    const p = b.input("p", "int64", [2, 1]);
    const q = b.input("q", "int64", [2, 2]);
    const [neg] = b.emit("Concat", [q, p], { axis: -1 }, [{ dtype: "int64", shape: [2, 3] }]);
    const out = runReference(b.build("t", { c: b.concat([p, q], 1), neg: neg!, rows: b.concat([q, q], 0) }), {
      p: int64([1, 2], [2, 1]),
      q: int64([3, 4, 5, 6], [2, 2]),
    });
    assert.deepEqual(Array.from(out["c"]!.data), [1, 3, 4, 2, 5, 6]);
    assert.deepEqual(Array.from(out["neg"]!.data), [3, 4, 1, 5, 6, 2]);
    assert.deepEqual(out["rows"]!.dims, [4, 2]);
    assert.deepEqual(Array.from(out["rows"]!.data), [3, 4, 5, 6, 3, 4, 5, 6]);
  });
});

describe("interpreter: Slice", () => {
  /** Slices a [10] iota with raw ONNX inputs; the IR shape is left symbolic. */
  function slice1d(starts: number, ends: number, steps: number): number[] {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [10]);
    const inputs = [x, b.ints([starts]), b.ints([ends]), b.ints([0]), b.ints([steps])];
    const [y] = b.emit("Slice", inputs, {}, [{ dtype: "float32", shape: ["s"] }]);
    return Array.from(run(b, y!, { x: float32(iota(10), [10]) }).data);
  }

  it("clamps ends and counts negative starts from the end", () => {
    assert.deepEqual(slice1d(2, 5, 1), [2, 3, 4]);
    assert.deepEqual(slice1d(7, 100, 1), [7, 8, 9]);
    assert.deepEqual(slice1d(-3, 2 ** 62, 1), [7, 8, 9]);
    assert.deepEqual(slice1d(-100, 2, 1), [0, 1]);
    assert.deepEqual(slice1d(5, 2, 1), []);
    assert.deepEqual(slice1d(1, 8, 3), [1, 4, 7]);
  });

  it("walks backwards with negative steps, clamping start to dim-1 and end to -1", () => {
    assert.deepEqual(slice1d(-1, -11, -1), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(slice1d(100, 0, -1), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert.deepEqual(slice1d(8, 2, -2), [8, 6, 4]);
    assert.deepEqual(slice1d(-1, -(2 ** 62), -4), [9, 5, 1]);
    assert.deepEqual(slice1d(2, 5, -1), []);
  });

  it("slices several axes, with negative axes, and defaults axes/steps when omitted", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3, 4]);
    const multi = [x, b.ints([1, -1]), b.ints([3, 0]), b.ints([0, -1]), b.ints([1, -2])];
    const [m] = b.emit("Slice", multi, {}, [{ dtype: "float32", shape: [2, 2] }]);
    const [d] = b.emit("Slice", [x, b.ints([1]), b.ints([2])], {}, [{ dtype: "float32", shape: [1, 4] }]);
    const out = runReference(b.build("t", { m: m!, d: d!, s: b.slice(x, 1, 1, 3) }), {
      x: float32(iota(12), [3, 4]),
    });
    assert.deepEqual(Array.from(out["m"]!.data), [7, 5, 11, 9]);
    assert.deepEqual(Array.from(out["d"]!.data), [4, 5, 6, 7]);
    assert.deepEqual(out["s"]!.dims, [3, 2]);
    assert.deepEqual(Array.from(out["s"]!.data), [1, 2, 5, 6, 9, 10]);
  });

  it("rejects a zero step", () => {
    assert.throws(() => slice1d(0, 5, 0), /Slice node \d+: step for axis 0 is 0/);
  });
});

describe("interpreter: Unsqueeze, Squeeze, Expand, Pad", () => {
  it("inserts and removes size-1 axes", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3]);
    const u = b.unsqueeze(x, [0, 2]);
    const [neg] = b.emit("Unsqueeze", [x, b.ints([-1])], {}, [{ dtype: "float32", shape: [3, 1] }]);
    const [all] = b.emit("Squeeze", [u], {}, [{ dtype: "float32", shape: [3] }]);
    const out = runReference(b.build("t", { u, neg: neg!, s: b.squeeze(u, [0]), all: all! }), {
      x: float32([1, 2, 3], [3]),
    });
    assert.deepEqual(out["u"]!.dims, [1, 3, 1]);
    assert.deepEqual(out["neg"]!.dims, [3, 1]);
    assert.deepEqual(out["s"]!.dims, [3, 1]);
    assert.deepEqual(out["all"]!.dims, [3]);
    assert.deepEqual(Array.from(out["all"]!.data), [1, 2, 3]);
  });

  it("refuses to squeeze an axis whose size is not 1", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3, "n"]);
    const [y] = b.emit("Squeeze", [x, b.ints([1])], {}, [{ dtype: "float32", shape: [3] }]);
    assert.throws(
      () => run(b, y!, { x: float32(iota(6), [3, 2]) }),
      /Squeeze node \d+: cannot squeeze axis 1/,
    );
  });

  it("expands bidirectionally", () => {
    const expand = (xDims: number[], target: number[], shape: Shape) => {
      const b = new GraphBuilder();
      const x = b.input("x", "float32", xDims);
      const n = xDims.reduce((p, q) => p * q, 1);
      return run(b, b.expand(x, b.ints(target), shape), { x: float32(iota(n), xDims) });
    };
    const up = expand([3, 1], [2, 1, 4], [2, 3, 4]);
    assert.deepEqual(up.dims, [2, 3, 4]);
    assert.deepEqual(Array.from(up.data.slice(0, 12)), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    assert.deepEqual(Array.from(up.data.slice(12)), Array.from(up.data.slice(0, 12)));
    const kept = expand([2, 3], [3], [2, 3]);
    assert.deepEqual(Array.from(kept.data), iota(6));
    assert.throws(
      () => expand([2, 3], [2, 2], [2, 3]),
      /Expand node \d+: shapes \[2, 3\] and \[2, 2\] do not broadcast/,
    );
  });

  it("pads with zeros and crops with negative pads", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 2]);
    const w = b.input("w", "float32", [1, 4]);
    const out = runReference(
      b.build("t", {
        p: b.pad(x, b.ints([1, 0, 0, 1]), [3, 3]),
        c: b.pad(w, b.ints([0, -1, 0, -1]), [1, 2]),
      }),
      { x: float32([1, 2, 3, 4], [2, 2]), w: float32([1, 2, 3, 4], [1, 4]) },
    );
    assert.deepEqual(Array.from(out["p"]!.data), [0, 0, 0, 1, 2, 0, 3, 4, 0]);
    assert.deepEqual(Array.from(out["c"]!.data), [2, 3]);
  });
});
