// Reverse-mode autodiff, graph to graph: one walker over the forward nodes in reverse topological order.
// Per-op rules live in vjp.ts; the walker accumulates gradients and never special-cases an op.

import type { GraphBuilder } from "./builder.ts";
import { collectNodes, type Node, type Value } from "./ir.ts";
import { formatShape } from "./shape.ts";
import { VJP_RULES } from "./vjp.ts";

/** True for values that carry gradients (float tensors). */
export function isDifferentiable(v: Value): boolean {
  return v.dtype === "float32";
}

/**
 * Appends the backward pass of `y` to the builder and returns d y / d wrt[i] for each requested value
 * (undefined where `y` does not depend on it). `seed` is the incoming gradient (default: ones, for a scalar y).
 */
export function gradients(
  b: GraphBuilder,
  y: Value,
  wrt: readonly Value[],
  seed?: Value,
): Array<Value | undefined> {
  const nodes = collectNodes([y]);
  const targets = new Set(wrt.map((v) => v.id));
  const needs = new Set<number>();
  for (const node of nodes) {
    for (const out of node.outputs) {
      if (!isDifferentiable(out)) continue;
      if (targets.has(out.id) || node.inputs.some((i) => needs.has(i.id))) needs.add(out.id);
    }
  }
  const grads = new Map<number, Value>();
  if (needs.has(y.id)) grads.set(y.id, seed ?? onesLike(b, y));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!node.outputs.some((o) => grads.has(o.id))) continue;
    const inputsNeeding = node.inputs.map((i) => needs.has(i.id));
    if (!inputsNeeding.some(Boolean)) continue;
    const inputGrads = applyRule(
      b,
      node,
      node.outputs.map((o) => grads.get(o.id)),
    );
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (!inputsNeeding[i] || g === undefined) return;
      checkGradShape(node, input, g);
      const previous = grads.get(input.id);
      grads.set(input.id, previous ? b.add(previous, g) : g);
    });
  }
  return wrt.map((v) => grads.get(v.id));
}

function applyRule(
  b: GraphBuilder,
  node: Node,
  outGrads: Array<Value | undefined>,
): Array<Value | undefined> {
  const rule = VJP_RULES[node.op];
  if (!rule) {
    const shapes = node.inputs.map((i) => formatShape(i.shape)).join(", ");
    throw new Error(`no gradient rule for op ${node.op} (node ${node.id}, inputs ${shapes})`);
  }
  return rule(b, node, outGrads);
}

function checkGradShape(node: Node, input: Value, g: Value): void {
  if (g.shape.length !== input.shape.length) {
    throw new Error(
      `gradient rule for ${node.op} (node ${node.id}) returned rank ${g.shape.length} ${formatShape(g.shape)} ` +
        `for an input of shape ${formatShape(input.shape)}`,
    );
  }
}

function onesLike(b: GraphBuilder, y: Value): Value {
  if (y.shape.length === 0) return b.scalar(1);
  return b.constantOfShape(b.shapeOf(y), y.shape, 1);
}
