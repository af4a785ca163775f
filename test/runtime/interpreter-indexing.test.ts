// Hand-computed checks of the reference interpreter's indexing and generator kernels: Gather (negative
// indices), GatherElements, ScatterND/ScatterElements (add accumulates duplicates), Shape, ConstantOfShape, Range.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import type { Value } from "../../src/graph/ir.ts";
import { float32, type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { type RefTensor, runReference } from "../../src/runtime/interpreter.ts";

function run(b: GraphBuilder, y: Value, feeds: Record<string, HostTensor> = {}): RefTensor {
  return runReference(b.build("t", { y }), feeds)["y"]!;
}

describe("interpreter: Gather and GatherElements", () => {
  const table = float32([1, 2, 3, 4, 5, 6], [3, 2]);

  it("gathers rows with negative indices and columns with 2-D indices", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3, 2]);
    const rows = b.input("rows", "int64", [2]);
    const cols = b.input("cols", "int64", [1, 2]);
    const out = runReference(b.build("t", { r: b.gather(x, rows), c: b.gather(x, cols, 1) }), {
      x: table,
      rows: int64([2, -3], [2]),
      cols: int64([1, -2], [1, 2]),
    });
    assert.deepEqual(out["r"]!.dims, [2, 2]);
    assert.deepEqual(Array.from(out["r"]!.data), [5, 6, 1, 2]);
    assert.deepEqual(out["c"]!.dims, [3, 1, 2]);
    assert.deepEqual(Array.from(out["c"]!.data), [2, 1, 4, 3, 6, 5]);
  });

  it("names the node and the index when it is out of range", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [3, 2]);
    const i = b.input("i", "int64", [1]);
    assert.throws(
      () => run(b, b.gather(x, i), { x: table, i: int64([3], [1]) }),
      /Gather node \d+: index 3 is out of range for a dim of size 3/,
    );
  });

  it("gathers elements along either axis", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", [2, 2]);
    const i = b.input("i", "int64", [2, 2]);
    const out = runReference(b.build("t", { a1: b.gatherElements(x, i, 1), a0: b.gatherElements(x, i, 0) }), {
      x: float32([1, 2, 3, 4], [2, 2]),
      i: int64([0, 0, -1, 0], [2, 2]),
    });
    assert.deepEqual(Array.from(out["a1"]!.data), [1, 1, 4, 3]);
    assert.deepEqual(Array.from(out["a0"]!.data), [1, 2, 3, 2]);
  });
});

describe("interpreter: ScatterND and ScatterElements", () => {
  it("accumulates duplicate ScatterND indices with add and keeps the last with none", () => {
    const b = new GraphBuilder();
    const data = b.input("data", "float32", [4]);
    const idx = b.input("idx", "int64", [3, 1]);
    const upd = b.input("upd", "float32", [3]);
    const out = runReference(
      b.build("t", { add: b.scatterND(data, idx, upd, "add"), none: b.scatterND(data, idx, upd) }),
      { data: float32([10, 10, 10, 10], [4]), idx: int64([1, 1, -1], [3, 1]), upd: float32([1, 2, 5], [3]) },
    );
    assert.deepEqual(Array.from(out["add"]!.data), [10, 13, 10, 15]);
    assert.deepEqual(Array.from(out["none"]!.data), [10, 2, 10, 5]);
  });

  it("scatters whole slices when indices address a prefix of the dims", () => {
    const b = new GraphBuilder();
    const data = b.input("data", "float32", [2, 3]);
    const y = run(
      b,
      b.scatterND(data, b.constant(int64([1], [1, 1])), b.constant(float32([7, 8, 9], [1, 3]))),
      {
        data: float32([0, 0, 0, 0, 0, 0], [2, 3]),
      },
    );
    assert.deepEqual(Array.from(y.data), [0, 0, 0, 7, 8, 9]);
  });

  it("checks the dims of ScatterND updates", () => {
    const b = new GraphBuilder();
    const data = b.input("data", "float32", [2, 3]);
    const y = b.scatterND(data, b.constant(int64([1], [1, 1])), b.constant(float32([7, 8], [1, 2])));
    assert.throws(
      () => run(b, y, { data: float32([0, 0, 0, 0, 0, 0], [2, 3]) }),
      /ScatterND node \d+: updates must have dims \[1, 3\], got \[1, 2\]/,
    );
  });

  it("accumulates duplicate ScatterElements indices along an axis", () => {
    const b = new GraphBuilder();
    const data = b.input("data", "float32", [2, 3]);
    const idx = b.input("idx", "int64", [1, 3]);
    const upd = b.input("upd", "float32", [1, 3]);
    const out = runReference(
      b.build("t", {
        add: b.scatterElements(data, idx, upd, 1, "add"),
        none: b.scatterElements(data, idx, upd, 1),
        rows: b.scatterElements(data, idx, upd, 0, "add"),
      }),
      {
        data: float32([0, 0, 0, 0, 0, 0], [2, 3]),
        idx: int64([0, 0, -1], [1, 3]),
        upd: float32([1, 2, 3], [1, 3]),
      },
    );
    assert.deepEqual(Array.from(out["add"]!.data), [3, 0, 3, 0, 0, 0]);
    assert.deepEqual(Array.from(out["none"]!.data), [2, 0, 3, 0, 0, 0]);
    assert.deepEqual(Array.from(out["rows"]!.data), [1, 2, 0, 0, 0, 3]);
  });
});

describe("interpreter: Shape, ConstantOfShape, Range", () => {
  it("reads run-time dims, with start/end windows", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["a", 3, "c"]);
    const [last] = b.emit("Shape", [x], { start: -1 }, [{ dtype: "int64", shape: [1] }]);
    const [clamped] = b.emit("Shape", [x], { start: -10, end: 10 }, [{ dtype: "int64", shape: [3] }]);
    const out = runReference(
      b.build("t", { all: b.shapeOf(x), mid: b.shapeOf(x, 1, 3), last: last!, clamped: clamped! }),
      { x: float32(new Array(24).fill(0), [2, 3, 4]) },
    );
    assert.equal(out["all"]!.dtype, "int64");
    assert.deepEqual(Array.from(out["all"]!.data), [2, 3, 4]);
    assert.deepEqual(Array.from(out["mid"]!.data), [3, 4]);
    assert.deepEqual(Array.from(out["last"]!.data), [4]);
    assert.deepEqual(Array.from(out["clamped"]!.data), [2, 3, 4]);
  });

  it("fills a run-time shape with the value attribute's dtype", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["n", 2]);
    const y = run(b, b.constantOfShape(b.shapeOf(x), x.shape, 7, "int64"), {
      x: float32([1, 2, 3, 4, 5, 6], [3, 2]),
    });
    assert.equal(y.dtype, "int64");
    assert.deepEqual(y.dims, [3, 2]);
    assert.deepEqual(Array.from(y.data), [7, 7, 7, 7, 7, 7]);
  });

  it("counts ceil((limit - start) / delta) elements, for int64, float and negative deltas", () => {
    const range = (start: number, limit: number, delta: number, dtype: "int64" | "float32") => {
      const b = new GraphBuilder();
      return Array.from(
        run(b, b.range(b.scalar(start, dtype), b.scalar(limit, dtype), b.scalar(delta, dtype), "n")).data,
      );
    };
    assert.deepEqual(range(1, 10, 3, "int64"), [1, 4, 7]);
    assert.deepEqual(range(0, 1, 0.25, "float32"), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(range(5, 0, -2, "int64"), [5, 3, 1]);
    assert.deepEqual(range(5, 0, 1, "int64"), []);
    assert.throws(() => range(0, 5, 0, "int64"), /Range node \d+: delta is 0/);
  });
});
