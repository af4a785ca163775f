// Host tensors: the typed arrays that cross the boundary between TypeScript and a graph
// (graph inputs/outputs, constants, checkpoints). The IR never holds data except in Constant nodes.

export type DType = "float32" | "int64" | "bool";

export type TensorData = Float32Array | BigInt64Array | Uint8Array;

/** A dense row-major tensor held in TypeScript memory. `dims` are concrete sizes. */
export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function float32(data: ArrayLike<number>, dims: readonly number[]): HostTensor {
  checkLength(data.length, dims);
  return { dtype: "float32", dims: [...dims], data: Float32Array.from(data) };
}

export function int64(data: ArrayLike<number | bigint>, dims: readonly number[]): HostTensor {
  checkLength(data.length, dims);
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]!);
  return { dtype: "int64", dims: [...dims], data: out };
}

export function bool(data: ArrayLike<number | boolean>, dims: readonly number[]): HostTensor {
  checkLength(data.length, dims);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  return { dtype: "bool", dims: [...dims], data: out };
}

export function zerosTensor(dtype: DType, dims: readonly number[]): HostTensor {
  const n = numel(dims);
  const data =
    dtype === "float32" ? new Float32Array(n) : dtype === "int64" ? new BigInt64Array(n) : new Uint8Array(n);
  return { dtype, dims: [...dims], data };
}

/** Reads element i of any host tensor as a JS number (int64 converted; exact below 2^53). */
export function elementAt(t: HostTensor, i: number): number {
  const v = t.data[i]!;
  return typeof v === "bigint" ? Number(v) : v;
}

/** Copies a host tensor's elements into plain numbers (float64), for tests and the interpreter. */
export function toNumbers(t: HostTensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = elementAt(t, i);
  return out;
}

function checkLength(length: number, dims: readonly number[]): void {
  if (length !== numel(dims)) {
    throw new Error(`tensor data has ${length} elements but dims [${dims.join(", ")}] need ${numel(dims)}`);
  }
}
