// Reference kernels of the two fused ops (LayerNormalization, SoftmaxCrossEntropyLoss), with ONNX's
// outputs: the statistics and the log-probabilities their gradient rules reuse.

import { attrNumber, type Node } from "../graph/ir.ts";
import { arg, type Kernel, makeRef, type RefTensor } from "./interpreter-tensor.ts";

/** LayerNormalization over the last axis -> [y, mean, invStdDev]. */
export const layerNormalization = (inputs: readonly RefTensor[], node: Node): RefTensor[] => {
  const [x, scale, bias] = [arg(inputs, 0), arg(inputs, 1), inputs[2]];
  const eps = attrNumber(node, "epsilon", 1e-5);
  const d = x.dims.at(-1)!;
  const rows = x.data.length / d;
  if (scale.data.length !== d)
    throw new Error(`scale has ${scale.data.length} elements, the last dim is ${d}`);
  const y = new Float64Array(x.data.length);
  const mean = new Float64Array(rows);
  const invStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = 0; i < d; i++) m += x.data[r * d + i]!;
    m /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x.data[r * d + i]! - m) ** 2;
    const s = 1 / Math.sqrt(v / d + eps);
    mean[r] = m;
    invStd[r] = s;
    for (let i = 0; i < d; i++)
      y[r * d + i] = (x.data[r * d + i]! - m) * s * scale.data[i]! + (bias ? bias.data[i]! : 0);
  }
  const statDims = [...x.dims.slice(0, -1), 1];
  return [
    makeRef("float32", x.dims, y),
    makeRef("float32", statDims, mean),
    makeRef("float32", statDims, invStd),
  ];
};

/** SoftmaxCrossEntropyLoss, reduction "none": scores [n, C], labels [n] -> [loss [n], logProb [n, C]]. */
export const softmaxCrossEntropyLoss = (inputs: readonly RefTensor[], node: Node): RefTensor[] => {
  const [scores, labels] = [arg(inputs, 0), arg(inputs, 1)];
  const [n, classes] = scores.dims as [number, number];
  const ignore = node.attrs["ignore_index"];
  const loss = new Float64Array(n);
  const logProb = new Float64Array(n * classes);
  for (let r = 0; r < n; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores.data[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(scores.data[r * classes + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < classes; c++) logProb[r * classes + c] = scores.data[r * classes + c]! - lse;
    const label = labels.data[r]!;
    if (label === ignore) continue;
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new Error(`label ${label} of row ${r} is out of range [0, ${classes})`);
    loss[r] = -logProb[r * classes + label]!;
  }
  return [makeRef("float32", [n], loss), makeRef("float32", [n, classes], logProb)];
};

export const FUSED_KERNELS: Record<"LayerNormalization" | "SoftmaxCrossEntropyLoss", Kernel> = {
  LayerNormalization: layerNormalization,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
