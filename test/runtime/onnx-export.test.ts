// Checks the IR -> ONNX lowering: model header, inputs, initializers, output naming and per-op rules.
// Numerical behaviour under ONNX Runtime is covered by parity.test.ts.

import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import {
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  type TypeProto_Tensor,
  type ValueInfoProto,
} from "onnx-buf";
import { GraphBuilder } from "../../src/graph/builder.ts";
import { float32, int64 } from "../../src/graph/tensor.ts";
import { IR_VERSION, toModelProto, toOnnxBytes } from "../../src/runtime/onnx-export.ts";

function tensorTypeOf(info: ValueInfoProto): TypeProto_Tensor {
  const type = info.type?.value;
  assert.ok(type?.case === "tensorType", `${info.name} is not a tensor`);
  return type.value;
}

function dimsOf(info: ValueInfoProto): Array<number | string> {
  return tensorTypeOf(info).shape!.dim.map((d) =>
    d.value.case === "dimValue" ? Number(d.value.value) : String(d.value.value),
  );
}

function elemTypeOf(info: ValueInfoProto): number {
  return tensorTypeOf(info).elemType;
}

function attr(node: NodeProto, name: string): { i: bigint; f: number; ints: bigint[]; s: string } {
  const a = node.attribute.find((x) => x.name === name);
  assert.ok(a, `node ${node.name} has no attribute ${name}`);
  return { i: a.i, f: a.f, ints: a.ints, s: new TextDecoder().decode(a.s) };
}

function ops(model: ModelProto): string[] {
  return model.graph!.node.map((n) => n.opType);
}

test("model header: IR version, opset 18, producer", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const model = toModelProto(b.build("g", { y: b.neg(x) }), { docString: "hello" });
  assert.equal(model.irVersion, BigInt(IR_VERSION));
  assert.deepEqual(
    model.opsetImport.map((o) => [o.domain, o.version]),
    [["", 18n]],
  );
  assert.equal(model.producerName, "seq2seq-ts");
  assert.equal(model.docString, "hello");
  assert.equal(toModelProto(b.build("g", { y: b.neg(x) }), { opset: 19 }).opsetImport[0]!.version, 19n);
});

test("inputs and outputs carry elem types and dim_value / dim_param dims", () => {
  const b = new GraphBuilder();
  const tokens = b.input("tokens", "int64", ["batch", "srcLen"]);
  const mask = b.input("mask", "bool", ["batch", 1]);
  const x = b.input("x", "float32", ["batch", 4]);
  const model = toModelProto(b.build("g", { y: b.relu(x), m: b.not(mask), t: b.add(tokens, 1) }));
  const g = model.graph!;
  assert.deepEqual(
    g.input.map((i) => [i.name, elemTypeOf(i), dimsOf(i)]),
    [
      ["tokens", 7, ["batch", "srcLen"]],
      ["mask", 9, ["batch", 1]],
      ["x", 1, ["batch", 4]],
    ],
  );
  assert.deepEqual(
    g.output.map((o) => [o.name, elemTypeOf(o), dimsOf(o)]),
    [
      ["y", 1, ["batch", 4]],
      ["m", 9, ["batch", 1]],
      ["t", 7, ["batch", "srcLen"]],
    ],
  );
});

test("constants become little-endian raw_data initializers, one per Constant node", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [3]);
  const w = b.constant(float32([1.5, -2, 0.25], [3]));
  const idx = b.constant(int64([-1, 2 ** 40], [2]));
  const flags = b.constant({ dtype: "bool", dims: [2], data: Uint8Array.of(1, 0) });
  const y = b.mul(b.add(x, w), w);
  const graph = b.build("g", { y, i: b.neg(idx), f: b.not(flags) });
  const inits = toModelProto(graph).graph!.initializer;
  assert.equal(inits.length, 3);
  const byType = new Map(inits.map((t) => [t.dataType, t]));
  const wInit = byType.get(1)!;
  assert.deepEqual(wInit.dims, [3n]);
  assert.deepEqual(Array.from(new Float32Array(wInit.rawData.slice().buffer)), [1.5, -2, 0.25]);
  const iInit = byType.get(7)!;
  const view = new DataView(iInit.rawData.slice().buffer);
  assert.equal(view.getBigInt64(0, true), -1n);
  assert.equal(view.getBigInt64(8, true), 2n ** 40n);
  assert.deepEqual(Array.from(byType.get(9)!.rawData), [1, 0]);
  // `w` is read by two nodes but stored once, named like the value it defines.
  const model = toModelProto(graph);
  const uses = model.graph!.node.flatMap((n) => n.input).filter((name) => name === wInit.name);
  assert.equal(uses.length, 2);
});

test("large constants are not copied while building the proto", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [1, 1024]);
  const data = new Float32Array(1024 * 2048).fill(0.5);
  const w = b.constant({ dtype: "float32", dims: [1024, 2048], data });
  const model = toModelProto(b.build("g", { y: b.matmul(x, w) }));
  const raw = model.graph!.initializer[0]!.rawData;
  assert.equal(raw.buffer, data.buffer);
  assert.equal(raw.byteLength, data.byteLength);
  const bytes = toOnnxBytes(b.build("g", { y: b.matmul(x, w) }));
  assert.ok(bytes.length > data.byteLength);
});

test("output names: renamed producer, Identity for inputs, constants and repeated values", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const c = b.constant(float32([1, 2], [2]));
  const y = b.add(x, c);
  const model = toModelProto(b.build("g", { y, again: y, echo: x, weights: c }));
  const g = model.graph!;
  assert.deepEqual(
    g.output.map((o) => o.name),
    ["y", "again", "echo", "weights"],
  );
  const producer = g.node.find((n) => n.opType === "Add")!;
  assert.deepEqual(producer.output, ["y"]);
  const identities = g.node.filter((n) => n.opType === "Identity").map((n) => [n.input[0], n.output[0]]);
  assert.deepEqual(identities, [
    ["y", "again"],
    ["x", "echo"],
    [g.initializer[0]!.name, "weights"],
  ]);
  // Every node has a unique readable name; internal values are v<id>.
  const names = g.node.map((n) => n.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.every((n) => /^[A-Za-z]+_\w+/.test(n)));
  assert.match(g.initializer[0]!.name, /^v\d+$/);
});

test("MatMul lowering: transposes materialised before MatMul, the wide-A weight gradient as a transposed product, Gemm only for a bias", () => {
  const b = new GraphBuilder();
  const a = b.input("a", "float32", [3, 4]);
  const w = b.input("w", "float32", [5, 4]);
  const bias = b.input("bias", "float32", [5]);
  // Aᵀ·A: the transpose is its own node feeding an untransposed MatMul.
  const plainModel = toModelProto(b.build("g", { y: b.matmul(a, a, { transA: true }) }));
  const plain = plainModel.graph!;
  assert.deepEqual(ops(plainModel), ["Transpose", "MatMul"]);
  assert.deepEqual(attr(plain.node[0]!, "perm").ints, [1n, 0n]);
  assert.equal(plain.node[0]!.input[0], "a");
  assert.deepEqual(plain.node[1]!.input, [plain.node[0]!.output[0], "a"]);
  assert.ok(plain.node.every((n) => n.attribute.every((x) => x.name !== "transA")));
  // A linear layer x·Wᵀ + b: W transposed once, then Gemm with the bias as C and no transpose flags.
  const linearModel = toModelProto(b.build("g", { y: b.matmul(a, w, { transB: true, bias }) }));
  const linear = linearModel.graph!;
  assert.deepEqual(ops(linearModel), ["Transpose", "Gemm"]);
  assert.equal(linear.node[1]!.input[2], "bias");
  assert.equal(linear.node[1]!.attribute.length, 0);
  // Aᵀ·B with A [k, m] more than twice as wide as B [k, n] (the output layer's dW): Cᵀ = Bᵀ·A, then transposed.
  const wide = b.input("wide", "float32", [3, 10]);
  const dWModel = toModelProto(b.build("g", { y: b.matmul(wide, a, { transA: true }) }));
  const dW = dWModel.graph!;
  assert.deepEqual(ops(dWModel), ["Transpose", "MatMul", "Transpose"]);
  assert.equal(dW.node[0]!.input[0], "a");
  assert.deepEqual(dW.node[1]!.input, [dW.node[0]!.output[0], "wide"]);
  assert.equal(dW.node[2]!.output[0], "y");
  // Above rank 2 the same: the transpose swaps the last two axes.
  const q = b.input("q", "float32", [2, 8, 3, 4]);
  const k = b.input("k", "float32", [2, 8, 5, 4]);
  const model = toModelProto(b.build("g", { s: b.matmul(q, k, { transB: true }) }));
  assert.deepEqual(ops(model), ["Transpose", "MatMul"]);
  assert.deepEqual(attr(model.graph!.node[0]!, "perm").ints, [0n, 1n, 3n, 2n]);
  assert.equal(model.graph!.node[0]!.input[0], "k");
  assert.equal(model.graph!.node[1]!.input[1], model.graph!.node[0]!.output[0]);
});

test("ReduceSum over leading axes with static trailing dims is exported as a product with a row of ones", () => {
  const b = new GraphBuilder();
  const g = b.input("g", "float32", ["tokens", 6]);
  const h = b.input("h", "float32", ["batch", "len", 6]);
  const bias = toModelProto(b.build("g", { db: b.reduceSum(g, [0]) }));
  assert.deepEqual(ops(bias), ["Shape", "Concat", "ConstantOfShape", "MatMul", "Reshape"]);
  const matmul = bias.graph!.node.find((n) => n.opType === "MatMul")!;
  assert.equal(matmul.input[1], "g"); // ones[1, tokens] · g[tokens, 6]
  // Reductions over the same (symbolic) row count share one row of ones.
  const g3 = b.input("g3", "float32", ["tokens", 3]);
  const two = toModelProto(b.build("g", { a: b.reduceSum(g, [0]), b: b.reduceSum(g3, [0]) }));
  assert.equal(ops(two).filter((op) => op === "ConstantOfShape").length, 1);
  assert.equal(ops(two).filter((op) => op === "MatMul").length, 2);
  const norm = toModelProto(b.build("g", { s: b.reduceSum(h, [0, 1]) }));
  assert.deepEqual(ops(norm).slice(0, 2), ["Reshape", "Shape"]); // [batch, len, 6] -> [rows, 6] first
  // Anything else stays a ReduceSum: the last axis, int64, a symbolic trailing dim.
  const i = b.input("i", "int64", ["tokens", 6]);
  const other = toModelProto(
    b.build("g", { last: b.reduceSum(g, [1]), int: b.reduceSum(i, [0]), sym: b.reduceSum(h, [0]) }),
  );
  assert.deepEqual(ops(other), ["ReduceSum", "ReduceSum", "ReduceSum"]);
});

test("FusedMatMul (com.microsoft) for batched transposed products only when ONNX Runtime's ops are allowed", () => {
  const b = new GraphBuilder();
  const p = b.input("p", "float32", ["batch", 4, 5, 5]);
  const d = b.input("d", "float32", ["batch", 4, 5, 8]);
  const graph = b.build("g", { dv: b.matmul(p, d, { transA: true }) });
  const standard = toModelProto(graph);
  assert.deepEqual(ops(standard), ["Transpose", "MatMul"]);
  assert.deepEqual(
    standard.opsetImport.map((o) => o.domain),
    [""],
  );
  const ort = toModelProto(graph, { onnxruntimeOps: true });
  assert.deepEqual(ops(ort), ["FusedMatMul"]);
  const fused = ort.graph!.node[0]!;
  assert.equal(fused.domain, "com.microsoft");
  assert.equal(attr(fused, "transA").i, 1n);
  assert.equal(attr(fused, "transB").i, 0n);
  assert.deepEqual(
    ort.opsetImport.map((o) => [o.domain, o.version]),
    [
      ["", 18n],
      ["com.microsoft", 1n],
    ],
  );
});

test("attribute lowering: Cast enum, Reduce keepdims, RandomUniformLike seed, Conv 1-D, Shape slice", () => {
  const b = new GraphBuilder({ seed: 7 });
  const x = b.input("x", "float32", ["batch", 2, 9]);
  const w = b.constant(float32(new Array(3 * 2 * 3).fill(0.1), [3, 2, 3]));
  const outs = {
    c: b.cast(x, "int64"),
    r: b.reduceMean(x, [2], true),
    u: b.randomUniformLike(x),
    v: b.conv1d(x, w, undefined, { stride: 2, padding: 1 }),
    s: b.shapeOf(x, 1, 3),
  };
  const nodes = toModelProto(b.build("g", outs)).graph!.node;
  const find = (op: string) => nodes.find((n) => n.opType === op)!;
  assert.equal(attr(find("Cast"), "to").i, 7n);
  assert.equal(attr(find("ReduceMean"), "keepdims").i, 1n);
  assert.equal(find("ReduceMean").input.length, 2);
  const rnd = find("RandomUniformLike");
  assert.equal(attr(rnd, "seed").f, outs.u.node.attrs["seed"]);
  assert.equal(attr(rnd, "dtype").i, 1n);
  assert.equal(attr(rnd, "high").f, 1);
  const conv = find("Conv");
  assert.deepEqual(attr(conv, "strides").ints, [2n]);
  assert.deepEqual(attr(conv, "pads").ints, [1n, 1n]);
  assert.deepEqual(attr(conv, "kernel_shape").ints, [3n]);
  assert.equal(
    conv.attribute.some((a) => a.name === "kernel"),
    false,
  );
  assert.equal(attr(find("Shape"), "start").i, 1n);
  assert.equal(attr(find("Shape"), "end").i, 3n);
});

test("bytes round-trip through the protobuf schema", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["n", 2]);
  const graph = b.build("g", { y: b.softmax(b.mul(x, 2), 1) });
  const decoded = fromBinary(ModelProtoSchema, toOnnxBytes(graph));
  assert.deepEqual(ops(decoded), ["Mul", "Softmax"]);
  assert.equal(attr(decoded.graph!.node[1]!, "axis").i, 1n);
  assert.deepEqual(dimsOf(decoded.graph!.output[0]!), ["n", 2]);
});

test("errors: an undeclared input and a clashing tensor name are named", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  const y = b.input("y", "float32", [2]);
  assert.throws(
    () => toModelProto(b.build("g", { z: b.add(x, y) }, { inputs: [x] })),
    /graph "g" uses input "y" that is not among its declared inputs/,
  );
  assert.throws(() => toModelProto(b.build("g", { x: b.add(x, y) })), /tensor name "x" is used twice/);
});
