// Reference kernels for the arithmetic ops: elementwise (with numpy broadcasting), Cast, MatMul, the Reduce
// ops, Softmax/LogSoftmax and 1-D Conv. All float math is float64; semantics are ONNX opset 18's.

import { attrNumber } from "../graph/ir.ts";
import type { DType } from "../graph/tensor.ts";
import { numel } from "../graph/tensor.ts";
import { erf } from "./interpreter-math.ts";
import {
  arg,
  attrList,
  broadcastDims,
  broadcastIndex,
  formatDims,
  intList,
  type Kernel,
  makeRef,
  normAxisOf,
  requireDtype,
  stridedIndex,
  stridesOf,
} from "./interpreter-tensor.ts";

const FLOAT: readonly DType[] = ["float32"];
const NUMERIC: readonly DType[] = ["float32", "int64"];
const BOOL: readonly DType[] = ["bool"];
const ANY: readonly DType[] = ["float32", "int64", "bool"];

/** An elementwise unary kernel; the output keeps the input's dtype and dims. */
function unary(f: (x: number) => number, allowed: readonly DType[]): Kernel {
  return (inputs) => {
    const x = arg(inputs, 0);
    requireDtype(x, allowed, "input 0");
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
    return makeRef(x.dtype, x.dims, out);
  };
}

/** An elementwise binary kernel with numpy broadcasting; both operands share one dtype. */
function binary(
  f: (x: number, y: number, dtype: DType) => number,
  allowed: readonly DType[],
  outDtype?: DType,
): Kernel {
  return (inputs) => {
    const a = arg(inputs, 0);
    const b = arg(inputs, 1);
    requireDtype(a, allowed, "input 0");
    if (b.dtype !== a.dtype) throw new Error(`operand dtypes differ (${a.dtype} vs ${b.dtype})`);
    const dims = broadcastDims(a.dims, b.dims);
    const ia = broadcastIndex(a.dims, dims);
    const ib = broadcastIndex(b.dims, dims);
    const out = new Float64Array(ia.length);
    for (let k = 0; k < out.length; k++) out[k] = f(a.data[ia[k]!]!, b.data[ib[k]!]!, a.dtype);
    return makeRef(outDtype ?? a.dtype, dims, out);
  };
}

/** ONNX Div: integer division truncates toward zero. */
function divide(x: number, y: number, dtype: DType): number {
  if (dtype !== "int64") return x / y;
  if (y === 0) throw new Error("integer division by zero");
  return Math.trunc(x / y);
}

const where: Kernel = (inputs) => {
  const [cond, x, y] = [arg(inputs, 0), arg(inputs, 1), arg(inputs, 2)];
  requireDtype(cond, BOOL, "input 0 (condition)");
  if (x.dtype !== y.dtype) throw new Error(`operand dtypes differ (${x.dtype} vs ${y.dtype})`);
  const dims = broadcastDims(broadcastDims(cond.dims, x.dims), y.dims);
  const [ic, ix, iy] = [cond, x, y].map((t) => broadcastIndex(t.dims, dims)) as [
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const out = new Float64Array(ic.length);
  for (let k = 0; k < out.length; k++) out[k] = cond.data[ic[k]!] ? x.data[ix[k]!]! : y.data[iy[k]!]!;
  return makeRef(x.dtype, dims, out);
};

/** ONNX Cast: float -> int64 truncates toward zero, anything -> bool is `x != 0`. */
const cast: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const to = node.attrs["to"];
  if (to !== "float32" && to !== "int64" && to !== "bool") {
    throw new Error(`attribute "to" must be "float32", "int64" or "bool", got ${String(to)}`);
  }
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    if (to === "bool") out[i] = v !== 0 ? 1 : 0;
    else if (to === "float32" || x.dtype !== "float32") out[i] = v;
    else if (Number.isFinite(v)) out[i] = Math.trunc(v);
    else throw new Error(`cannot cast ${v} to int64 (element ${i})`);
  }
  return makeRef(to, x.dims, out);
};

/** [rows, cols] of the last two dims, swapped when `transposed`. */
function lastTwo(dims: readonly number[], transposed: boolean): [number, number] {
  const r = dims[dims.length - 2]!;
  const c = dims[dims.length - 1]!;
  return transposed ? [c, r] : [r, c];
}

/** Batched matrix product; transA/transB transpose the last two dims; leading dims broadcast. */
const matmul: Kernel = (inputs, node) => {
  const [a, b] = [arg(inputs, 0), arg(inputs, 1)];
  requireDtype(a, NUMERIC, "input 0");
  if (b.dtype !== a.dtype) throw new Error(`operand dtypes differ (${a.dtype} vs ${b.dtype})`);
  if (a.dims.length < 2 || b.dims.length < 2) {
    throw new Error(`needs rank >= 2 operands, got ${formatDims(a.dims)} and ${formatDims(b.dims)}`);
  }
  const transA = attrNumber(node, "transA", 0) !== 0;
  const transB = attrNumber(node, "transB", 0) !== 0;
  const [m, ka] = lastTwo(a.dims, transA);
  const [kb, n] = lastTwo(b.dims, transB);
  if (ka !== kb) {
    throw new Error(
      `inner dims differ: ${formatDims(a.dims)}${transA ? "^T" : ""} x ${formatDims(b.dims)}${transB ? "^T" : ""}`,
    );
  }
  const batchA = a.dims.slice(0, -2);
  const batchB = b.dims.slice(0, -2);
  const batch = broadcastDims(batchA, batchB);
  const matA = broadcastIndex(batchA, batch);
  const matB = broadcastIndex(batchB, batch);
  // Element (i, k) of op(A) sits at i * aRow + k * aCol within its matrix; likewise (k, j) of op(B).
  const [aRow, aCol] = transA ? [1, m] : [ka, 1];
  const [bRow, bCol] = transB ? [1, kb] : [n, 1];
  const out = new Float64Array(matA.length * m * n);
  for (let t = 0; t < matA.length; t++) {
    const aBase = matA[t]! * m * ka;
    const bBase = matB[t]! * ka * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < ka; k++)
          s += a.data[aBase + i * aRow + k * aCol]! * b.data[bBase + k * bRow + j * bCol]!;
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  if (inputs.length > 2) {
    // Gemm's C: a bias [n] added to every row of a rank-2 product.
    const bias = arg(inputs, 2);
    if (bias.dims.length !== 1 || bias.dims[0] !== n)
      throw new Error(`bias ${formatDims(bias.dims)} does not match ${n} output columns`);
    for (let r = 0; r < out.length; r++) out[r]! += bias.data[r % n]!;
  }
  return makeRef(a.dtype, [...batch, m, n], out);
};

/** ReduceSum/Mean/Max with opset-18 `axes` input; empty or absent axes reduce everything. */
function reduce(kind: "sum" | "mean" | "max"): Kernel {
  return (inputs, node) => {
    const x = arg(inputs, 0);
    requireDtype(x, NUMERIC, "input 0");
    const axesInput = inputs[1];
    const listed = axesInput ? intList(axesInput, "axes (input 1)") : [];
    if (listed.length === 0 && attrNumber(node, "noop_with_empty_axes", 0) !== 0) {
      return makeRef(x.dtype, x.dims, x.data.slice());
    }
    const axes =
      listed.length === 0 ? x.dims.map((_, i) => i) : listed.map((a) => normAxisOf(a, x.dims.length, "axis"));
    if (new Set(axes).size !== axes.length) throw new Error(`axes [${listed}] repeat an axis`);
    const reduced = (i: number) => axes.includes(i);
    const keptDims = x.dims.map((d, i) => (reduced(i) ? 1 : d));
    // Every input element's output slot: the reduced axes get stride 0.
    const outStrides = stridesOf(keptDims).map((s, i) => (reduced(i) ? 0 : s));
    const slot = stridedIndex(x.dims, outStrides);
    const out = new Float64Array(numel(keptDims)).fill(kind === "max" ? -Infinity : 0);
    for (let k = 0; k < x.data.length; k++) {
      const v = x.data[k]!;
      const o = slot[k]!;
      out[o] = kind === "max" ? (Number.isNaN(v) ? v : Math.max(out[o]!, v)) : out[o]! + v;
    }
    if (kind === "mean") {
      const count = axes.reduce((p, a) => p * x.dims[a]!, 1);
      for (let o = 0; o < out.length; o++) out[o]! /= count;
    }
    const keep = attrNumber(node, "keepdims", 1) !== 0;
    return makeRef(x.dtype, keep ? keptDims : x.dims.filter((_, i) => !reduced(i)), out);
  };
}

/** Softmax or LogSoftmax along one axis, max-shifted for stability. */
function softmax(log: boolean): Kernel {
  return (inputs, node) => {
    const x = arg(inputs, 0);
    requireDtype(x, FLOAT, "input 0");
    const axis = normAxisOf(attrNumber(node, "axis", -1), x.dims.length, "axis");
    const n = x.dims[axis]!;
    const inner = numel(x.dims.slice(axis + 1));
    const outer = numel(x.dims.slice(0, axis));
    const out = new Float64Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let max = -Infinity;
        for (let j = 0; j < n; j++) max = Math.max(max, x.data[base + j * inner]!);
        let sum = 0;
        for (let j = 0; j < n; j++) sum += Math.exp(x.data[base + j * inner]! - max);
        for (let j = 0; j < n; j++) {
          const shifted = x.data[base + j * inner]! - max;
          out[base + j * inner] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
        }
      }
    }
    return makeRef(x.dtype, x.dims, out);
  };
}

/** 1-D convolution: x [batch, inChannels, time], w [out, inChannels / group, kernel], optional bias [out]. */
const conv: Kernel = (inputs, node) => {
  const [x, w, bias] = [arg(inputs, 0), arg(inputs, 1), inputs[2]];
  for (const [t, what] of [
    [x, "input 0 (x)"],
    [w, "input 1 (weight)"],
  ] as const) {
    requireDtype(t, FLOAT, what);
    if (t.dims.length !== 3) throw new Error(`${what} must be rank 3 (1-D conv), got ${formatDims(t.dims)}`);
  }
  const [batch, channels, time] = x.dims as [number, number, number];
  const [outChannels, groupChannels, kernel] = w.dims as [number, number, number];
  const group = attrNumber(node, "group", 1);
  const [stride] = attrList(node, "strides", [1]) as [number];
  const [padBegin, padEnd] = attrList(node, "pads", [0, 0]) as [number, number];
  const [dilation] = attrList(node, "dilations", [1]) as [number];
  const declared = attrNumber(node, "kernel", 0);
  if (declared > 0 && declared !== kernel)
    throw new Error(`attribute kernel=${declared} but the weight has ${kernel}`);
  if (groupChannels * group !== channels || outChannels % group !== 0) {
    throw new Error(`weight ${formatDims(w.dims)} does not fit x ${formatDims(x.dims)} with group ${group}`);
  }
  if (bias && (bias.dims.length !== 1 || bias.dims[0] !== outChannels)) {
    throw new Error(`bias must be [${outChannels}], got ${formatDims(bias.dims)}`);
  }
  const outTime = Math.floor((time + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
  if (outTime < 0) throw new Error(`input time ${time} is shorter than the (dilated) kernel`);
  const out = new Float64Array(batch * outChannels * outTime);
  const perGroup = outChannels / group;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      const firstChannel = Math.floor(o / perGroup) * groupChannels;
      for (let t = 0; t < outTime; t++) {
        let s = bias ? bias.data[o]! : 0;
        for (let c = 0; c < groupChannels; c++) {
          const xBase = (b * channels + firstChannel + c) * time;
          const wBase = (o * groupChannels + c) * kernel;
          for (let k = 0; k < kernel; k++) {
            const ti = t * stride - padBegin + k * dilation;
            if (ti >= 0 && ti < time) s += x.data[xBase + ti]! * w.data[wBase + k]!;
          }
        }
        out[(b * outChannels + o) * outTime + t] = s;
      }
    }
  }
  return makeRef(x.dtype, [batch, outChannels, outTime], out);
};

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The arithmetic part of the kernel table (interpreter.ts adds the layout and indexing kernels). */
export const ARITHMETIC_KERNELS = {
  Identity: unary((x) => x, ANY),
  Neg: unary((x) => -x, NUMERIC),
  Exp: unary(Math.exp, FLOAT),
  Log: unary(Math.log, FLOAT),
  Tanh: unary(Math.tanh, FLOAT),
  Sigmoid: unary(sigmoid, FLOAT),
  Relu: unary((x) => Math.max(x, 0), NUMERIC),
  Sqrt: unary(Math.sqrt, FLOAT),
  Reciprocal: unary((x) => 1 / x, FLOAT),
  Abs: unary(Math.abs, NUMERIC),
  Erf: unary(erf, FLOAT),
  Sin: unary(Math.sin, FLOAT),
  Cos: unary(Math.cos, FLOAT),
  Not: unary((x) => (x ? 0 : 1), BOOL),
  Cast: cast,
  Add: binary((x, y) => x + y, NUMERIC),
  Sub: binary((x, y) => x - y, NUMERIC),
  Mul: binary((x, y) => x * y, NUMERIC),
  Div: binary(divide, NUMERIC),
  Pow: binary(Math.pow, FLOAT),
  Max: binary((x, y) => Math.max(x, y), NUMERIC),
  Min: binary((x, y) => Math.min(x, y), NUMERIC),
  Equal: binary((x, y) => (x === y ? 1 : 0), ANY, "bool"),
  Less: binary((x, y) => (x < y ? 1 : 0), NUMERIC, "bool"),
  LessOrEqual: binary((x, y) => (x <= y ? 1 : 0), NUMERIC, "bool"),
  Greater: binary((x, y) => (x > y ? 1 : 0), NUMERIC, "bool"),
  GreaterOrEqual: binary((x, y) => (x >= y ? 1 : 0), NUMERIC, "bool"),
  And: binary((x, y) => (x && y ? 1 : 0), BOOL, "bool"),
  Or: binary((x, y) => (x || y ? 1 : 0), BOOL, "bool"),
  Where: where,
  MatMul: matmul,
  ReduceSum: reduce("sum"),
  ReduceMean: reduce("mean"),
  ReduceMax: reduce("max"),
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  Conv: conv,
} satisfies Record<string, Kernel>;
