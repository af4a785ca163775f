// The gradient-check cases: one or more per op that has a VJP rule (broadcasting included), shared by the
// finite-difference tests and the ONNX Runtime gradient-parity tests.

import type { OpType } from "../../src/graph/ir.ts";
import { int64 } from "../../src/graph/tensor.ts";
import type { GradCase } from "./gradcheck.ts";

const positive = (_i: number, r: () => number) => 0.5 + r() * 1.5;
const awayFromZero = (_i: number, r: () => number) => (r() < 0.5 ? -1 : 1) * (0.2 + r());

/** One or more cases per op that has a rule; the coverage test below fails when a rule has none. */
export const CASES: Partial<Record<OpType, Record<string, GradCase>>> = {
  Identity: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.identity(x!) } },
  Neg: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.neg(x!) } },
  Exp: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.exp(x!) } },
  Log: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.log(x!), sample: positive } },
  Tanh: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.tanh(x!) } },
  Sigmoid: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.sigmoid(x!) } },
  Relu: { plain: { shapes: [[3, 4]], fn: (b, [x]) => b.relu(x!), sample: awayFromZero } },
  Sqrt: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.sqrt(x!), sample: positive } },
  Reciprocal: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.reciprocal(x!), sample: positive } },
  Abs: { plain: { shapes: [[3, 4]], fn: (b, [x]) => b.abs(x!), sample: awayFromZero } },
  Erf: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.erf(x!) } },
  Sin: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.sin(x!) } },
  Cos: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.cos(x!) } },
  Cast: {
    "float path through int64 Where": {
      shapes: [[2, 3]],
      fn: (b, [x]) => b.mul(x!, b.cast(b.greater(x!, 0), "float32")),
      sample: awayFromZero,
    },
  },
  Add: {
    "broadcast [2,3]+[3]": { shapes: [[2, 3], [3]], fn: (b, [x, y]) => b.add(x!, y!) },
    "broadcast [2,1]+[1,3]": {
      shapes: [
        [2, 1],
        [1, 3],
      ],
      fn: (b, [x, y]) => b.add(x!, y!),
    },
  },
  Sub: {
    "broadcast [2,1]-[2,3]": {
      shapes: [
        [2, 1],
        [2, 3],
      ],
      fn: (b, [x, y]) => b.sub(x!, y!),
    },
  },
  Mul: {
    "broadcast [2,3,4]*[3,1]": {
      shapes: [
        [2, 3, 4],
        [3, 1],
      ],
      fn: (b, [x, y]) => b.mul(x!, y!),
    },
  },
  Div: {
    "broadcast [2,3]/[3]": { shapes: [[2, 3], [3]], fn: (b, [x, y]) => b.div(x!, y!), sample: positive },
  },
  Pow: {
    "base and exponent": { shapes: [[2, 3], [3]], fn: (b, [x, y]) => b.pow(x!, y!), sample: positive },
    "constant exponent": { shapes: [[2, 3]], fn: (b, [x]) => b.pow(x!, 3), sample: positive },
  },
  Max: { broadcast: { shapes: [[2, 3], [3]], fn: (b, [x, y]) => b.max(x!, y!) } },
  Min: {
    broadcast: {
      shapes: [
        [2, 3],
        [2, 1],
      ],
      fn: (b, [x, y]) => b.min(x!, y!),
    },
  },
  Where: {
    broadcast: {
      shapes: [[2, 3], [3]],
      fn: (b, [x, y]) =>
        b.where(b.constant({ dtype: "bool", dims: [2, 3], data: Uint8Array.of(1, 0, 1, 0, 0, 1) }), x!, y!),
    },
  },
  MatMul: {
    "2x2 plain": {
      shapes: [
        [3, 4],
        [4, 5],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!),
    },
    "2x2 transA": {
      shapes: [
        [4, 3],
        [4, 5],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transA: true }),
    },
    "2x2 transB": {
      shapes: [
        [3, 4],
        [5, 4],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transB: true }),
    },
    "2x2 transB with a bias row (Gemm's C)": {
      shapes: [[3, 4], [5, 4], [5]],
      fn: (b, [x, y, c]) => b.matmul(x!, y!, { transB: true, bias: c! }),
    },
    "2x2 transA with a bias row": {
      shapes: [[4, 3], [4, 5], [5]],
      fn: (b, [x, y, c]) => b.matmul(x!, y!, { transA: true, bias: c! }),
    },
    "2x2 both": {
      shapes: [
        [4, 3],
        [5, 4],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transA: true, transB: true }),
    },
    "3x2 folded": {
      shapes: [
        [2, 3, 4],
        [4, 5],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!),
    },
    "3x2 folded transB": {
      shapes: [
        [2, 3, 4],
        [5, 4],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transB: true }),
    },
    "4x4 batch broadcast": {
      shapes: [
        [2, 1, 3, 4],
        [1, 2, 4, 5],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!),
    },
    "4x4 transB": {
      shapes: [
        [2, 2, 3, 4],
        [2, 2, 5, 4],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transB: true }),
    },
    "4x4 transA": {
      shapes: [
        [2, 2, 4, 3],
        [2, 2, 4, 5],
      ],
      fn: (b, [x, y]) => b.matmul(x!, y!, { transA: true }),
    },
  },
  ReduceSum: {
    "axis 1": { shapes: [[2, 3, 4]], fn: (b, [x]) => b.reduceSum(x!, [1]) },
    "axes 0,2 keepdims": { shapes: [[2, 3, 4]], fn: (b, [x]) => b.reduceSum(x!, [0, 2], true) },
  },
  ReduceMean: { "axis -1": { shapes: [[2, 3, 4]], fn: (b, [x]) => b.reduceMean(x!, [-1]) } },
  ReduceMax: { "axis 1": { shapes: [[2, 5]], fn: (b, [x]) => b.reduceMax(x!, [1], true) } },
  Softmax: { "axis -1": { shapes: [[2, 5]], fn: (b, [x]) => b.softmax(x!, -1) } },
  LogSoftmax: { "axis 0": { shapes: [[4, 3]], fn: (b, [x]) => b.logSoftmax(x!, 0) } },
  LayerNormalization: {
    "with bias": {
      shapes: [[2, 3, 5], [5], [5]],
      fn: (b, [x, g, beta]) => b.layerNormalization(x!, g!, beta!, 1e-5).y,
    },
    "without bias": {
      shapes: [[4, 6], [6]],
      fn: (b, [x, g]) => b.layerNormalization(x!, g!, undefined, 1e-3).y,
    },
  },
  SoftmaxCrossEntropyLoss: {
    "loss and log-probabilities, one ignored row": {
      shapes: [[4, 5]],
      fn: (b, [s]) => {
        const r = b.softmaxCrossEntropyLoss(s!, b.constant(int64([1, 0, 4, 2], [4])), 0);
        return b.add(r.loss, b.reduceMean(b.mul(r.logProb, r.logProb), [1]));
      },
    },
    "loss only": {
      shapes: [[3, 4]],
      fn: (b, [s]) => b.softmaxCrossEntropyLoss(s!, b.constant(int64([3, 0, 1], [3]))).loss,
    },
  },
  Reshape: { codes: { shapes: [[2, 3, 4]], fn: (b, [x]) => b.reshape(x!, [0, -1]) } },
  Unsqueeze: { plain: { shapes: [[2, 3]], fn: (b, [x]) => b.unsqueeze(x!, [0, 2]) } },
  Squeeze: { plain: { shapes: [[2, 1, 3]], fn: (b, [x]) => b.squeeze(x!, [1]) } },
  Transpose: { perm: { shapes: [[2, 3, 4]], fn: (b, [x]) => b.transpose(x!, [2, 0, 1]) } },
  Concat: {
    "axis 1": {
      shapes: [
        [2, 3],
        [2, 2],
      ],
      fn: (b, [x, y]) => b.concat([x!, y!, x!], 1),
    },
  },
  Slice: {
    middle: { shapes: [[3, 6]], fn: (b, [x]) => b.slice(x!, 1, 1, 4) },
    "to the end": { shapes: [[3, 6]], fn: (b, [x]) => b.slice(x!, 0, 1, 2 ** 31 - 1) },
    "end past the dim": { shapes: [[3, 6]], fn: (b, [x]) => b.slice(x!, 1, 2, 100) },
    "negative end": { shapes: [[3, 6]], fn: (b, [x]) => b.slice(x!, 1, 1, -2) },
    "step 2 from 1": { shapes: [[2, 7, 2]], fn: (b, [x]) => b.slice(x!, 1, 1, 2 ** 31 - 1, 2) },
    "step 3, last step past the end": { shapes: [[2, 8]], fn: (b, [x]) => b.slice(x!, 1, 0, -1, 3) },
  },
  Pad: {
    "constant pads": {
      shapes: [[2, 3, 4]],
      fn: (b, [x]) => b.pad(x!, b.ints([0, 1, 2, 0, 0, 1]), [2, 4, 7]),
    },
    "conv1d as im2col (pad, strided slices, matmul)": {
      shapes: [[2, 3, 7], [4, 3, 3], [4]],
      fn: (b, [x, w, bias]) => b.conv1dIm2col(x!, w!, bias!, { stride: 2, padding: 1 }),
    },
  },
  Conv: {
    "stride 1, padding 1, bias": {
      shapes: [[2, 3, 6], [4, 3, 3], [4]],
      fn: (b, [x, w, bias]) => b.conv1d(x!, w!, bias!, { padding: 1 }),
    },
    "stride 2, padding 1, even length": {
      shapes: [[2, 3, 8], [2, 3, 3], [2]],
      fn: (b, [x, w, bias]) => b.conv1d(x!, w!, bias!, { stride: 2, padding: 1 }),
    },
    "stride 2, no padding, odd length, no bias": {
      shapes: [
        [1, 2, 9],
        [3, 2, 3],
      ],
      fn: (b, [x, w]) => b.conv1d(x!, w!, undefined, { stride: 2 }),
    },
    "stride 3, kernel 4, padding 2": {
      shapes: [[1, 2, 10], [2, 2, 4], [2]],
      fn: (b, [x, w, bias]) => b.conv1d(x!, w!, bias!, { stride: 3, padding: 2 }),
    },
  },
  Expand: {
    "to [2,3,4]": {
      shapes: [[3, 1]],
      fn: (b, [x]) => b.expandLike(x!, b.constantOfShape(b.ints([2, 3, 4]), [2, 3, 4], 0)),
    },
  },
  Gather: {
    "embedding rows with repeats": {
      shapes: [[5, 3]],
      fn: (b, [x]) => b.gather(x!, b.constant(int64([0, 4, 4, 2, 0, 1], [2, 3])), 0),
    },
  },
  GatherElements: {
    "axis -1 with repeats": {
      shapes: [[3, 4]],
      fn: (b, [x]) => b.gatherElements(x!, b.constant(int64([0, 0, 3, 1, 2, 2], [3, 2])), -1),
    },
  },
};
