// The one-graph training step in ONNX Runtime: AdamW + clipping against a hand-computed reference, toy
// models that learn, and one session serving batches of different sizes and lengths.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Builder } from "../../src/graph/composites.ts";
import type { Value } from "../../src/graph/ir.ts";
import { float32, int64 } from "../../src/graph/tensor.ts";
import { type AdamWConfig, buildTrainingStep, flatLayout } from "../../src/train/step-graph.ts";
import { TrainingStepRunner } from "../../src/train/step-runner.ts";
import { seeded } from "../helpers/random.ts";

/** PyTorch's AdamW (decoupled decay, bias correction) after global-norm clipping, in float64. */
function referenceAdamW(
  params: number[],
  grads: (p: number[]) => number[],
  decayMask: boolean[],
  steps: number,
  lr: number,
  c: AdamWConfig,
): number[] {
  const p = [...params];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    let g = grads(p);
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    if (c.maxGradNorm > 0) g = g.map((x) => x * Math.min(1, c.maxGradNorm / (norm + 1e-6)));
    for (let i = 0; i < p.length; i++) {
      if (decayMask[i]) p[i]! *= 1 - lr * c.weightDecay;
      m[i] = c.beta1 * m[i]! + (1 - c.beta1) * g[i]!;
      v[i] = c.beta2 * v[i]! + (1 - c.beta2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - c.beta1 ** t);
      const vHat = v[i]! / (1 - c.beta2 ** t);
      p[i]! -= (lr * mHat) / (Math.sqrt(vHat) + c.eps);
    }
  }
  return p;
}

describe("AdamW + clipping in the graph", () => {
  test("five steps match a hand-computed reference to 1e-6", async () => {
    const target = [0.5, -1.5, 2, 3, -0.25];
    const scale = 4; // loss = scale/2 · Σ (p - target)², gradient scale·(p - target): norm ≫ 1, so clipping acts
    const config: AdamWConfig = { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };
    const layout = flatLayout([
      { name: "w", shape: [3], decay: true },
      { name: "b", shape: [2], decay: false },
    ]);
    const graph = buildTrainingStep(
      layout,
      (b: Builder, params) => {
        const t = b.constant(float32(target, [5]));
        const p = b.concat([params.get("w")!, params.get("b")!], 0);
        const d = b.sub(p, t);
        return { loss: b.mul(b.sumAll(b.mul(d, d)), scale / 2) };
      },
      config,
    );
    const init = [0.1, 0.2, 0.3, 0.4, 0.5];
    const runner = await TrainingStepRunner.create(graph, layout, Float32Array.from(init));
    const lr = 0.05;
    for (let i = 0; i < 5; i++) await runner.run({}, lr);
    const expected = referenceAdamW(
      init,
      (p) => p.map((x, i) => scale * (x - target[i]!)),
      [true, true, true, false, false],
      5,
      lr,
      config,
    );
    for (let i = 0; i < 5; i++)
      assert.ok(
        Math.abs(runner.params[i]! - expected[i]!) < 1e-6,
        `param ${i}: ${runner.params[i]} vs ${expected[i]}`,
      );
    await runner.release();
  });

  test("a non-finite loss is refused and leaves the parameters untouched", async () => {
    const layout = flatLayout([{ name: "w", shape: [2], decay: false }]);
    const graph = buildTrainingStep(layout, (b, params) => ({ loss: b.sumAll(b.log(params.get("w")!)) }));
    const runner = await TrainingStepRunner.create(graph, layout, Float32Array.of(-1, 2));
    await assert.rejects(runner.run({}, 0.1), /non-finite loss/);
    assert.deepEqual(Array.from(runner.params), [-1, 2]);
    assert.equal(runner.step, 0);
    await runner.release();
  });
});

/** x ∈ [batch, 4] -> class = argmax of a fixed linear map of x (learnable by a 2-layer MLP). */
function mlpBatch(rand: () => number, batch: number): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < batch; i++) {
    const row = [0, 1, 2, 3].map(() => rand() * 2 - 1);
    x.push(...row);
    const scores = [row[0]! + row[1]!, row[2]! - row[3]!, -row[0]! + row[3]!];
    y.push(scores.indexOf(Math.max(...scores)));
  }
  return { x, y };
}

test("a two-layer MLP learns a toy classification (loss < 0.15)", async () => {
  const layout = flatLayout([
    { name: "w1", shape: [32, 4], decay: true },
    { name: "b1", shape: [32], decay: false },
    { name: "w2", shape: [3, 32], decay: true },
    { name: "b2", shape: [3], decay: false },
  ]);
  const graph = buildTrainingStep(layout, (b, p) => {
    const x = b.input("x", "float32", ["batch", 4]);
    const y = b.input("y", "int64", ["batch"]);
    const h = b.relu(b.linear(x, p.get("w1")!, p.get("b1")!));
    return { loss: b.crossEntropy(b.linear(h, p.get("w2")!, p.get("b2")!), y).loss };
  });
  const rand = seeded(3);
  const init = Float32Array.from({ length: layout.total }, () => (rand() * 2 - 1) * 0.4);
  const runner = await TrainingStepRunner.create(graph, layout, init);
  let last = Number.POSITIVE_INFINITY;
  for (let step = 0; step < 400; step++) {
    const { x, y } = mlpBatch(rand, 64);
    last = (await runner.run({ x: float32(x, [64, 4]), y: int64(y, [64]) }, 0.01)).loss;
  }
  assert.ok(last < 0.15, `final loss ${last}`);
  await runner.release();
});

/** A one-layer attention model that must find the one "special" token in a sequence of fillers. */
test("a one-layer attention model learns to find a special token, with varying batch and length", async () => {
  const V = 8;
  const D = 16;
  const layout = flatLayout([
    { name: "emb", shape: [V, D], decay: false },
    { name: "pos", shape: [12, D], decay: false },
    { name: "wq", shape: [D, D], decay: true },
    { name: "wk", shape: [D, D], decay: true },
    { name: "wv", shape: [D, D], decay: true },
    { name: "out", shape: [V, D], decay: true },
  ]);
  // Input: tokens [batch, len] of fillers 1..3 and one special token 4..7 somewhere. Target: the special token.
  const graph = buildTrainingStep(layout, (b, p) => {
    const tokens = b.input("tokens", "int64", ["batch", "len"]);
    const target = b.input("target", "int64", ["batch"]);
    const positions = b.range(
      b.scalar(0, "int64"),
      b.reshape(b.dimOf(tokens, 1), []),
      b.scalar(1, "int64"),
      "len",
    );
    const x = b.add(b.gather(p.get("emb")!, tokens, 0), b.gather(p.get("pos")!, positions, 0)); // [batch, len, D]
    const query = b.reduceMean(x, [1], true); // [batch, 1, D]
    const q = b.linear(query, p.get("wq")!);
    const k = b.linear(x, p.get("wk")!);
    const v = b.linear(x, p.get("wv")!);
    const weights = b.softmax(b.mul(b.matmul(q, k, { transB: true }), 1 / Math.sqrt(D)), -1); // [batch, 1, len]
    const context = b.squeeze(b.matmul(weights, v), [1]); // [batch, D]
    const logits = b.linear(b.add(context, b.squeeze(query, [1])), p.get("out")!); // [batch, V]
    return { loss: b.crossEntropy(logits, target).loss, outputs: { logits } as Record<string, Value> };
  });
  const rand = seeded(11);
  const init = Float32Array.from({ length: layout.total }, () => (rand() * 2 - 1) * 0.3);
  const runner = await TrainingStepRunner.create(graph, layout, init);
  const makeBatch = (batch: number, len: number) => {
    const tokens: number[] = [];
    const target: number[] = [];
    for (let i = 0; i < batch; i++) {
      const row = Array.from({ length: len }, () => 1 + Math.floor(rand() * 3));
      const special = 4 + Math.floor(rand() * 4);
      row[Math.floor(rand() * len)] = special;
      tokens.push(...row);
      target.push(special);
    }
    return { tokens: int64(tokens, [batch, len]), target: int64(target, [batch]) };
  };
  const shapes = [
    [32, 6],
    [48, 9],
    [16, 12],
  ] as const;
  let recent: number[] = [];
  for (let step = 0; step < 600; step++) {
    const [batch, len] = shapes[step % shapes.length]!;
    const r = await runner.run(makeBatch(batch, len), 0.01);
    assert.equal(r.outputs["logits"]!.dims[0], batch);
    recent = [...recent.slice(-29), r.loss];
  }
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  assert.ok(mean < 0.1, `mean loss over the last 30 steps ${mean}`);
  await runner.release();
});
