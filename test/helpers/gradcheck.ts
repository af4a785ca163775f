// Finite-difference gradient checks on the reference interpreter (float64): the analytic gradient that
// autodiff builds must match central differences of the forward graph.

import assert from "node:assert/strict";
import { gradients } from "../../src/graph/autodiff.ts";
import { Builder } from "../../src/graph/composites.ts";
import type { Graph, Value } from "../../src/graph/ir.ts";
import { type RefTensor, runReference } from "../../src/runtime/interpreter.ts";
import { seeded } from "./random.ts";

export interface GradCase {
  /** Input shapes (all float32 inputs, static dims). */
  shapes: number[][];
  /** Builds the function under test from the inputs. */
  fn: (b: Builder, xs: Value[]) => Value;
  /** Input sampler (default uniform in [-1, 1]); `i` is the input index. */
  sample?: (i: number, rand: () => number) => number;
  /** Relative/absolute tolerance (default 1e-6 relative + 1e-7 absolute over the loss scale). */
  tolerance?: number;
  seed?: number;
}

/** The graph of sum(w ⊙ f(x)) with outputs `loss` and `g<i>` = d loss / d x_i, and seeded float64 feeds. */
export function buildGradGraph(c: GradCase): { graph: Graph; feeds: Record<string, RefTensor> } {
  const rand = seeded(c.seed ?? 7);
  const b = new Builder();
  const xs = c.shapes.map((shape, i) => b.input(`x${i}`, "float32", shape));
  const y = c.fn(b, xs);
  const wShape = y.shape.map((d) => {
    if (typeof d !== "number") throw new Error("gradCheck needs static output shapes");
    return d;
  });
  const wSize = wShape.reduce((p, q) => p * q, 1);
  const w = b.constant({
    dtype: "float32",
    dims: wShape,
    data: Float32Array.from({ length: wSize }, () => rand() * 2 - 1),
  });
  const loss = y.shape.length === 0 ? b.mul(y, w) : b.sumAll(b.mul(y, w));
  const grads = gradients(b, loss, xs);
  const outputs: Record<string, Value> = { loss };
  grads.forEach((g, i) => {
    if (g) outputs[`g${i}`] = g;
  });
  const graph = b.build("gradcheck", outputs, { inputs: xs });
  const feeds: Record<string, RefTensor> = {};
  c.shapes.forEach((shape, i) => {
    const size = shape.reduce((p, q) => p * q, 1);
    const data = Float64Array.from({ length: size }, () => (c.sample ? c.sample(i, rand) : rand() * 2 - 1));
    feeds[`x${i}`] = { dtype: "float32", dims: shape, data };
  });
  return { graph, feeds };
}

/** Checks d(sum(w ⊙ f(x)))/dx against central differences, for every input element. */
export function gradCheck(c: GradCase): void {
  const { graph, feeds } = buildGradGraph(c);
  const analytic = runReference(graph, feeds);
  const h = 1e-6;
  const tol = c.tolerance ?? 1e-5;
  c.shapes.forEach((_, i) => {
    const name = `x${i}`;
    const g = analytic[`g${i}`];
    assert.ok(g, `no gradient was built for input ${i}`);
    assert.deepEqual(
      g.dims,
      feeds[name]!.dims,
      `gradient ${i} has dims [${g.dims}], input has [${feeds[name]!.dims}]`,
    );
    const x = feeds[name]!.data;
    for (let k = 0; k < x.length; k++) {
      const keep = x[k]!;
      x[k] = keep + h;
      const up = runReference(graph, feeds)["loss"]!.data[0]!;
      x[k] = keep - h;
      const down = runReference(graph, feeds)["loss"]!.data[0]!;
      x[k] = keep;
      const numeric = (up - down) / (2 * h);
      const got = g.data[k]!;
      assert.ok(
        Math.abs(got - numeric) <= tol * (1 + Math.abs(numeric)),
        `input ${i} element ${k}: autodiff ${got} vs finite difference ${numeric}`,
      );
    }
  });
}
