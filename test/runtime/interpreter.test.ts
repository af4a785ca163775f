// Checks the reference interpreter's API: host <-> float64 conversion, feed validation (missing, dtype, rank,
// static and symbolic dims), the per-node output shape check, error naming, and a tiny transformer end to end.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import type { Value } from "../../src/graph/ir.ts";
import { bool, float32, int64 } from "../../src/graph/tensor.ts";
import { runReference, toHost, toRef } from "../../src/runtime/interpreter.ts";

describe("interpreter: toRef / toHost", () => {
  it("round-trips every dtype, with int64 exact", () => {
    const f = toRef(float32([0.5, -2], [2]));
    assert.deepEqual(f, { dtype: "float32", dims: [2], data: Float64Array.of(0.5, -2) });
    const i = toRef(int64([2 ** 40 + 1, -7], [1, 2]));
    assert.deepEqual(Array.from(i.data), [2 ** 40 + 1, -7]);
    assert.deepEqual(toHost(i), {
      dtype: "int64",
      dims: [1, 2],
      data: BigInt64Array.of(2n ** 40n + 1n, -7n),
    });
    assert.deepEqual(toHost(toRef(bool([1, 0, 1], [3]))).data, Uint8Array.of(1, 0, 1));
  });

  it("rounds float32 on the way out and rejects non-integer int64", () => {
    assert.equal(
      toHost({ dtype: "float32", dims: [1], data: Float64Array.of(0.1) }).data[0],
      Math.fround(0.1),
    );
    assert.throws(
      () => toHost({ dtype: "int64", dims: [1], data: Float64Array.of(1.5) }),
      /element 0 is 1.5/,
    );
  });

  it("rejects typed arrays that do not match the dtype or the dims", () => {
    assert.throws(
      () => toRef({ dtype: "float32", dims: [1], data: Uint8Array.of(1) }),
      /a float32 tensor needs Float32Array data, got Uint8Array/,
    );
    assert.throws(
      () => toRef({ dtype: "float32", dims: [3], data: Float64Array.of(1) }),
      /1 elements but dims \[3\]/,
    );
  });
});

describe("interpreter: feeds", () => {
  const graph = () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["batch", 4]);
    const y = b.input("y", "float32", ["batch"]);
    return b.build("t", { z: b.add(b.reduceSum(x, [1]), y) });
  };
  const x = float32([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);

  it("runs with HostTensor and RefTensor feeds and ignores extra feeds", () => {
    const out = runReference(graph(), { x, y: toRef(float32([100, 200], [2])), unused: x });
    assert.deepEqual(Array.from(out["z"]!.data), [110, 226]);
  });

  it("names the input on a missing feed, a wrong dtype, rank or static dim", () => {
    const y = float32([0, 0], [2]);
    assert.throws(
      () => runReference(graph(), { x }),
      /missing feed for graph input "y" \(float32 \[batch\]\)/,
    );
    assert.throws(
      () => runReference(graph(), { x: int64([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]), y }),
      /feed "x" is int64 \[2, 4\] but the graph input is float32 \[batch, 4\]/,
    );
    assert.throws(
      () => runReference(graph(), { x: float32([1, 2], [2]), y }),
      /feed "x" is float32 \[2\]: rank 1/,
    );
    assert.throws(
      () => runReference(graph(), { x: float32([1, 2, 3, 4, 5, 6], [2, 3]), y }),
      /feed "x" is float32 \[2, 3\] but the graph input is float32 \[batch, 4\] \(dim 1\)/,
    );
    assert.throws(
      () => runReference(graph(), { x, y: { dtype: "float32", dims: [2], data: Uint8Array.of(1, 2) } }),
      /feed "y": a float32 tensor needs Float32Array data/,
    );
  });

  it("requires one size per symbolic dim across inputs", () => {
    assert.throws(
      () => runReference(graph(), { x, y: float32([1, 2, 3], [3]) }),
      /symbolic dim "batch" is 3 in feed "y" \(dim 0\) but 2 in feed "x"/,
    );
  });
});

describe("interpreter: node checks", () => {
  it("names op and id when an output contradicts the IR's static shape or dtype", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["n"]);
    const [wrongDims] = b.emit("Relu", [x], {}, [{ dtype: "float32", shape: [3] }]);
    const [wrongType] = b.emit("Relu", [x], {}, [{ dtype: "int64", shape: ["n"] }]);
    const feeds = { x: float32([1, 2], [2]) };
    assert.throws(
      () => runReference(b.build("t", { y: wrongDims! }), feeds),
      new RegExp(`Relu node ${wrongDims!.node.id}: output dims \\[2\\] contradict the IR shape \\[3\\]`),
    );
    assert.throws(
      () => runReference(b.build("t", { y: wrongType! }), feeds),
      new RegExp(`Relu node ${wrongType!.node.id}: output dtype is float32 but the IR says int64`),
    );
  });

  it("returns every output, including a graph input passed through and a constant", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "int64", [2]);
    const out = runReference(b.build("t", { x, c: b.ints([4, 5]), s: b.add(x, b.ints([4, 5])) }), {
      x: int64([1, 2], [2]),
    });
    assert.deepEqual(Array.from(out["x"]!.data), [1, 2]);
    assert.deepEqual(Array.from(out["c"]!.data), [4, 5]);
    assert.deepEqual(Array.from(out["s"]!.data), [5, 7]);
  });
});

/** Seeded weights in [-0.5, 0.5) for the smoke model. */
function weights(b: GraphBuilder, dims: number[], seed: number): Value {
  let s = seed;
  const n = dims.reduce((p, q) => p * q, 1);
  const data = Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  return b.constant(float32(data, dims));
}

function layerNorm(b: GraphBuilder, x: Value): Value {
  const centred = b.sub(x, b.reduceMean(x, [-1], true)); // [batch, len, d]
  const variance = b.reduceMean(b.mul(centred, centred), [-1], true); // [batch, len, 1]
  return b.div(centred, b.sqrt(b.add(variance, 1e-6)));
}

/** One pre-softmax-masked causal self-attention + GELU feed-forward block, from primitives. */
function block(b: GraphBuilder, x: Value, mask: Value, seed: number, heads: number, d: number) {
  const dh = d / heads;
  const split = (v: Value) => b.transpose(b.reshape(v, [0, 0, heads, dh]), [0, 2, 1, 3]); // [batch, heads, len, dh]
  const [q, k, v] = [1, 2, 3].map((i) => split(b.matmul(x, weights(b, [d, d], seed + i)))) as [
    Value,
    Value,
    Value,
  ];
  const scores = b.mul(b.matmul(q, k, { transB: true }), 1 / Math.sqrt(dh)); // [batch, heads, len, len]
  const attn = b.softmax(b.where(mask, scores, -1e9));
  const merged = b.reshape(b.transpose(b.matmul(attn, v), [0, 2, 1, 3]), [0, 0, d]); // [batch, len, d]
  const h = layerNorm(b, b.add(x, b.matmul(merged, weights(b, [d, d], seed + 4))));
  const up = b.add(b.matmul(h, weights(b, [d, 4 * d], seed + 5)), weights(b, [4 * d], seed + 6));
  const gelu = b.mul(b.mul(up, 0.5), b.add(b.erf(b.mul(up, Math.SQRT1_2)), 1)); // [batch, len, 4d]
  return { y: layerNorm(b, b.add(h, b.matmul(gelu, weights(b, [4 * d, d], seed + 7)))), attn };
}

describe("interpreter: tiny transformer", () => {
  it("runs two causal layers (batch 4, length 8, d 16) to normalised, finite outputs", () => {
    const b = new GraphBuilder();
    const x = b.input("x", "float32", ["batch", "len", 16]);
    const len = b.squeeze(b.dimOf(x, 1), [0]);
    const pos = b.range(b.scalar(0, "int64"), len, b.scalar(1, "int64"), "len");
    const mask = b.lessOrEqual(b.unsqueeze(pos, [0]), b.unsqueeze(pos, [1])); // [len, len]: key <= query
    const first = block(b, x, mask, 10, 2, 16);
    const second = block(b, first.y, mask, 20, 2, 16);
    const feeds = {
      x: toRef({
        dtype: "float32",
        dims: [4, 8, 16],
        data: new Float32Array(512).map((_, i) => Math.sin(i)),
      }),
    };
    const out = runReference(b.build("tiny", { y: second.y, attn: first.attn }), feeds);
    const y = out["y"]!;
    assert.deepEqual(y.dims, [4, 8, 16]);
    for (let row = 0; row < 32; row++) {
      const r = Array.from(y.data.subarray(row * 16, row * 16 + 16));
      assert.ok(r.every(Number.isFinite));
      const mean = r.reduce((p, q) => p + q, 0) / 16;
      const variance = r.reduce((p, q) => p + (q - mean) ** 2, 0) / 16;
      assert.ok(
        Math.abs(mean) < 1e-12 && Math.abs(variance - 1) < 1e-4,
        `row ${row}: mean ${mean} var ${variance}`,
      );
    }
    const attn = out["attn"]!; // [4, 2, 8, 8]: query 0 sees only key 0; every row sums to 1
    assert.deepEqual(attn.dims, [4, 2, 8, 8]);
    assert.deepEqual(Array.from(attn.data.subarray(0, 8)), [1, 0, 0, 0, 0, 0, 0, 0]);
    for (let row = 0; row < 64; row++) {
      const sum = attn.data.subarray(row * 8, row * 8 + 8).reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `attention row ${row} sums to ${sum}`);
    }
  });
});
