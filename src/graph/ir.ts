// The typed graph IR: values (dtype + symbolic shape), nodes of a small closed op set, and graphs.
// Op names are ONNX's where the op maps 1:1, so lowering to ONNX is a table, not a translation.

import type { Shape } from "./shape.ts";
import type { DType, HostTensor } from "./tensor.ts";

/** The closed set of primitive ops. Composites (layer norm, attention, cross-entropy) are built from these. */
export const OP_TYPES = [
  // Graph leaves
  "Input",
  "Constant",
  // Elementwise unary
  "Identity",
  "Neg",
  "Exp",
  "Log",
  "Tanh",
  "Sigmoid",
  "Relu",
  "Sqrt",
  "Reciprocal",
  "Abs",
  "Erf",
  "Sin",
  "Cos",
  "Not",
  "Cast",
  // Elementwise binary, broadcasting
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Max",
  "Min",
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
  "And",
  "Or",
  "Where",
  // Linear algebra, reductions, normalised exponentials
  "MatMul",
  "ReduceSum",
  "ReduceMean",
  "ReduceMax",
  "Softmax",
  "LogSoftmax",
  // Fused ops with one explicit gradient rule each (they save passes over large tensors)
  "LayerNormalization",
  "SoftmaxCrossEntropyLoss",
  // Layout
  "Reshape",
  "Transpose",
  "Concat",
  "Slice",
  "Unsqueeze",
  "Squeeze",
  "Expand",
  "Pad",
  // Indexing
  "Gather",
  "GatherElements",
  "ScatterND",
  "ScatterElements",
  // Shapes and generators
  "Shape",
  "ConstantOfShape",
  "Range",
  "RandomUniformLike",
  // Convolution (Whisper's front end)
  "Conv",
] as const;

export type OpType = (typeof OP_TYPES)[number];

export type AttrValue = number | string | boolean | readonly number[] | HostTensor;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Value {
  readonly id: number;
  readonly dtype: DType;
  readonly shape: Shape;
  /** The node that computes this value. */
  readonly node: Node;
  /** Which output of `node` this is. */
  readonly index: number;
}

export interface Node {
  readonly id: number;
  readonly op: OpType;
  readonly inputs: readonly Value[];
  readonly attrs: Attrs;
  readonly outputs: Value[];
}

/** A finished graph: named inputs and outputs and the nodes between them, in topological order. */
export interface Graph {
  readonly name: string;
  readonly inputs: ReadonlyArray<{ name: string; value: Value }>;
  readonly outputs: ReadonlyArray<{ name: string; value: Value }>;
  readonly nodes: readonly Node[];
}

/** Nodes needed to compute `outputs`, in topological (creation) order. */
export function collectNodes(outputs: readonly Value[]): Node[] {
  const seen = new Set<number>();
  const order: Node[] = [];
  const stack: Array<{ node: Node; expanded: boolean }> = outputs.map((v) => ({
    node: v.node,
    expanded: false,
  }));
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.node);
      continue;
    }
    if (seen.has(top.node.id)) continue;
    seen.add(top.node.id);
    stack.push({ node: top.node, expanded: true });
    for (const input of top.node.inputs)
      if (!seen.has(input.node.id)) stack.push({ node: input.node, expanded: false });
  }
  return order.sort((a, b) => a.id - b.id);
}

/** Reads a Constant node's tensor, or undefined when the value is computed at run time. */
export function constantOf(value: Value): HostTensor | undefined {
  if (value.node.op !== "Constant") return undefined;
  return value.node.attrs["value"] as HostTensor;
}

export function attrNumber(node: Node, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "number")
    throw new Error(`${node.op} node ${node.id}: attribute "${name}" must be a number`);
  return v;
}

export function attrNumbers(node: Node, name: string): readonly number[] {
  const v = node.attrs[name];
  if (!Array.isArray(v))
    throw new Error(`${node.op} node ${node.id}: attribute "${name}" must be a number list`);
  return v as readonly number[];
}
