// Reference kernels for the layout ops (Reshape, Transpose, Concat, Slice, Unsqueeze, Squeeze, Expand, Pad).
// Most are strided views: compute each output element's source offset, then copy.

import { attrNumber } from "../graph/ir.ts";
import { numel } from "../graph/tensor.ts";
import {
  arg,
  attrList,
  broadcastDims,
  broadcastIndex,
  forEachCoord,
  formatDims,
  intList,
  type Kernel,
  makeRef,
  normAxisOf,
  type RefTensor,
  scalarValue,
  stridedIndex,
  stridesOf,
} from "./interpreter-tensor.ts";

/** Copies the elements of `x` at `offsets` into a new tensor of `dims`. */
function take(x: RefTensor, offsets: Int32Array, dims: readonly number[]): RefTensor {
  const out = new Float64Array(offsets.length);
  for (let k = 0; k < out.length; k++) out[k] = x.data[offsets[k]!]!;
  return makeRef(x.dtype, dims, out);
}

/** ONNX Reshape: 0 copies the input dim at that position (unless allowzero), one -1 is inferred. */
const reshape: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const target = intList(arg(inputs, 1), "shape (input 1)");
  const allowZero = attrNumber(node, "allowzero", 0) !== 0;
  const total = x.data.length;
  const dims = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= x.dims.length)
        throw new Error(`shape [${target}] copies dim ${i} but x is ${formatDims(x.dims)}`);
      return x.dims[i]!;
    }
    if (d < -1) throw new Error(`shape [${target}] has invalid entry ${d}`);
    return d;
  });
  const inferred = dims.filter((d) => d === -1).length;
  if (inferred > 1) throw new Error(`shape [${target}] has more than one -1`);
  if (inferred === 1) {
    const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || total % known !== 0) {
      throw new Error(
        `cannot infer the -1 of shape [${target}] for x ${formatDims(x.dims)} (${total} elements)`,
      );
    }
    dims[dims.indexOf(-1)] = total / known;
  }
  if (numel(dims) !== total) {
    throw new Error(`cannot reshape x ${formatDims(x.dims)} (${total} elements) to [${target}]`);
  }
  return makeRef(x.dtype, dims, x.data.slice());
};

/** ONNX Transpose: output dim i is input dim perm[i]; perm defaults to reversing the dims. */
const transpose: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const rank = x.dims.length;
  const reversed = x.dims.map((_, i) => rank - 1 - i);
  const perm = attrList(node, "perm", reversed);
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== rank || sorted.some((p, i) => p !== i)) {
    throw new Error(`perm [${perm}] is not a permutation of the ${rank} dims of ${formatDims(x.dims)}`);
  }
  const src = stridesOf(x.dims);
  const dims = perm.map((p) => x.dims[p]!);
  return take(
    x,
    stridedIndex(
      dims,
      perm.map((p) => src[p]!),
    ),
    dims,
  );
};

/** ONNX Concat along `axis`: every input has the same dims except along `axis`. */
const concat: Kernel = (inputs, node) => {
  const first = arg(inputs, 0);
  const rank = first.dims.length;
  const axis = normAxisOf(attrNumber(node, "axis"), rank, "axis");
  inputs.forEach((t, i) => {
    const ok =
      t.dtype === first.dtype &&
      t.dims.length === rank &&
      t.dims.every((d, j) => j === axis || d === first.dims[j]);
    if (!ok) {
      throw new Error(
        `input ${i} (${t.dtype} ${formatDims(t.dims)}) does not match input 0 (${first.dtype} ${formatDims(first.dims)}) off axis ${axis}`,
      );
    }
  });
  const dims = [...first.dims];
  dims[axis] = inputs.reduce((s, t) => s + t.dims[axis]!, 0);
  const outer = numel(first.dims.slice(0, axis));
  const out = new Float64Array(numel(dims));
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of inputs) {
      const chunk = t.data.length / outer;
      out.set(t.data.subarray(o * chunk, (o + 1) * chunk), pos);
      pos += chunk;
    }
  }
  return makeRef(first.dtype, dims, out);
};

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** ONNX Slice: negative starts/ends count from the end, then clamp ([0, dim] for step > 0, [-1, dim-1] else). */
const slice: Kernel = (inputs) => {
  const x = arg(inputs, 0);
  const rank = x.dims.length;
  const starts = intList(arg(inputs, 1), "starts (input 1)");
  const ends = intList(arg(inputs, 2), "ends (input 2)");
  const axes = inputs[3] ? intList(inputs[3], "axes (input 3)") : starts.map((_, i) => i);
  const steps = inputs[4] ? intList(inputs[4], "steps (input 4)") : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Error(`starts, ends, axes and steps differ in length (${starts}; ${ends}; ${axes}; ${steps})`);
  }
  const dims = [...x.dims];
  const begin = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const seen = new Set<number>();
  axes.forEach((a, j) => {
    const ax = normAxisOf(a, rank, "slice axis");
    if (seen.has(ax)) throw new Error(`axes [${axes}] repeat axis ${ax}`);
    seen.add(ax);
    const dim = x.dims[ax]!;
    const st = steps[j]!;
    if (st === 0) throw new Error(`step for axis ${ax} is 0`);
    const s0 = starts[j]! < 0 ? starts[j]! + dim : starts[j]!;
    const e0 = ends[j]! < 0 ? ends[j]! + dim : ends[j]!;
    const hi = st > 0 ? dim : dim - 1;
    const s = clamp(s0, 0, hi);
    const e = clamp(e0, st > 0 ? 0 : -1, hi);
    dims[ax] = Math.max(0, Math.ceil((e - s) / st));
    begin[ax] = s;
    step[ax] = st;
  });
  const src = stridesOf(x.dims);
  const base = begin.reduce((p, b, i) => p + b * src[i]!, 0);
  return take(
    x,
    stridedIndex(
      dims,
      src.map((s, i) => s * step[i]!),
      base,
    ),
    dims,
  );
};

/** ONNX Unsqueeze: `axes` (input 1) index the output, whose rank is rank(x) + len(axes). */
const unsqueeze: Kernel = (inputs) => {
  const x = arg(inputs, 0);
  const listed = intList(arg(inputs, 1), "axes (input 1)");
  const rank = x.dims.length + listed.length;
  const axes = listed.map((a) => normAxisOf(a, rank, "unsqueeze axis"));
  if (new Set(axes).size !== axes.length) throw new Error(`axes [${listed}] repeat an axis`);
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x.dims[j++]!);
  return makeRef(x.dtype, dims, x.data.slice());
};

/** ONNX Squeeze: removes the listed size-1 axes, or every size-1 axis when `axes` is absent. */
const squeeze: Kernel = (inputs) => {
  const x = arg(inputs, 0);
  const listed = inputs[1] ? intList(inputs[1], "axes (input 1)") : undefined;
  const axes = listed
    ? listed.map((a) => normAxisOf(a, x.dims.length, "squeeze axis"))
    : x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) {
    if (x.dims[a] !== 1)
      throw new Error(`cannot squeeze axis ${a} of ${formatDims(x.dims)}: its size is not 1`);
  }
  return makeRef(
    x.dtype,
    x.dims.filter((_, i) => !axes.includes(i)),
    x.data.slice(),
  );
};

/** ONNX Expand: the output dims are the numpy broadcast of x's dims and `shape` (both ways). */
const expand: Kernel = (inputs) => {
  const x = arg(inputs, 0);
  const shape = intList(arg(inputs, 1), "shape (input 1)");
  const dims = broadcastDims(x.dims, shape);
  return take(x, broadcastIndex(x.dims, dims), dims);
};

/** ONNX Pad, constant mode: pads = [begin_0.., end_0..] over `axes` (default all); negative pads crop. */
const pad: Kernel = (inputs, node) => {
  const x = arg(inputs, 0);
  const mode = node.attrs["mode"] ?? "constant";
  if (mode !== "constant") throw new Error(`mode "${String(mode)}" is not supported (only "constant")`);
  const pads = intList(arg(inputs, 1), "pads (input 1)");
  const fill =
    inputs[2] && inputs[2].data.length > 0 ? scalarValue(inputs[2], "constant_value (input 2)") : 0;
  const rank = x.dims.length;
  const axes = inputs[3]
    ? intList(inputs[3], "axes (input 3)").map((a) => normAxisOf(a, rank, "pad axis"))
    : x.dims.map((_, i) => i);
  if (pads.length !== 2 * axes.length) {
    throw new Error(`pads [${pads}] must have ${2 * axes.length} entries for x ${formatDims(x.dims)}`);
  }
  const begin = x.dims.map(() => 0);
  const end = x.dims.map(() => 0);
  axes.forEach((a, j) => {
    begin[a] = pads[j]!;
    end[a] = pads[j + axes.length]!;
  });
  const dims = x.dims.map((d, i) => d + begin[i]! + end[i]!);
  if (dims.some((d) => d < 0)) throw new Error(`pads [${pads}] crop more than x ${formatDims(x.dims)} has`);
  const outStrides = stridesOf(dims);
  const out = new Float64Array(numel(dims)).fill(fill);
  forEachCoord(x.dims, (coord, k) => {
    let offset = 0;
    for (let i = 0; i < rank; i++) {
      const c = coord[i]! + begin[i]!;
      if (c < 0 || c >= dims[i]!) return;
      offset += c * outStrides[i]!;
    }
    out[offset] = x.data[k]!;
  });
  return makeRef(x.dtype, dims, out);
};

/** The layout part of the kernel table. */
export const LAYOUT_KERNELS = {
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Expand: expand,
  Pad: pad,
} satisfies Record<string, Kernel>;
