// Checks the ONNX Runtime executor: hand-computed results, dtype conversion of outputs, output selection,
// and that every failure names the inputs that were declared and fed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import { bool, float32, int64 } from "../../src/graph/tensor.ts";
import { toOnnxBytes } from "../../src/runtime/onnx-export.ts";
import { OrtSession } from "../../src/runtime/ort.ts";

/** y = relu(x @ w + b) with w = [[1, -1], [2, 0], [0, 3]], b = [0.5, -1]. */
function denseGraph() {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["batch", 3]);
  const w = b.constant(float32([1, -1, 2, 0, 0, 3], [3, 2]));
  const bias = b.constant(float32([0.5, -1], [2]));
  const y = b.relu(b.add(b.matmul(x, w), bias));
  const positive = b.greater(y, 0);
  const count = b.reduceSum(b.cast(positive, "int64"), [1]);
  return b.build("dense", { y, positive, count });
}

test("runs a graph and returns host tensors of each dtype", async () => {
  const session = await OrtSession.create(denseGraph());
  try {
    assert.deepEqual(session.inputNames, ["x"]);
    assert.deepEqual(session.outputNames, ["y", "positive", "count"]);
    const out = await session.run({ x: float32([1, 2, 3, -1, 0, 1], [2, 3]) });
    // row 0: [1 + 4 + 0.5, -1 + 9 - 1] = [5.5, 7]; row 1: [-1 + 0.5, 1 + 3 - 1] -> relu [0, 3]
    assert.deepEqual(out["y"], float32([5.5, 7, 0, 3], [2, 2]));
    assert.deepEqual(out["positive"], bool([1, 1, 0, 1], [2, 2]));
    assert.deepEqual(out["count"], int64([2, 1], [2]));
  } finally {
    await session.release();
  }
});

test("a session from bytes selects outputs and is reusable", async () => {
  const session = await OrtSession.create(toOnnxBytes(denseGraph()), { optimization: "all", threads: 1 });
  const first = await session.run({ x: float32([0, 0, 1], [1, 3]) }, ["count"]);
  assert.deepEqual(Object.keys(first), ["count"]);
  assert.deepEqual(first["count"], int64([2], [1])); // x @ w + b = [0.5, 2]
  const second = await session.run({ x: float32([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]) }, ["y"]);
  assert.deepEqual(second["y"], float32([1.5, 0, 2.5, 0, 0.5, 2], [3, 2]));
  await session.release();
  await assert.rejects(session.run({ x: float32([0, 0, 1], [1, 3]) }), /run\(\) called after release\(\)/);
});

test("bool feeds, and inputs declared but unused by the outputs", async () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [4]);
  const mask = b.input("mask", "bool", [4]);
  const step = b.input("step", "int64", []);
  const graph = b.build("masked", { y: b.where(mask, b.neg(x), x) }, { inputs: [x, mask, step] });
  const session = await OrtSession.create(graph);
  try {
    assert.deepEqual(session.inputNames, ["x", "mask", "step"]);
    const out = await session.run({
      x: float32([1, 2, 3, 4], [4]),
      mask: bool([1, 0, 1, 0], [4]),
      step: int64([3], []),
    });
    assert.deepEqual(out["y"], float32([-1, 2, -3, 4], [4]));
  } finally {
    await session.release();
  }
});

test("outputs that are inputs, constants or repeated values run through ORT", async () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const c = b.constant(float32([10, 20], [2]));
  const y = b.add(x, c);
  const session = await OrtSession.create(b.build("echo", { y, again: y, x, echo: x, weights: c }));
  try {
    const out = await session.run({ x: float32([1, 2], [2]) });
    assert.deepEqual(Object.keys(out), ["y", "again", "x", "echo", "weights"]);
    assert.deepEqual(out["again"], float32([11, 22], [2]));
    assert.deepEqual(out["x"], float32([1, 2], [2]));
    assert.deepEqual(out["echo"], float32([1, 2], [2]));
    assert.deepEqual(out["weights"], float32([10, 20], [2]));
  } finally {
    await session.release();
  }
});

test("missing, unknown and extra feeds fail before ONNX Runtime, naming declared and fed inputs", async () => {
  const b = new GraphBuilder();
  const tokens = b.input("tokens", "int64", ["batch", "len"]);
  const scale = b.input("scale", "float32", [1]);
  const graph = b.build("two", { y: b.mul(b.cast(tokens, "float32"), scale) });
  const session = await OrtSession.create(graph);
  try {
    await assert.rejects(session.run({ tokens: int64([1, 2], [1, 2]) }), (error: Error) => {
      assert.match(error.message, /graph "two": missing feeds: scale/);
      assert.match(error.message, /tokens: declared int64 \[batch, len\], fed int64 \[1, 2\]/);
      assert.match(error.message, /scale: declared float32 \[1\], fed nothing/);
      return true;
    });
    const feeds = { tokens: int64([1], [1, 1]), scale: float32([2], [1]), extra: float32([0], [1]) };
    await assert.rejects(
      session.run(feeds),
      /unknown feeds: extra[\s\S]*extra: not an input, fed float32 \[1\]/,
    );
    const ok = { tokens: int64([1], [1, 1]), scale: float32([2], [1]) };
    await assert.rejects(session.run(ok, ["nope"]), /unknown outputs requested: nope \(outputs are y\)/);
    assert.deepEqual((await session.run(ok))["y"], float32([2], [1, 1]));
  } finally {
    await session.release();
  }
});

test("ONNX Runtime errors at run time carry ORT's message and the declared vs fed dims", async () => {
  const session = await OrtSession.create(denseGraph());
  try {
    await assert.rejects(session.run({ x: float32([1, 2, 3, 4], [1, 4]) }), (error: Error) => {
      assert.match(error.message, /^ONNX Runtime failed to run graph "dense": .*invalid dimensions/);
      assert.match(error.message, /x: declared float32 \[batch, 3\], fed float32 \[1, 4\]/);
      return true;
    });
    await assert.rejects(
      session.run({ x: int64([1, 2, 3], [1, 3]) }),
      /Unexpected input data type[\s\S]*x: declared float32 \[batch, 3\], fed int64 \[1, 3\]/,
    );
    await assert.rejects(
      session.run({ x: { dtype: "float32", dims: [2, 3], data: new Float32Array(5) } }),
      /tensor data has 5 elements but dims \[2, 3\] need 6[\s\S]*fed float32 \[2, 3\]/,
    );
  } finally {
    await session.release();
  }
});

test("ONNX Runtime errors at load time name the graph and its inputs", async () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["n"]);
  const i = b.input("i", "int64", ["n"]);
  // Bypass the builder's dtype check to make a graph ORT rejects.
  const [bad] = b.emit("Add", [x, i], {}, [{ dtype: "float32", shape: ["n"] }]);
  await assert.rejects(OrtSession.create(b.build("broken", { bad: bad! })), (error: Error) => {
    assert.match(error.message, /^ONNX Runtime could not load graph "broken": /);
    assert.match(error.message, /x: declared float32 \[n\]\n {2}i: declared int64 \[n\]/);
    return true;
  });
  await assert.rejects(
    OrtSession.create(Uint8Array.of(1, 2, 3, 4)),
    /^Error: ONNX Runtime could not load ONNX model/,
  );
});
