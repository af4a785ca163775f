// Fine-tuning a loaded Hugging Face model: the one-graph training step over model.trainingLoss, started
// from the folder's weights, lowers the loss on a fixed batch within a few steps (BART-style and T5).

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { int64 } from "../../src/graph/tensor.ts";
import { loadHfFolder } from "../../src/models/hf-import.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { buildTrainingStep, flatLayout } from "../../src/train/step-graph.ts";
import { TrainingStepRunner } from "../../src/train/step-runner.ts";
import { FIXTURES, fixturesMissing } from "./hf-fixtures.ts";

async function fineTune(family: string): Promise<number[]> {
  const hf = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
  const layout = flatLayout(hf.model.parameters());
  const flat = new Float32Array(layout.total);
  for (const slot of layout.slots) flat.set(hf.weights.get(slot.name)!, slot.offset);
  const graph = buildTrainingStep(layout, hf.model.trainingLoss({ training: false }), undefined, { seed: 1 });
  const runner = await TrainingStepRunner.create(graph, layout, flat);
  const { eos, decoderStart, pad } = hf.tokens;
  const targets = [
    [10, 11, 12, 13, eos],
    [14, 15, 16, eos, pad],
  ];
  const batch = {
    [IO.src]: int64([20, 21, 22, 23, eos, 24, 25, eos, pad, pad], [2, 5]),
    [IO.tgtIn]: int64(
      targets.flatMap((t) => [decoderStart, ...t.slice(0, -1)]),
      [2, 5],
    ),
    [IO.tgtOut]: int64(targets.flat(), [2, 5]),
  };
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) losses.push((await runner.run(batch, 3e-3)).loss);
  await runner.release();
  return losses;
}

for (const family of ["marian", "t5_v1_1"]) {
  test(`fine-tuning the ${family} fixture lowers its loss`, { skip: fixturesMissing(family) }, async () => {
    const losses = await fineTune(family);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses.at(-1)! < losses[0]! - 0.1, `loss went ${losses.map((l) => l.toFixed(3)).join(" -> ")}`);
  });
}
