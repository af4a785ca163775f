// The reference interpreter's tensor (float64 data for every dtype), the kernel contract, and the index
// helpers kernels share (strides, broadcasting, strided views), so each kernel reads as its ONNX definition.

import type { Node } from "../graph/ir.ts";
import type { DType } from "../graph/tensor.ts";
import { numel } from "../graph/tensor.ts";

/** A tensor in the interpreter: float64 data for every dtype (int64 and bool values are exact integers). */
export interface RefTensor {
  dtype: DType;
  dims: number[];
  data: Float64Array;
}

/**
 * One op's implementation: input tensors in, the output tensor out. `feed` looks up a graph input by name
 * (only the Input kernel uses it). Multi-output ops return one tensor per output. Errors need not name the
 * node: the interpreter prefixes op and id.
 */
export type Kernel = (
  inputs: readonly RefTensor[],
  node: Node,
  feed: (name: string) => RefTensor,
) => RefTensor | RefTensor[];

/** Input `i` of a node, or a clear error when the graph gave the node too few inputs. */
export function arg(inputs: readonly RefTensor[], i: number): RefTensor {
  const t = inputs[i];
  if (t === undefined) throw new Error(`missing input ${i} (the node has ${inputs.length} inputs)`);
  return t;
}

/** Throws unless `t` has one of the `allowed` dtypes; `what` names the operand ("input 0"). */
export function requireDtype(t: RefTensor, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(t.dtype)) {
    throw new Error(`${what} has dtype ${t.dtype}, expected ${allowed.join(" or ")}`);
  }
}

/** A number-list attribute (strides, pads, perm), or `fallback` when absent. */
export function attrList(node: Node, name: string, fallback: readonly number[]): readonly number[] {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v)) throw new Error(`attribute "${name}" must be a number list`);
  return v as readonly number[];
}

/** A RefTensor of `dims`, zero-filled unless `data` is given. */
export function makeRef(dtype: DType, dims: readonly number[], data?: Float64Array): RefTensor {
  const n = numel(dims);
  if (data && data.length !== n) {
    throw new Error(`tensor data has ${data.length} elements but dims [${dims.join(", ")}] need ${n}`);
  }
  return { dtype, dims: [...dims], data: data ?? new Float64Array(n) };
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(", ")}]`;
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i]!;
  }
  return strides;
}

/** Numpy broadcasting of concrete dims; throws with both shapes when they are incompatible. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes ${formatDims(a)} and ${formatDims(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * The flat source offset of every element of a strided view: element `k` of a tensor with `outDims`
 * (row-major) reads offset `base + sum_i coord_i * strides[i]`. Transpose, slice and broadcast are all views.
 */
export function stridedIndex(outDims: readonly number[], strides: readonly number[], base = 0): Int32Array {
  const n = numel(outDims);
  const out = new Int32Array(n);
  const rank = outDims.length;
  const coord = new Array<number>(rank).fill(0);
  let pos = base;
  for (let k = 0; k < n; k++) {
    out[k] = pos;
    for (let ax = rank - 1; ax >= 0; ax--) {
      coord[ax]! += 1;
      pos += strides[ax]!;
      if (coord[ax]! < outDims[ax]!) break;
      pos -= strides[ax]! * outDims[ax]!;
      coord[ax] = 0;
    }
  }
  return out;
}

/** Source offsets for reading a tensor of `dims` broadcast to `outDims` (numpy rules, dims right-aligned). */
export function broadcastIndex(dims: readonly number[], outDims: readonly number[]): Int32Array {
  const offset = outDims.length - dims.length;
  const src = stridesOf(dims);
  const strides = outDims.map((_, i) => {
    const j = i - offset;
    return j < 0 || dims[j] === 1 ? 0 : src[j]!;
  });
  return stridedIndex(outDims, strides);
}

/** Calls `visit` with the coordinates of every element of `dims` in row-major order (coords is reused). */
export function forEachCoord(dims: readonly number[], visit: (coord: number[], flat: number) => void): void {
  const n = numel(dims);
  const coord = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    visit(coord, k);
    for (let ax = dims.length - 1; ax >= 0; ax--) {
      coord[ax]! += 1;
      if (coord[ax]! < dims[ax]!) break;
      coord[ax] = 0;
    }
  }
}

/** Normalises a possibly negative axis; the error names what the axis belongs to. */
export function normAxisOf(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Normalises an index into a dim of size `size` (negative counts from the end); throws when out of range. */
export function normIndex(index: number, size: number, what: string): number {
  const i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) throw new Error(`${what} ${index} is out of range for a dim of size ${size}`);
  return i;
}

/** Reads a 1-D int64 tensor (axes, shapes, slice bounds) as numbers. */
export function intList(t: RefTensor, what: string): number[] {
  if (t.dtype !== "int64" || t.dims.length !== 1) {
    throw new Error(`${what} must be a 1-D int64 tensor, got ${t.dtype} ${formatDims(t.dims)}`);
  }
  return Array.from(t.data);
}

/** Reads a rank-0 (or one-element) tensor as a number. */
export function scalarValue(t: RefTensor, what: string): number {
  if (t.data.length !== 1) throw new Error(`${what} must be a scalar, got dims ${formatDims(t.dims)}`);
  return t.data[0]!;
}
