// Reference kernels for indexing (Gather, GatherElements, ScatterND, ScatterElements) and for the shape
// and generator ops (Shape, ConstantOfShape, Range, RandomUniformLike). Indices may be negative (ONNX).

import { attrNumber, type Node } from "../graph/ir.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { elementAt, numel } from "../graph/tensor.ts";
import { uniformStream } from "./interpreter-math.ts";
import {
  arg,
  formatDims,
  intList,
  type Kernel,
  makeRef,
  normAxisOf,
  normIndex,
  type RefTensor,
  requireDtype,
  scalarValue,
  stridedIndex,
  stridesOf,
} from "./interpreter-tensor.ts";

/** ONNX Gather: the output has data's dims with `axis` replaced by indices' dims. */
const gather: Kernel = (inputs, node) => {
  const [data, indices] = [arg(inputs, 0), arg(inputs, 1)];
  requireDtype(indices, ["int64"], "input 1 (indices)");
  const axis = normAxisOf(attrNumber(node, "axis", 0), data.dims.length, "axis");
  const n = data.dims[axis]!;
  const inner = numel(data.dims.slice(axis + 1));
  const outer = numel(data.dims.slice(0, axis));
  const idx = Array.from(indices.data, (i) => normIndex(i, n, "index"));
  const out = new Float64Array(outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    idx.forEach((i, j) => {
      const src = (o * n + i) * inner;
      out.set(data.data.subarray(src, src + inner), (o * idx.length + j) * inner);
    });
  }
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  return makeRef(data.dtype, dims, out);
};

/**
 * For GatherElements/ScatterElements: the data offset of every element of `indices`, i.e. its own coordinates
 * with the `axis` coordinate replaced by the (normalised) index value.
 */
function elementOffsets(data: RefTensor, indices: RefTensor, axis: number): Int32Array {
  requireDtype(indices, ["int64"], "input 1 (indices)");
  const fits =
    indices.dims.length === data.dims.length &&
    indices.dims.every((d, i) => i === axis || d <= data.dims[i]!);
  if (!fits) {
    throw new Error(
      `indices ${formatDims(indices.dims)} do not fit data ${formatDims(data.dims)} on axis ${axis}`,
    );
  }
  const strides = stridesOf(data.dims);
  const base = stridedIndex(
    indices.dims,
    strides.map((s, i) => (i === axis ? 0 : s)),
  );
  const n = data.dims[axis]!;
  return base.map((b, k) => b + normIndex(indices.data[k]!, n, "index") * strides[axis]!);
}

/** ONNX GatherElements: out[i][j][k] = data[index[i][j][k]][j][k] for axis 0, and so on. */
const gatherElements: Kernel = (inputs, node) => {
  const [data, indices] = [arg(inputs, 0), arg(inputs, 1)];
  const axis = normAxisOf(attrNumber(node, "axis", 0), data.dims.length, "axis");
  const offsets = elementOffsets(data, indices, axis);
  return makeRef(
    data.dtype,
    indices.dims,
    Float64Array.from(offsets, (o) => data.data[o]!),
  );
};

/** How a scatter combines an existing element with an update (opset 18 reductions). */
function combiner(node: Node): (old: number, update: number) => number {
  const reduction = node.attrs["reduction"] ?? "none";
  switch (reduction) {
    case "none":
      return (_, u) => u;
    case "add":
      return (o, u) => o + u;
    case "mul":
      return (o, u) => o * u;
    case "max":
      return (o, u) => Math.max(o, u);
    case "min":
      return (o, u) => Math.min(o, u);
    default:
      throw new Error(`unknown reduction "${String(reduction)}"`);
  }
}

function checkUpdates(data: RefTensor, updates: RefTensor, dims: readonly number[]): void {
  if (updates.dtype !== data.dtype)
    throw new Error(`updates dtype ${updates.dtype} differs from data's ${data.dtype}`);
  if (updates.dims.length !== dims.length || updates.dims.some((d, i) => d !== dims[i])) {
    throw new Error(`updates must have dims ${formatDims(dims)}, got ${formatDims(updates.dims)}`);
  }
}

/** ONNX ScatterElements: a copy of data with data[offset(indices[k])] combined with updates[k], in order. */
const scatterElements: Kernel = (inputs, node) => {
  const [data, indices, updates] = [arg(inputs, 0), arg(inputs, 1), arg(inputs, 2)];
  const axis = normAxisOf(attrNumber(node, "axis", 0), data.dims.length, "axis");
  checkUpdates(data, updates, indices.dims);
  const offsets = elementOffsets(data, indices, axis);
  const combine = combiner(node);
  const out = data.data.slice();
  offsets.forEach((o, k) => {
    out[o] = combine(out[o]!, updates.data[k]!);
  });
  return makeRef(data.dtype, data.dims, out);
};

/** ONNX ScatterND: indices [..., k] address slices data[i_0, ..., i_{k-1}]; updates are [..., data.dims[k:]]. */
const scatterND: Kernel = (inputs, node) => {
  const [data, indices, updates] = [arg(inputs, 0), arg(inputs, 1), arg(inputs, 2)];
  requireDtype(indices, ["int64"], "input 1 (indices)");
  const k = indices.dims[indices.dims.length - 1];
  if (k === undefined || k > data.dims.length) {
    throw new Error(
      `indices ${formatDims(indices.dims)} must have a last dim <= rank of data ${formatDims(data.dims)}`,
    );
  }
  const tupleDims = indices.dims.slice(0, -1);
  checkUpdates(data, updates, [...tupleDims, ...data.dims.slice(k)]);
  const sliceSize = numel(data.dims.slice(k));
  const strides = stridesOf(data.dims);
  const combine = combiner(node);
  const out = data.data.slice();
  for (let t = 0; t < numel(tupleDims); t++) {
    let offset = 0;
    for (let j = 0; j < k; j++)
      offset += normIndex(indices.data[t * k + j]!, data.dims[j]!, "index") * strides[j]!;
    for (let e = 0; e < sliceSize; e++)
      out[offset + e] = combine(out[offset + e]!, updates.data[t * sliceSize + e]!);
  }
  return makeRef(data.dtype, data.dims, out);
};

/** ONNX Shape with optional `start`/`end` (negative counts from the end; both clamp to [0, rank]). */
const shape: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const rank = x.dims.length;
  const bound = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = bound(attrNumber(node, "start", 0));
  const end = bound(attrNumber(node, "end", rank));
  const dims = x.dims.slice(start, Math.max(start, end));
  return makeRef("int64", [dims.length], Float64Array.from(dims));
};

/** ONNX ConstantOfShape: `value` (a one-element HostTensor, default float32 0) fixes the fill and dtype. */
const constantOfShape: Kernel = (inputs, node) => {
  const dims = intList(arg(inputs, 0), "shape (input 0)");
  if (dims.some((d) => d < 0)) throw new Error(`shape [${dims}] has a negative dim`);
  const value = node.attrs["value"] as HostTensor | undefined;
  if (value !== undefined && value.data.length !== 1)
    throw new Error(`attribute "value" must have one element`);
  const fill = value ? elementAt(value, 0) : 0;
  return makeRef(value?.dtype ?? "float32", dims, new Float64Array(numel(dims)).fill(fill));
};

/** ONNX Range: max(ceil((limit - start) / delta), 0) elements start + i * delta. */
const range: Kernel = (inputs) => {
  const [start, limit, delta] = [arg(inputs, 0), arg(inputs, 1), arg(inputs, 2)];
  requireDtype(start, ["float32", "int64"], "input 0 (start)");
  if (limit.dtype !== start.dtype || delta.dtype !== start.dtype) {
    throw new Error(
      `start, limit and delta must share a dtype (${start.dtype}, ${limit.dtype}, ${delta.dtype})`,
    );
  }
  const s = scalarValue(start, "start (input 0)");
  const d = scalarValue(delta, "delta (input 2)");
  if (d === 0) throw new Error("delta is 0");
  const count = Math.max(Math.ceil((scalarValue(limit, "limit (input 1)") - s) / d), 0);
  return makeRef(
    start.dtype,
    [count],
    Float64Array.from({ length: count }, (_, i) => s + i * d),
  );
};

/** Uniform noise of x's dims in [low, high): deterministic per `seed` attribute, restarted every run. */
const randomUniformLike: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const dtype = node.attrs["dtype"] ?? "float32";
  if (dtype !== "float32") throw new Error(`attribute dtype must be "float32", got ${String(dtype)}`);
  const next = uniformStream(attrNumber(node, "seed"));
  const low = attrNumber(node, "low", 0);
  const high = attrNumber(node, "high", 1);
  const out = Float64Array.from({ length: x.data.length }, () => low + (high - low) * next());
  return makeRef("float32", x.dims, out);
};

/** The indexing and generator part of the kernel table. */
export const INDEXING_KERNELS = {
  Gather: gather,
  GatherElements: gatherElements,
  ScatterND: scatterND,
  ScatterElements: scatterElements,
  Shape: shape,
  ConstantOfShape: constantOfShape,
  Range: range,
  RandomUniformLike: randomUniformLike,
} satisfies Record<string, Kernel>;
