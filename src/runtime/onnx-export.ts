// Lowers an IR graph to an ONNX ModelProto (opset 18): one lowering rule per op in a table that
// TypeScript checks for coverage. Inputs become graph inputs and Constants become initializers.

import { create, toBinary } from "@bufbuild/protobuf";
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from "onnx-buf";
import type { Graph, Node, OpType, Value } from "../graph/ir.ts";
import { attrNumber, attrNumbers } from "../graph/ir.ts";
import type { Shape } from "../graph/shape.ts";
import { type DType, float32, type HostTensor, int64 } from "../graph/tensor.ts";

/** ONNX IR version of every model: 9 (ONNX 1.14) is read by ORT >= 1.15; ORT 1.30 accepts 3..13 with opset 18. */
export const IR_VERSION = 9;
export const DEFAULT_OPSET = 18;

export interface ExportOptions {
  /** Default opset version of the ai.onnx domain (18). */
  opset?: number;
  producerName?: string;
  docString?: string;
  /**
   * Allow ONNX Runtime's own operators (domain com.microsoft) where they beat the standard lowering: FusedMatMul
   * for a transposed operand above rank 2 (attention's Pᵀ·dO). For graphs this process runs in ORT; files for
   * other runtimes keep it off (the default).
   */
  onnxruntimeOps?: boolean;
}

/** The domain of ONNX Runtime's contrib operators. */
const ORT_DOMAIN = "com.microsoft";

const ELEM_TYPES: Record<DType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/** The ONNX TensorProto.DataType enum value of one of our dtypes. */
export function onnxElemType(dtype: DType): number {
  return ELEM_TYPES[dtype];
}

// ---- protos from host data -------------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** A TensorProto holding `tensor` as little-endian raw_data: a view of the typed array, not a copy. */
export function toTensorProto(name: string, tensor: HostTensor): TensorProto {
  if (!LITTLE_ENDIAN)
    throw new Error("ONNX export needs a little-endian machine (raw_data is little-endian)");
  const { buffer, byteOffset, byteLength } = tensor.data;
  // Only a SharedArrayBuffer-backed tensor is copied (protobuf-es wants an ArrayBuffer).
  const rawData =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer, byteOffset, byteLength)
      : new Uint8Array(new Uint8Array(buffer, byteOffset, byteLength));
  return create(TensorProtoSchema, {
    name,
    dims: tensor.dims.map((d) => BigInt(d)),
    dataType: ELEM_TYPES[tensor.dtype],
    rawData,
  });
}

/** A ValueInfoProto: element type plus dims (numbers as dim_value, names as dim_param). */
export function valueInfo(name: string, dtype: DType, shape: Shape): ValueInfoProto {
  const dim = shape.map((d) =>
    create(TensorShapeProto_DimensionSchema, {
      value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d },
    }),
  );
  const tensorType = create(TypeProto_TensorSchema, {
    elemType: ELEM_TYPES[dtype],
    shape: create(TensorShapeProtoSchema, { dim }),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }),
  });
}

const A = AttributeProto_AttributeType;

function intAttr(name: string, i: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: A.INT, i: BigInt(i) });
}
function intsAttr(name: string, ints: readonly number[]): AttributeProto {
  return create(AttributeProtoSchema, { name, type: A.INTS, ints: ints.map((v) => BigInt(v)) });
}
function floatAttr(name: string, f: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: A.FLOAT, f });
}
function stringAttr(name: string, s: string): AttributeProto {
  return create(AttributeProtoSchema, { name, type: A.STRING, s: new TextEncoder().encode(s) });
}
function tensorAttr(name: string, t: HostTensor): AttributeProto {
  return create(AttributeProtoSchema, { name, type: A.TENSOR, t: toTensorProto("", t) });
}

// ---- the lowering context and table ----------------------------------------------------------

/** What a lowering rule may do: name values, emit ONNX nodes, add initializers. */
interface LowerContext {
  readonly graph: Graph;
  readonly options: ExportOptions;
  /** Helper tensors a rule emitted once for the whole graph, by a key the rule chooses. */
  readonly shared: Map<string, string>;
  /** The ONNX tensor name of an IR value. */
  name(value: Value): string;
  /** Appends an ONNX node. */
  emit(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: AttributeProto[],
    nodeName: string,
    domain?: string,
  ): void;
  addInitializer(proto: TensorProto): void;
}

type LowerFn = (node: Node, ctx: LowerContext) => void;

function nodeName(node: Node, suffix = ""): string {
  return `${node.op}_${node.id}${suffix}`;
}

/** Emits the same ONNX op with the IR node's inputs and outputs and the given attributes. */
function direct(attrs: (node: Node) => AttributeProto[] = () => []): LowerFn {
  return (node, ctx) =>
    ctx.emit(
      node.op,
      node.inputs.map((v) => ctx.name(v)),
      node.outputs.map((v) => ctx.name(v)),
      attrs(node),
      nodeName(node),
    );
}

const axisAttr = (node: Node) => [intAttr("axis", attrNumber(node, "axis"))];
const keepdimsAttr = (node: Node) => [intAttr("keepdims", attrNumber(node, "keepdims", 1))];
const reductionAttr = (node: Node): AttributeProto[] => [
  stringAttr("reduction", String(node.attrs["reduction"] ?? "none")),
];

function lowerInput(node: Node, ctx: LowerContext): void {
  const value = node.outputs[0]!;
  if (!ctx.graph.inputs.some((i) => i.value.id === value.id)) {
    throw new Error(
      `graph "${ctx.graph.name}" uses input "${String(node.attrs["name"])}" that is not among its declared inputs`,
    );
  }
}

function lowerConstant(node: Node, ctx: LowerContext): void {
  ctx.addInitializer(toTensorProto(ctx.name(node.outputs[0]!), node.attrs["value"] as HostTensor));
}

function lowerCast(node: Node, ctx: LowerContext): void {
  const to = node.attrs["to"] as DType;
  if (!(to in ELEM_TYPES)) throw new Error(`Cast node ${node.id}: unknown target dtype "${String(to)}"`);
  direct(() => [intAttr("to", ELEM_TYPES[to])])(node, ctx);
}

/** Swaps the last two dims: ONNX Transpose's perm for a rank-r tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * MatMul with transA/transB, lowered so that MLAS multiplies untransposed operands: its kernels run a transposed
 * operand 20–50% slower than the same product on a copy transposed by an explicit Transpose, which costs one
 * pass over the smaller operand (npm run bench:matmul; BENCHMARKS.md, "Engine"). With a bias: Gemm with C.
 */
function lowerMatMul(node: Node, ctx: LowerContext): void {
  const [a, b, bias] = node.inputs as [Value, Value, Value | undefined];
  const transA = attrNumber(node, "transA", 0);
  const transB = attrNumber(node, "transB", 0);
  const out = ctx.name(node.outputs[0]!);
  const transposed = (input: string, rank: number, output: string, tag: string): string => {
    const perm = intsAttr("perm", swapLastTwo(rank));
    ctx.emit("Transpose", [input], [output], [perm], nodeName(node, `/transpose${tag}`));
    return output;
  };
  const operand = (v: Value, trans: number, tag: string): string =>
    trans === 0 ? ctx.name(v) : transposed(ctx.name(v), v.shape.length, `v${node.id}_${tag}T`, tag);
  const batched = a.shape.length > 2 || b.shape.length > 2;
  if (ctx.options.onnxruntimeOps && batched && !bias && a.dtype === "float32" && (transA || transB)) {
    // ORT's ONNX Transpose swaps the last two axes of small matrices element by element (≈3× the product's
    // own time for attention's [batch, heads, len, len]); FusedMatMul reads the operand transposed instead.
    const attrs = [intAttr("transA", transA), intAttr("transB", transB), floatAttr("alpha", 1)];
    ctx.emit("FusedMatMul", [ctx.name(a), ctx.name(b)], [out], attrs, nodeName(node), ORT_DOMAIN);
    return;
  }
  const [m, n] = [a.shape.at(-1), b.shape.at(-1)];
  if (transA === 1 && transB === 0 && !bias && typeof m === "number" && typeof n === "number" && m > 2 * n) {
    // A [k, m] much wider than B [k, n] (the output layer's weight gradient, m = vocabulary): transposing A would
    // copy the largest tensor of the step, so compute Cᵀ = Bᵀ·A [n, m] and transpose that instead.
    const productT = `v${node.id}_CT`;
    const rank = node.outputs[0]!.shape.length;
    ctx.emit("MatMul", [operand(b, 1, "B"), ctx.name(a)], [productT], [], nodeName(node, "/transposed"));
    transposed(productT, rank, out, "C");
    return;
  }
  const inputs = [operand(a, transA, "A"), operand(b, transB, "B")];
  if (bias) ctx.emit("Gemm", [...inputs, ctx.name(bias)], [out], [], nodeName(node));
  else ctx.emit("MatMul", inputs, [out], [], nodeName(node));
}

/** The axes a reduction node reads from its constant second input, or undefined when they are computed. */
function constantAxes(node: Node): number[] | undefined {
  const axes = node.inputs[1];
  if (axes?.node.op !== "Constant") return undefined;
  return Array.from((axes.node.attrs["value"] as HostTensor).data as ArrayLike<number | bigint>, Number);
}

/**
 * ReduceSum over leading axes of a float tensor with static trailing dims (bias and layer-norm gradients:
 * [tokens, n] -> [n]) as the product ones[1, rows] · x[rows, n]: ORT's ReduceSum over a leading axis runs
 * ≈2.5× slower than that GEMV (BENCHMARKS.md, "Engine"). Any other ReduceSum is emitted as is.
 */
function lowerReduceSum(node: Node, ctx: LowerContext): void {
  const x = node.inputs[0]!;
  const axes = constantAxes(node);
  const k = axes?.length ?? 0;
  const trailing = x.shape.slice(k);
  const leading = axes !== undefined && k > 0 && axes.every((a, i) => a === i);
  if (
    x.dtype !== "float32" ||
    !leading ||
    trailing.length === 0 ||
    !trailing.every((d) => typeof d === "number")
  ) {
    direct(keepdimsAttr)(node, ctx);
    return;
  }
  const columns = (trailing as number[]).reduce((p, d) => p * d, 1);
  const local = (tag: string) => `v${node.id}_${tag}`;
  const emit = (op: string, inputs: string[], output: string, attrs: AttributeProto[] = []) =>
    ctx.emit(op, inputs, [output], attrs, nodeName(node, `/${tag(output)}`));
  const tag = (output: string) => output.replace(`v${node.id}_`, "");
  const constant = (name: string, values: number[]) =>
    ctx.addInitializer(toTensorProto(local(name), int64(values, [values.length])));
  let rows = ctx.name(x);
  if (x.shape.length !== 2) {
    constant("flatShape", [-1, columns]);
    emit("Reshape", [ctx.name(x), local("flatShape")], local("rows")); // [rows, columns]
    rows = local("rows");
  }
  // One row of ones per row count: reductions whose leading dims have the same (symbolic) sizes share it.
  const key = `ones[${x.shape.slice(0, k).join("*")}]`;
  let ones = ctx.shared.get(key);
  if (ones === undefined) {
    constant("one", [1]);
    emit("Shape", [rows], local("count"), [intAttr("start", 0), intAttr("end", 1)]); // [1]: rows
    emit("Concat", [local("one"), local("count")], local("onesShape"), [intAttr("axis", 0)]); // [1, rows]
    emit("ConstantOfShape", [local("onesShape")], local("ones"), [tensorAttr("value", float32([1], [1]))]);
    ones = local("ones");
    ctx.shared.set(key, ones);
  }
  const out = ctx.name(node.outputs[0]!);
  const keep = attrNumber(node, "keepdims", 1) === 1;
  emit("MatMul", [ones, rows], local("sum")); // [1, columns]
  constant("outShape", keep ? [...Array(k).fill(1), ...(trailing as number[])] : (trailing as number[]));
  emit("Reshape", [local("sum"), local("outShape")], out);
}

function lowerRandomUniformLike(node: Node, ctx: LowerContext): void {
  const dtype = (node.attrs["dtype"] ?? "float32") as DType;
  direct(() => [
    floatAttr("seed", attrNumber(node, "seed")),
    intAttr("dtype", ELEM_TYPES[dtype]),
    floatAttr("low", 0),
    floatAttr("high", 1),
  ])(node, ctx);
}

/**
 * SoftmaxCrossEntropyLoss (no reduction) as LogSoftmax + GatherElements. onnxruntime-node has no kernel
 * for it and expands ONNX's function body, which transposes the [n, classes] scores to [n, 1, classes]
 * and back: two full copies of the largest tensor of a training step (≈ 15% of its non-matmul time).
 * scores [n, C], labels [n] -> loss [n] (0 at ignore_index), logProb [n, C].
 */
function lowerSoftmaxCrossEntropyLoss(node: Node, ctx: LowerContext): void {
  const [scores, labels] = node.inputs.map((v) => ctx.name(v)) as [string, string];
  const [loss, logProb] = node.outputs.map((v) => ctx.name(v)) as [string, string];
  const local = (tag: string) => `v${node.id}_${tag}`;
  const emit = (op: string, inputs: string[], output: string, attrs: AttributeProto[] = []) =>
    ctx.emit(op, inputs, [output], attrs, nodeName(node, `/${output}`));
  const ignore = node.attrs["ignore_index"];
  ctx.addInitializer(toTensorProto(local("axis1"), int64([1], [1])));
  emit("LogSoftmax", [scores], logProb, [intAttr("axis", -1)]);
  let safeLabels = labels;
  if (ignore !== undefined) {
    // An ignored label may lie outside [0, C): gather at class 0 instead, then zero the loss there.
    ctx.addInitializer(toTensorProto(local("ignore"), int64([attrNumber(node, "ignore_index")], [])));
    ctx.addInitializer(toTensorProto(local("zeroId"), int64([0], [])));
    ctx.addInitializer(toTensorProto(local("zero"), float32([0], [])));
    emit("Equal", [labels, local("ignore")], local("ignored"));
    emit("Where", [local("ignored"), local("zeroId"), labels], local("safe"));
    safeLabels = local("safe");
  }
  emit("Unsqueeze", [safeLabels, local("axis1")], local("column")); // [n, 1]
  emit("GatherElements", [logProb, local("column")], local("picked"), [intAttr("axis", 1)]); // [n, 1]
  emit("Squeeze", [local("picked"), local("axis1")], local("pickedFlat")); // [n]
  if (ignore === undefined) {
    emit("Neg", [local("pickedFlat")], loss);
  } else {
    emit("Neg", [local("pickedFlat")], local("nll"));
    emit("Where", [local("ignored"), local("zero"), local("nll")], loss);
  }
}

function convAttrs(node: Node): AttributeProto[] {
  const attrs = [
    intsAttr("strides", attrNumbers(node, "strides")),
    intsAttr("pads", attrNumbers(node, "pads")),
  ];
  const kernel = attrNumber(node, "kernel", 0);
  if (kernel > 0) attrs.push(intsAttr("kernel_shape", [kernel]));
  return attrs;
}

function shapeAttrs(node: Node): AttributeProto[] {
  const attrs: AttributeProto[] = [];
  if (node.attrs["start"] !== undefined) attrs.push(intAttr("start", attrNumber(node, "start")));
  if (node.attrs["end"] !== undefined) attrs.push(intAttr("end", attrNumber(node, "end")));
  return attrs;
}

/** One rule per IR op: adding an op to OP_TYPES without a rule here is a type error. */
const LOWERINGS: Record<OpType, LowerFn> = {
  Input: lowerInput,
  Constant: lowerConstant,
  Identity: direct(),
  Neg: direct(),
  Exp: direct(),
  Log: direct(),
  Tanh: direct(),
  Sigmoid: direct(),
  Relu: direct(),
  Sqrt: direct(),
  Reciprocal: direct(),
  Abs: direct(),
  Erf: direct(),
  Sin: direct(),
  Cos: direct(),
  Not: direct(),
  Cast: lowerCast,
  Add: direct(),
  Sub: direct(),
  Mul: direct(),
  Div: direct(),
  Pow: direct(),
  Max: direct(),
  Min: direct(),
  Equal: direct(),
  Less: direct(),
  LessOrEqual: direct(),
  Greater: direct(),
  GreaterOrEqual: direct(),
  And: direct(),
  Or: direct(),
  Where: direct(),
  MatMul: lowerMatMul,
  ReduceSum: lowerReduceSum,
  ReduceMean: direct(keepdimsAttr),
  ReduceMax: direct(keepdimsAttr),
  Softmax: direct(axisAttr),
  LogSoftmax: direct(axisAttr),
  LayerNormalization: direct((node) => [
    intAttr("axis", -1),
    floatAttr("epsilon", attrNumber(node, "epsilon")),
  ]),
  SoftmaxCrossEntropyLoss: lowerSoftmaxCrossEntropyLoss,
  Reshape: direct(),
  Transpose: direct((node) => [intsAttr("perm", attrNumbers(node, "perm"))]),
  Concat: direct(axisAttr),
  Slice: direct(),
  Unsqueeze: direct(),
  Squeeze: direct(),
  Expand: direct(),
  Pad: direct(() => [stringAttr("mode", "constant")]),
  Gather: direct(axisAttr),
  GatherElements: direct(axisAttr),
  ScatterND: direct(reductionAttr),
  ScatterElements: direct((node) => [...axisAttr(node), ...reductionAttr(node)]),
  Shape: direct(shapeAttrs),
  ConstantOfShape: direct((node) => [tensorAttr("value", node.attrs["value"] as HostTensor)]),
  Range: direct(),
  RandomUniformLike: lowerRandomUniformLike,
  Conv: direct(convAttrs),
};

// ---- graph assembly --------------------------------------------------------------------------

/** Values that can carry a graph output's name directly: computed, and the first output they feed. */
function outputRenames(graph: Graph): Map<number, string> {
  const renames = new Map<number, string>();
  for (const out of graph.outputs) {
    const op = out.value.node.op;
    if (op === "Input" || op === "Constant" || renames.has(out.value.id)) continue;
    renames.set(out.value.id, out.name);
  }
  return renames;
}

function checkUniqueNames(graph: Graph, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new Error(
        `graph "${graph.name}": tensor name "${name}" is used twice (output names must differ from input names and from internal names v<id>)`,
      );
    }
    seen.add(name);
  }
}

/** Lowers an IR graph to an ONNX ModelProto with the weights as initializers. */
export function toModelProto(graph: Graph, options: ExportOptions = {}): ModelProto {
  const inputNames = new Map(graph.inputs.map((i) => [i.value.id, i.name]));
  const renames = outputRenames(graph);
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const ctx: LowerContext = {
    graph,
    options,
    shared: new Map(),
    name: (v) => inputNames.get(v.id) ?? renames.get(v.id) ?? `v${v.id}`,
    emit: (opType, inputs, outputs, attribute, name, domain = "") => {
      nodes.push(
        create(NodeProtoSchema, {
          opType,
          domain,
          input: [...inputs],
          output: [...outputs],
          attribute,
          name,
        }),
      );
    },
    addInitializer: (proto) => initializers.push(proto),
  };
  for (const node of graph.nodes) LOWERINGS[node.op](node, ctx);
  for (const out of graph.outputs) {
    const source = ctx.name(out.value);
    if (source !== out.name) ctx.emit("Identity", [source], [out.name], [], `Output_${out.name}`);
  }
  checkUniqueNames(graph, [
    ...graph.inputs.map((i) => i.name),
    ...initializers.map((t) => t.name),
    ...nodes.flatMap((n) => n.output),
  ]);
  return create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(options.opset ?? DEFAULT_OPSET) }),
      ...(nodes.some((n) => n.domain === ORT_DOMAIN)
        ? [create(OperatorSetIdProtoSchema, { domain: ORT_DOMAIN, version: 1n })]
        : []),
    ],
    producerName: options.producerName ?? "seq2seq-ts",
    docString: options.docString ?? "",
    graph: create(GraphProtoSchema, {
      name: graph.name,
      node: nodes,
      initializer: initializers,
      input: graph.inputs.map((i) => valueInfo(i.name, i.value.dtype, i.value.shape)),
      output: graph.outputs.map((o) => valueInfo(o.name, o.value.dtype, o.value.shape)),
    }),
  });
}

/** Serialises `toModelProto(graph, options)` to the bytes of an .onnx file. */
export function toOnnxBytes(graph: Graph, options: ExportOptions = {}): Uint8Array {
  return toBinary(ModelProtoSchema, toModelProto(graph, options));
}
