// The builder API that model code calls: one method per primitive op, each inferring its output
// dtype and symbolic shape. Composites (softmax cross-entropy, layer norm, ...) live in composites.ts.

import type { Attrs, Graph, Node, OpType, Value } from "./ir.ts";
import { collectNodes } from "./ir.ts";
import { broadcastShapes, type Dim, formatShape, normAxis, type Shape, unknownDim } from "./shape.ts";
import { type DType, type HostTensor, int64 as int64Tensor, numel } from "./tensor.ts";

export interface BuilderOptions {
  /** Run seed: every random node gets its own seed derived from it. */
  seed?: number;
  /** The training step at which the graph is built, so a resumed run does not replay earlier masks. */
  seedOffset?: number;
}

type OutputSpec = { dtype: DType; shape: Shape };

/** Builds IR graphs. Values are immutable; every op call appends one node. */
export class GraphBuilder {
  private nextId = 0;
  private randomNodes = 0;
  private readonly inputs: Array<{ name: string; value: Value }> = [];
  private readonly smallConstants = new Map<string, Value>();
  readonly seed: number;
  readonly seedOffset: number;

  constructor(options: BuilderOptions = {}) {
    this.seed = options.seed ?? 0;
    this.seedOffset = options.seedOffset ?? 0;
  }

  /** Appends a node; used by the op methods below and by autodiff. */
  emit(op: OpType, inputs: readonly Value[], attrs: Attrs, outputs: readonly OutputSpec[]): Value[] {
    const values: Value[] = [];
    const node: Node = { id: this.nextId++, op, inputs: [...inputs], attrs, outputs: values };
    outputs.forEach((spec, index) => {
      values.push({ id: this.nextId++, dtype: spec.dtype, shape: [...spec.shape], node, index });
    });
    return values;
  }

  private emit1(op: OpType, inputs: readonly Value[], attrs: Attrs, dtype: DType, shape: Shape): Value {
    return this.emit(op, inputs, attrs, [{ dtype, shape }])[0]!;
  }

  // ---- leaves -------------------------------------------------------------------------------

  /** A graph input. Names are unique; dims may be symbolic names such as "batch". */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.inputs.some((i) => i.name === name)) throw new Error(`graph input "${name}" is declared twice`);
    const value = this.emit1("Input", [], { name }, dtype, shape);
    this.inputs.push({ name, value });
    return value;
  }

  /** A constant tensor (an initializer in ONNX). Small constants are shared. */
  constant(tensor: HostTensor): Value {
    const small = numel(tensor.dims) <= 16;
    const key = small
      ? `${tensor.dtype}|${tensor.dims.join(",")}|${Array.from(tensor.data as ArrayLike<unknown>).join(",")}`
      : "";
    if (small && this.smallConstants.has(key)) return this.smallConstants.get(key)!;
    const value = this.emit1("Constant", [], { value: tensor }, tensor.dtype, tensor.dims);
    if (small) this.smallConstants.set(key, value);
    return value;
  }

  /** A rank-0 constant. */
  scalar(x: number, dtype: DType = "float32"): Value {
    if (dtype === "float32") return this.constant({ dtype, dims: [], data: Float32Array.of(x) });
    if (dtype === "int64") return this.constant({ dtype, dims: [], data: BigInt64Array.of(BigInt(x)) });
    return this.constant({ dtype, dims: [], data: Uint8Array.of(x ? 1 : 0) });
  }

  /** A 1-D int64 constant (axes, shapes, slice bounds). */
  ints(xs: readonly number[]): Value {
    return this.constant(int64Tensor(xs, [xs.length]));
  }

  // ---- elementwise --------------------------------------------------------------------------

  private unary(op: OpType, x: Value, dtype: DType = x.dtype): Value {
    return this.emit1(op, [x], {}, dtype, x.shape);
  }
  identity(x: Value): Value {
    return this.unary("Identity", x);
  }
  neg(x: Value): Value {
    return this.unary("Neg", x);
  }
  exp(x: Value): Value {
    return this.unary("Exp", x);
  }
  log(x: Value): Value {
    return this.unary("Log", x);
  }
  tanh(x: Value): Value {
    return this.unary("Tanh", x);
  }
  sigmoid(x: Value): Value {
    return this.unary("Sigmoid", x);
  }
  relu(x: Value): Value {
    return this.unary("Relu", x);
  }
  sqrt(x: Value): Value {
    return this.unary("Sqrt", x);
  }
  reciprocal(x: Value): Value {
    return this.unary("Reciprocal", x);
  }
  abs(x: Value): Value {
    return this.unary("Abs", x);
  }
  erf(x: Value): Value {
    return this.unary("Erf", x);
  }
  sin(x: Value): Value {
    return this.unary("Sin", x);
  }
  cos(x: Value): Value {
    return this.unary("Cos", x);
  }
  not(x: Value): Value {
    return this.unary("Not", x, "bool");
  }
  cast(x: Value, to: DType): Value {
    return x.dtype === to ? x : this.emit1("Cast", [x], { to }, to, x.shape);
  }

  private binary(op: OpType, a: Value | number, b: Value | number, outDtype?: DType): Value {
    const [va, vb] = this.operands(a, b);
    if (va.dtype !== vb.dtype) {
      throw new Error(
        `${op}: operand dtypes differ (${va.dtype} ${formatShape(va.shape)} vs ${vb.dtype} ${formatShape(vb.shape)})`,
      );
    }
    let shape: Dim[];
    try {
      shape = broadcastShapes(va.shape, vb.shape);
    } catch (error) {
      throw new Error(`${op}: ${(error as Error).message}`);
    }
    return this.emit1(op, [va, vb], {}, outDtype ?? va.dtype, shape);
  }

  /** Numbers become scalar constants of the other operand's dtype. */
  private operands(a: Value | number, b: Value | number): [Value, Value] {
    if (typeof a === "number" && typeof b === "number")
      throw new Error("at least one operand must be a Value");
    const va = typeof a === "number" ? this.scalar(a, (b as Value).dtype) : a;
    const vb = typeof b === "number" ? this.scalar(b, va.dtype) : b;
    return [va, vb];
  }

  add(a: Value | number, b: Value | number): Value {
    return this.binary("Add", a, b);
  }
  sub(a: Value | number, b: Value | number): Value {
    return this.binary("Sub", a, b);
  }
  mul(a: Value | number, b: Value | number): Value {
    return this.binary("Mul", a, b);
  }
  div(a: Value | number, b: Value | number): Value {
    return this.binary("Div", a, b);
  }
  pow(a: Value | number, b: Value | number): Value {
    return this.binary("Pow", a, b);
  }
  max(a: Value | number, b: Value | number): Value {
    return this.binary("Max", a, b);
  }
  min(a: Value | number, b: Value | number): Value {
    return this.binary("Min", a, b);
  }
  equal(a: Value | number, b: Value | number): Value {
    return this.binary("Equal", a, b, "bool");
  }
  less(a: Value | number, b: Value | number): Value {
    return this.binary("Less", a, b, "bool");
  }
  lessOrEqual(a: Value | number, b: Value | number): Value {
    return this.binary("LessOrEqual", a, b, "bool");
  }
  greater(a: Value | number, b: Value | number): Value {
    return this.binary("Greater", a, b, "bool");
  }
  greaterOrEqual(a: Value | number, b: Value | number): Value {
    return this.binary("GreaterOrEqual", a, b, "bool");
  }
  and(a: Value, b: Value): Value {
    return this.binary("And", a, b, "bool");
  }
  or(a: Value, b: Value): Value {
    return this.binary("Or", a, b, "bool");
  }

  /** `cond ? x : y`, broadcasting all three. */
  where(cond: Value, x: Value | number, y: Value | number): Value {
    if (cond.dtype !== "bool") throw new Error(`Where: condition must be bool, got ${cond.dtype}`);
    const [vx, vy] = this.operands(x, y);
    const shape = broadcastShapes(broadcastShapes(cond.shape, vx.shape), vy.shape);
    return this.emit1("Where", [cond, vx, vy], {}, vx.dtype, shape);
  }

  // ---- linear algebra and reductions --------------------------------------------------------

  /**
   * Batched matrix product with numpy broadcasting of leading dims; optional transposes of the last two.
   * `bias` [n] is added to every row of a rank-2 product (ONNX Gemm's C: one kernel, no separate Add).
   */
  matmul(a: Value, b: Value, options: { transA?: boolean; transB?: boolean; bias?: Value } = {}): Value {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new Error(
        `MatMul needs rank >= 2 operands, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
      );
    }
    const [m, ka] = lastTwo(a.shape, options.transA);
    const [kb, n] = lastTwo(b.shape, options.transB);
    if (typeof ka === "number" && typeof kb === "number" && ka !== kb) {
      throw new Error(`MatMul: inner dims differ: ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const attrs = { transA: options.transA ? 1 : 0, transB: options.transB ? 1 : 0 };
    const bias = options.bias;
    if (!bias) return this.emit1("MatMul", [a, b], attrs, a.dtype, [...batch, m, n]);
    if (a.shape.length !== 2 || b.shape.length !== 2 || bias.shape.length !== 1 || bias.dtype !== a.dtype) {
      throw new Error(
        `MatMul with a bias needs rank-2 operands and a rank-1 bias of their dtype, got ${formatShape(a.shape)}, ${formatShape(b.shape)} and ${formatShape(bias.shape)}`,
      );
    }
    if (typeof n === "number" && typeof bias.shape[0] === "number" && bias.shape[0] !== n)
      throw new Error(`MatMul: bias ${formatShape(bias.shape)} does not match ${n} output columns`);
    return this.emit1("MatMul", [a, b, bias], attrs, a.dtype, [m, n]);
  }

  private reduce(op: OpType, x: Value, axes: readonly number[], keepDims: boolean): Value {
    const rank = x.shape.length;
    if (axes.length === 0)
      throw new Error(`${op}: give the axes to reduce (an empty list is ambiguous in ONNX)`);
    const norm = axes.map((a) => normAxis(a, rank));
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) shape.push(d);
      else if (keepDims) shape.push(1);
    });
    return this.emit1(op, [x, this.ints(norm)], { keepdims: keepDims ? 1 : 0 }, x.dtype, shape);
  }
  reduceSum(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce("ReduceSum", x, axes, keepDims);
  }
  reduceMean(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce("ReduceMean", x, axes, keepDims);
  }
  reduceMax(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce("ReduceMax", x, axes, keepDims);
  }

  softmax(x: Value, axis = -1): Value {
    return this.emit1("Softmax", [x], { axis: normAxis(axis, x.shape.length) }, x.dtype, x.shape);
  }
  logSoftmax(x: Value, axis = -1): Value {
    return this.emit1("LogSoftmax", [x], { axis: normAxis(axis, x.shape.length) }, x.dtype, x.shape);
  }

  /**
   * ONNX LayerNormalization over the last axis: y = (x - mean) · invStd · scale + bias.
   * Returns y [...x] and the saved statistics mean, invStd [..., 1] (used by its gradient rule).
   */
  layerNormalization(
    x: Value,
    scale: Value,
    bias: Value | undefined,
    epsilon: number,
  ): { y: Value; mean: Value; invStd: Value } {
    const stats = [...x.shape.slice(0, -1), 1];
    const inputs = bias ? [x, scale, bias] : [x, scale];
    const [y, mean, invStd] = this.emit("LayerNormalization", inputs, { axis: -1, epsilon }, [
      { dtype: x.dtype, shape: x.shape },
      { dtype: x.dtype, shape: stats },
      { dtype: x.dtype, shape: stats },
    ]);
    return { y: y!, mean: mean!, invStd: invStd! };
  }

  /**
   * ONNX SoftmaxCrossEntropyLoss without reduction: scores [n, classes], labels [n] int64.
   * Returns the per-row loss [n] (0 where the label is `ignoreIndex`) and the log-probabilities [n, classes].
   */
  softmaxCrossEntropyLoss(
    scores: Value,
    labels: Value,
    ignoreIndex?: number,
  ): { loss: Value; logProb: Value } {
    if (scores.shape.length !== 2 || labels.shape.length !== 1) {
      throw new Error(
        `SoftmaxCrossEntropyLoss wants scores [n, classes] and labels [n], got ${formatShape(scores.shape)} and ${formatShape(labels.shape)}`,
      );
    }
    const attrs: Attrs = ignoreIndex === undefined ? {} : { ignore_index: ignoreIndex };
    const [loss, logProb] = this.emit("SoftmaxCrossEntropyLoss", [scores, labels], attrs, [
      { dtype: scores.dtype, shape: [scores.shape[0]!] },
      { dtype: scores.dtype, shape: scores.shape },
    ]);
    return { loss: loss!, logProb: logProb! };
  }

  // ---- layout -------------------------------------------------------------------------------

  /** Reshape with ONNX codes: 0 copies the input dim at that position, -1 is inferred. */
  reshape(x: Value, dims: readonly number[]): Value {
    const shape: Dim[] = dims.map((d, i) => (d === 0 ? x.shape[i]! : d));
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) {
      const known = shape.filter((_, i) => i !== inferred);
      const total = x.shape.every((d) => typeof d === "number") ? numel(x.shape as number[]) : undefined;
      const rest = known.every((d) => typeof d === "number") ? numel(known as number[]) : undefined;
      if (total !== undefined && rest !== undefined && (rest === 0 || total % rest !== 0)) {
        throw new Error(`Reshape: ${formatShape(x.shape)} cannot be reshaped to [${dims.join(", ")}]`);
      }
      shape[inferred] =
        total !== undefined && rest !== undefined ? total / rest : inferredDim(x.shape, known);
    }
    // A reshape to the shape x already has (a 1-D parameter view, a gradient flattened twice) is x itself.
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
    return this.emit1("Reshape", [x, this.ints(dims)], {}, x.dtype, shape);
  }

  /** Reshape to a shape computed at run time; `shape` states the result's (symbolic) shape. */
  reshapeDynamic(x: Value, target: Value, shape: Shape): Value {
    return this.emit1("Reshape", [x, target], {}, x.dtype, shape);
  }

  /** Reshape `x` to the run-time shape of `ref`. */
  reshapeLike(x: Value, ref: Value): Value {
    return this.reshapeDynamic(x, this.shapeOf(ref), ref.shape);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.shape.length)
      throw new Error(`Transpose: perm [${perm}] does not match ${formatShape(x.shape)}`);
    return this.emit1(
      "Transpose",
      [x],
      { perm: [...perm] },
      x.dtype,
      perm.map((p) => x.shape[p]!),
    );
  }

  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 0) throw new Error("Concat needs at least one input");
    const rank = xs[0]!.shape.length;
    const a = normAxis(axis, rank);
    const shape = [...xs[0]!.shape];
    const sizes = xs.map((x) => x.shape[a]!);
    shape[a] = sizes.every((s) => typeof s === "number")
      ? (sizes as number[]).reduce((p, q) => p + q, 0)
      : sizes.join("+");
    return this.emit1("Concat", xs, { axis: a }, xs[0]!.dtype, shape);
  }

  /** Static slice of `x[start:end]` along one axis (end may exceed the dim: it is clamped). */
  slice(x: Value, axis: number, start: number, end: number, step = 1): Value {
    const a = normAxis(axis, x.shape.length);
    const shape = [...x.shape];
    const dim = x.shape[a]!;
    if (step === 0) throw new Error("Slice: step must not be 0");
    if (typeof dim === "number") {
      // ONNX clamps start/end to [0, dim] for positive steps and to [-1, dim - 1] for negative ones.
      const s = step > 0 ? clampIndex(start, dim, 0, dim) : clampIndex(start, dim, 0, dim - 1);
      const e = step > 0 ? clampIndex(end, dim, 0, dim) : clampIndex(end, dim, -1, dim - 1);
      shape[a] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      shape[a] = end >= 2 ** 31 - 1 && start === 0 && step === 1 ? dim : unknownDim(`${dim}_slice`);
    }
    return this.emit1(
      "Slice",
      [x, this.ints([start]), this.ints([end]), this.ints([a]), this.ints([step])],
      {},
      x.dtype,
      shape,
    );
  }

  /** Slice with run-time bounds (1-D int64 values of length 1); the result's size along `axis` is `size`. */
  sliceDynamic(x: Value, axis: number, start: Value, end: Value, size: Dim): Value {
    const a = normAxis(axis, x.shape.length);
    const shape = [...x.shape];
    shape[a] = size;
    return this.emit1("Slice", [x, start, end, this.ints([a]), this.ints([1])], {}, x.dtype, shape);
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
    return this.emit1("Unsqueeze", [x, this.ints(norm)], {}, x.dtype, shape);
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    const norm = axes.map((a) => normAxis(a, x.shape.length));
    for (const a of norm) {
      if (x.shape[a] !== 1) throw new Error(`Squeeze: dim ${a} of ${formatShape(x.shape)} is not 1`);
    }
    const shape = x.shape.filter((_, i) => !norm.includes(i));
    return this.emit1("Squeeze", [x, this.ints(norm)], {}, x.dtype, shape);
  }

  /** Broadcasts `x` to the run-time shape `target` (an int64 1-D value); `shape` is the result's shape. */
  expand(x: Value, target: Value, shape: Shape): Value {
    return this.emit1("Expand", [x, target], {}, x.dtype, shape);
  }

  /** Broadcasts `x` to the shape of `ref`. */
  expandLike(x: Value, ref: Value): Value {
    return this.expand(x, this.shapeOf(ref), broadcastShapes(x.shape, ref.shape));
  }

  /** Zero padding; `pads` is ONNX's [begin_0, ..., begin_n, end_0, ..., end_n] as a run-time int64 value. */
  pad(x: Value, pads: Value, shape: Shape): Value {
    return this.emit1("Pad", [x, pads], { mode: "constant" }, x.dtype, shape);
  }

  // ---- indexing -----------------------------------------------------------------------------

  /** `data.take(indices, axis)`: the result has data's dims with `axis` replaced by indices' dims. */
  gather(data: Value, indices: Value, axis = 0): Value {
    const a = normAxis(axis, data.shape.length);
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.emit1("Gather", [data, indices], { axis: a }, data.dtype, shape);
  }

  /** Element-wise gather along `axis`; the result has the shape of `indices`. */
  gatherElements(data: Value, indices: Value, axis: number): Value {
    const a = normAxis(axis, data.shape.length);
    return this.emit1("GatherElements", [data, indices], { axis: a }, data.dtype, indices.shape);
  }

  /** Scatters `updates` into a copy of `data` at `indices` [..., k]; reduction "add" sums duplicates. */
  scatterND(data: Value, indices: Value, updates: Value, reduction: "none" | "add" = "none"): Value {
    return this.emit1("ScatterND", [data, indices, updates], { reduction }, data.dtype, data.shape);
  }

  scatterElements(
    data: Value,
    indices: Value,
    updates: Value,
    axis: number,
    reduction: "none" | "add" = "none",
  ): Value {
    const a = normAxis(axis, data.shape.length);
    return this.emit1(
      "ScatterElements",
      [data, indices, updates],
      { axis: a, reduction },
      data.dtype,
      data.shape,
    );
  }

  // ---- shapes and generators ----------------------------------------------------------------

  /** The run-time shape of `x` (or dims [start, end)) as a 1-D int64 value. */
  shapeOf(x: Value, start = 0, end = x.shape.length): Value {
    const rank = x.shape.length;
    start = Math.min(Math.max(start < 0 ? start + rank : start, 0), rank);
    end = Math.min(Math.max(end < 0 ? end + rank : end, 0), rank);
    const attrs: Attrs = start === 0 && end === x.shape.length ? {} : { start, end };
    return this.emit1("Shape", [x], attrs, "int64", [Math.max(0, end - start)]);
  }

  /** The run-time size of one dim of `x` as a 1-D int64 value of length 1. */
  dimOf(x: Value, axis: number): Value {
    const a = normAxis(axis, x.shape.length);
    return this.shapeOf(x, a, a + 1);
  }

  /** A tensor of the run-time shape `target` filled with `fill`. */
  constantOfShape(target: Value, shape: Shape, fill: number, dtype: DType = "float32"): Value {
    const value =
      dtype === "float32"
        ? { dtype, dims: [1], data: Float32Array.of(fill) }
        : dtype === "int64"
          ? { dtype, dims: [1], data: BigInt64Array.of(BigInt(fill)) }
          : { dtype, dims: [1], data: Uint8Array.of(fill) };
    return this.emit1("ConstantOfShape", [target], { value: value as HostTensor }, dtype, shape);
  }

  /** Zeros with the run-time shape of `ref`. */
  zerosLike(ref: Value): Value {
    return this.constantOfShape(this.shapeOf(ref), ref.shape, 0, ref.dtype);
  }

  /** [start, start+delta, ...) up to `limit`; scalars (rank-0 int64 values). */
  range(start: Value, limit: Value, delta: Value, size: Dim): Value {
    return this.emit1("Range", [start, limit, delta], {}, start.dtype, [size]);
  }

  /** Uniform [0, 1) noise shaped like `x`, with a seed unique to this node and to the build's step offset. */
  randomUniformLike(x: Value): Value {
    this.randomNodes += 1;
    const seed = mixSeed(this.seed, this.seedOffset, this.randomNodes);
    return this.emit1("RandomUniformLike", [x], { seed, dtype: "float32" }, "float32", x.shape);
  }

  /** 1-D convolution over [batch, channels, time] with weight [out, in/group, kernel]. */
  conv1d(
    x: Value,
    weight: Value,
    bias: Value | undefined,
    options: { stride?: number; padding?: number } = {},
  ): Value {
    const stride = options.stride ?? 1;
    const padding = options.padding ?? 0;
    const kernel = weight.shape[2]!;
    const time = x.shape[2]!;
    const outTime =
      typeof time === "number" && typeof kernel === "number"
        ? Math.floor((time + 2 * padding - kernel) / stride) + 1
        : unknownDim(`${time}_conv`);
    const inputs = bias ? [x, weight, bias] : [x, weight];
    const attrs = {
      strides: [stride],
      pads: [padding, padding],
      kernel: typeof kernel === "number" ? kernel : 0,
    };
    return this.emit1("Conv", inputs, attrs, x.dtype, [x.shape[0]!, weight.shape[0]!, outTime]);
  }

  // ---- graphs -------------------------------------------------------------------------------

  /** Declared inputs, in declaration order. */
  get declaredInputs(): ReadonlyArray<{ name: string; value: Value }> {
    return this.inputs;
  }

  /** Freezes a graph: the declared inputs, the named outputs and the nodes they need. */
  build(
    name: string,
    outputs: Readonly<Record<string, Value>>,
    options: { inputs?: readonly Value[] } = {},
  ): Graph {
    const outputList = Object.entries(outputs).map(([n, value]) => ({ name: n, value }));
    const nodes = collectNodes(outputList.map((o) => o.value));
    const used = new Set(nodes.map((n) => n.id));
    const wanted = options.inputs ? new Set(options.inputs.map((v) => v.id)) : undefined;
    const inputs = this.inputs.filter((i) => (wanted ? wanted.has(i.value.id) : used.has(i.value.node.id)));
    return { name, inputs, outputs: outputList, nodes };
  }
}

function lastTwo(shape: Shape, transposed?: boolean): [Dim, Dim] {
  const r = shape[shape.length - 2]!;
  const c = shape[shape.length - 1]!;
  return transposed ? [c, r] : [r, c];
}

function clampIndex(i: number, dim: number, low: number, high: number): number {
  const j = i < 0 ? i + dim : i;
  return Math.min(Math.max(j, low), high);
}

/** Names the dim a -1 reshape infers when the sizes involved are symbolic. */
function inferredDim(input: Shape, known: readonly Dim[]): Dim {
  const rest = [...input];
  for (const d of known) {
    const i = rest.indexOf(d);
    if (i >= 0) rest.splice(i, 1);
    else return unknownDim("r");
  }
  if (rest.length === 0) return 1;
  if (rest.every((d) => typeof d === "number")) return numel(rest as number[]);
  return rest.join("*");
}

/** Mixes (run seed, step offset, node counter) into an integer exactly representable as float32. */
export function mixSeed(seed: number, offset: number, counter: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [offset, counter]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h % 16777216;
}
