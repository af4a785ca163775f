// The gradient rule of the 1-D Conv primitive (Whisper's front end), built from existing primitives: dx is the
// transposed convolution (a Conv over the zero-interleaved, padded gradient with flipped weights), dW an im2col product.

import type { GraphBuilder } from "./builder.ts";
import { attrNumber, attrNumbers, type Node, type Value } from "./ir.ts";
import { int64 } from "./tensor.ts";

const INT_MAX = 2 ** 31 - 1;

/** x with `step − 1` zeros after each element along `axis`: [..., n, ...] -> [..., n·step, ...]. */
export function interleaveZeros(b: GraphBuilder, x: Value, axis: number, step: number): Value {
  const rank = x.shape.length;
  const lead = b.shapeOf(x, 0, axis + 1);
  const rest = b.shapeOf(x, axis + 1, rank);
  const one = b.unsqueeze(x, [axis + 1]); // [..., n, 1, ...]
  const zeroShape = b.concat([lead, b.ints([step - 1]), rest], 0);
  const shape = [...x.shape.slice(0, axis + 1), step - 1, ...x.shape.slice(axis + 1)];
  const zeros = b.constantOfShape(zeroShape, shape, 0, x.dtype); // [..., n, step − 1, ...]
  const pairs = b.concat([one, zeros], axis + 1); // [..., n, step, ...]
  const d = x.shape[axis]!;
  const merged = typeof d === "number" ? d * step : `${d}*${step}`;
  const target = b.concat([b.shapeOf(x, 0, axis), b.ints([-1]), rest], 0);
  return b.reshapeDynamic(pairs, target, [...x.shape.slice(0, axis), merged, ...x.shape.slice(axis + 1)]);
}

/**
 * The K taps of a 1-D convolution's input, stacked: xp [batch, C, Tp] (already padded) -> [batch, C, K, T'] with
 * tap k = xp[:, :, k : Tp − (K − 1 − k) : stride], so every tap has T' = ⌊(Tp − K) / stride⌋ + 1 steps.
 */
export function convTaps(b: GraphBuilder, xp: Value, kernel: number, stride: number): Value {
  const taps = Array.from({ length: kernel }, (_, k) => {
    const end = k === kernel - 1 ? INT_MAX : -(kernel - 1 - k);
    return b.unsqueeze(b.slice(xp, 2, k, end, stride), [2]); // [batch, C, 1, T']
  });
  return taps.length === 1 ? taps[0]! : b.concat(taps, 2); // [batch, C, K, T']
}

/** Static [out, in, kernel] of a 1-D conv weight, or an error naming the node. */
function weightDims(node: Node): [number, number, number] {
  const dims = node.inputs[1]!.shape;
  if (dims.length !== 3 || dims.some((d) => typeof d !== "number"))
    throw new Error(
      `no gradient rule for Conv with a weight of shape [${dims.join(", ")}] (node ${node.id})`,
    );
  return dims as [number, number, number];
}

/**
 * Conv (1-D, group 1, dilation 1) with y[b, o, t] = Σ_{c,k} W[o, c, k] · xp[b, c, t·s + k] + bias[o]:
 * dx[b, c, t] = Σ_{o,k} W[o, c, K−1−k] · q[b, o, t + k], q = g interleaved with s − 1 zeros, padded K−1−p₀ on the
 * left (so a stride-1 Conv of q with the flipped, transposed weight); dW[o, c, k] = Σ_{b,t} g[b, o, t] · tap_k[b, c, t];
 * dbias = Σ_{b,t} g.
 */
export function convRule(
  b: GraphBuilder,
  node: Node,
  g: ReadonlyArray<Value | undefined>,
): Array<Value | undefined> {
  const [x, w, bias] = node.inputs as [Value, Value, Value | undefined];
  const gy = g[0]!; // [batch, out, T']
  const [out, inChannels, kernel] = weightDims(node);
  const [stride] = attrNumbers(node, "strides") as [number];
  const [padBegin, padEnd] = attrNumbers(node, "pads") as [number, number];
  if (attrNumber(node, "group", 1) !== 1 || node.attrs["dilations"] !== undefined)
    throw new Error(`no gradient rule for grouped or dilated Conv (node ${node.id})`);
  if (padBegin > kernel - 1)
    throw new Error(`no gradient rule for Conv padding more than kernel − 1 (node ${node.id})`);
  // dx: the transposed convolution.
  let q = stride > 1 ? interleaveZeros(b, gy, 2, stride) : gy; // [batch, out, T'·s]
  const reach = b.add(b.dimOf(x, 2), padBegin); // [1]: T + p₀
  if (stride > 1) q = b.sliceDynamic(q, 2, b.ints([0]), reach, "reach");
  const after = b.sub(reach, b.dimOf(q, 2)); // [1]
  const pads = b.concat([b.ints([0, 0, kernel - 1 - padBegin, 0, 0]), after], 0);
  q = b.pad(q, pads, [x.shape[0]!, out, "convT"]); // [batch, out, T + K − 1]
  const order = b.constant(
    int64(
      Array.from({ length: kernel }, (_, k) => kernel - 1 - k),
      [kernel],
    ),
  );
  const flipped = b.gather(b.transpose(w, [1, 0, 2]), order, 2); // [in, out, K]
  const attrs = { strides: [1], pads: [0, 0], kernel };
  const [dx] = b.emit("Conv", [q, flipped], attrs, [{ dtype: x.dtype, shape: x.shape }]); // [batch, in, T]
  // dW: one product with the stacked taps.
  const xp =
    padBegin + padEnd > 0
      ? b.pad(x, b.ints([0, 0, padBegin, 0, 0, padEnd]), [x.shape[0]!, inChannels, "convPad"])
      : x; // [batch, in, Tp]
  const cols = b.reshape(convTaps(b, xp, kernel, stride), [0, inChannels * kernel, -1]); // [batch, in·K, T']
  const perRow = b.matmul(gy, cols, { transB: true }); // [batch, out, in·K]
  const dw = b.reshape(b.reduceSum(perRow, [0]), [out, inChannels, kernel]); // [out, in, K]
  return [dx, dw, bias ? b.reduceSum(gy, [0, 2]) : undefined];
}
