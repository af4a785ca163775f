// Gradient accumulation and replay in ONNX Runtime: k micro-batches accumulate to the gradient and the
// update of one batch of their union; the loss-only graph gives the step's loss; replaying batches advances
// dropout exactly as running them did, without touching the optimizer state.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TokenizedPair } from "../../src/data/batching.ts";
import { Rng } from "../../src/data/rng.ts";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { buildModel } from "../../src/models/registry.ts";
import type { Seq2SeqModel } from "../../src/models/seq2seq.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import {
  ACCUMULATE_IO,
  buildGradientStep,
  buildLossGraph,
  type FlatLayout,
  flatLayout,
  STEP_IO,
} from "../../src/train/step-graph.ts";
import { initialFlatParams } from "../../src/train/step-runner.ts";
import {
  lossVariants,
  type MicroBatch,
  type OptimizerState,
  Stepper,
  type StepperOptions,
} from "../../src/train/stepper.ts";
import { batchFeeds } from "../../src/train/validation.ts";

function tiny(dropout: number): { model: Seq2SeqModel; layout: FlatLayout; state: OptimizerState } {
  const model = buildModel({
    architecture: "transformer",
    srcVocabSize: 12,
    tgtVocabSize: 12,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 1,
    decoderLayers: 1,
    maxPositions: 32,
    dropout,
  });
  const layout = flatLayout(model.parameters());
  const params = initialFlatParams(layout, model.parameters(), 3);
  return {
    model,
    layout,
    state: { params, m: new Float32Array(layout.total), v: new Float32Array(layout.total), step: 0 },
  };
}

/** Random pairs (ids 4..11, then EOS = 2) of the given source lengths; targets a little longer or shorter. */
function pairs(rng: Rng, srcLengths: number[]): TokenizedPair[] {
  const ids = (n: number) => [...Array.from({ length: n }, () => rng.range(4, 11)), 2];
  return srcLengths.map((n) => ({ src: ids(n), tgt: ids(Math.max(1, n + rng.range(-2, 2))) }));
}

function micro(group: TokenizedPair[]): MicroBatch {
  return { feeds: batchFeeds(group), tokens: group.reduce((s, p) => s + p.tgt.length, 0), variant: 0 };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

const rng = new Rng(11);
const groups = [pairs(rng, [3, 5]), pairs(rng, [9, 8, 7]), pairs(rng, [4])];
const union = groups.flat();
const options = (accumulate: number): StepperOptions => ({
  adamw: { beta1: 0.9, beta2: 0.98, eps: 1e-3, weightDecay: 0.01, maxGradNorm: 1 },
  accumulate,
  seed: 5,
  seedOffset: 0,
});

describe("gradient accumulation", () => {
  test("token-weighted micro-batch gradients sum to the gradient of their union (1e-5)", async () => {
    const { model, layout, state } = tiny(0);
    const session = await OrtSession.create(
      buildGradientStep(layout, model.trainingLoss({ labelSmoothing: 0.1 })),
    );
    const P = layout.total;
    const run = async (batch: MicroBatch, grad: Float32Array, weight: number) => {
      const out = await session.run({
        ...batch.feeds,
        [STEP_IO.params]: { dtype: "float32", dims: [P], data: state.params },
        [ACCUMULATE_IO.gradIn]: { dtype: "float32", dims: [P], data: grad },
        [ACCUMULATE_IO.weight]: { dtype: "float32", dims: [], data: Float32Array.of(weight) },
      });
      return out[ACCUMULATE_IO.gradOut]!.data as Float32Array;
    };
    const whole = await run(micro(union), new Float32Array(P), 1);
    const total = union.reduce((s, p) => s + p.tgt.length, 0);
    let acc = new Float32Array(P);
    for (const g of groups) acc = new Float32Array(await run(micro(g), acc, micro(g).tokens / total));
    assert.ok(maxAbs(whole) > 1e-3, "the gradient is not trivially zero");
    assert.ok(
      maxAbsDiff(whole, acc) < 1e-5 * Math.max(1, maxAbs(whole)),
      `max diff ${maxAbsDiff(whole, acc)}`,
    );
    await session.release();
  });

  test("two accumulated steps over 3 micro-batches equal two fused steps on their union (1e-5)", async () => {
    const { model, layout, state } = tiny(0);
    const variants = lossVariants(model, { labelSmoothing: 0.1 });
    const accumulated = new Stepper(layout, variants, state, options(3));
    const fused = new Stepper(layout, variants, state, options(1));
    for (let step = 0; step < 2; step++) {
      const a = await accumulated.run(groups.map(micro), 1e-3);
      const b = await fused.run([micro(union)], 1e-3);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
      assert.ok(
        Math.abs(a.gradNorm - b.gradNorm) < 1e-5 * b.gradNorm,
        `grad norm ${a.gradNorm} vs ${b.gradNorm}`,
      );
      assert.equal(a.tokens, b.tokens);
      assert.deepEqual(a.extras, {}, "the Transformer has no extra outputs besides tokens");
    }
    const [sa, sb] = [accumulated.state(), fused.state()];
    assert.equal(sa.step, 2);
    assert.equal(sb.step, 2);
    assert.ok(maxAbsDiff(sa.params, state.params) > 1e-4, "the parameters moved");
    assert.ok(
      maxAbsDiff(sa.params, sb.params) < 1e-5,
      `params differ by ${maxAbsDiff(sa.params, sb.params)}`,
    );
    assert.ok(maxAbsDiff(sa.v, sb.v) < 1e-7, `adam v differs by ${maxAbsDiff(sa.v, sb.v)}`);
    await accumulated.release();
    await fused.release();
  });

  test("the loss-only graph gives the training step's loss without changing anything", async () => {
    const { model, layout, state } = tiny(0);
    const session = await OrtSession.create(buildLossGraph(layout, model.trainingLoss({ training: false })));
    const feeds: Record<string, HostTensor> = {
      ...micro(union).feeds,
      [STEP_IO.params]: { dtype: "float32", dims: [layout.total], data: state.params },
    };
    const loss = ((await session.run(feeds))[STEP_IO.loss]!.data as Float32Array)[0]!;
    const stepper = new Stepper(layout, lossVariants(model, {}), state, options(1));
    const step = await stepper.run([micro(union)], 1e-3);
    assert.ok(Math.abs(loss - step.loss) < 1e-6, `${loss} vs ${step.loss}`);
    await session.release();
    await stepper.release();
  });
});

test("a model's extra scalar outputs are summed over the micro-batches (encoder-only: misaligned_rows)", async () => {
  const model = buildModel({
    architecture: "encoder-only",
    srcVocabSize: 12,
    tgtVocabSize: 12,
    dModel: 8,
    heads: 2,
    ffDim: 16,
    layers: 1,
    dropout: 0,
  });
  const layout = flatLayout(model.parameters());
  const params = initialFlatParams(layout, model.parameters(), 1);
  const state = { params, m: new Float32Array(layout.total), v: new Float32Array(layout.total), step: 0 };
  const variants = lossVariants(model, {});
  const aligned = { src: [4, 5, 2], tgt: [6, 7, 2] };
  const longer = { src: [4, 2], tgt: [6, 7, 8, 2] };
  for (const accumulate of [1, 2]) {
    const stepper = new Stepper(layout, variants, state, options(accumulate));
    const batches =
      accumulate === 1 ? [micro([aligned, longer])] : [micro([aligned, longer]), micro([longer])];
    const r = await stepper.run(batches, 1e-3);
    assert.deepEqual(r.extras, { misaligned_rows: accumulate === 1 ? 1 : 2 });
    await stepper.release();
  }
});

describe("replay", () => {
  test("replaying a batch advances dropout like running it, and leaves the state alone", async () => {
    const { model, layout, state } = tiny(0.3);
    const variants = lossVariants(model, {});
    const [b1, b2] = [micro(groups[0]!), micro(groups[1]!)];
    for (const accumulate of [1, 2]) {
      const batchesOf = (b: MicroBatch) => (accumulate === 1 ? [b] : [b, b]);
      const reference = new Stepper(layout, variants, state, options(accumulate));
      await reference.run(batchesOf(b1), 1e-3);
      const after1 = reference.state();
      const second = await reference.run(batchesOf(b2), 1e-3);

      const replayed = new Stepper(layout, variants, after1, options(accumulate));
      await replayed.replay(batchesOf(b1));
      assert.deepEqual(replayed.state().params, after1.params, "replay must not update");
      assert.equal(replayed.state().step, 1);
      assert.equal((await replayed.run(batchesOf(b2), 1e-3)).loss, second.loss);
      assert.deepEqual(replayed.state().params, reference.state().params);

      const fresh = new Stepper(layout, variants, after1, options(accumulate));
      assert.notEqual(
        (await fresh.run(batchesOf(b2), 1e-3)).loss,
        second.loss,
        "without replay the masks differ",
      );
      for (const s of [reference, replayed, fresh]) await s.release();
    }
  });
});
