// Trains any Seq2SeqModel on a built-in toy task through the real ORT training step and scores greedy
// decoding on held-out pairs: the end-to-end check every model family shares (see src/demo.ts).

import type { TaskOptions } from "../../src/data/synthetic-tasks.ts";
import { builtinTask } from "../../src/data/tasks.ts";
import { greedyDecode } from "../../src/decode/greedy.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { type HostTensor, int64 } from "../../src/graph/tensor.ts";
import type { Seq2SeqModel } from "../../src/models/seq2seq.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { SPECIAL_IDS, type Tokenizer } from "../../src/tokenize/tokenizer.ts";
import { cosineLr } from "../../src/train/schedules.ts";
import { buildTrainingStep, flatLayout } from "../../src/train/step-graph.ts";
import { initialFlatParams, TrainingStepRunner, unflatten } from "../../src/train/step-runner.ts";
import { seeded } from "./random.ts";

/** Token ids of one pair: src = x + EOS, tgt = y + EOS. */
export interface IdPair {
  src: number[];
  tgt: number[];
}

/** A built-in task tokenized with one character vocabulary over both sides. */
export async function toyTask(
  name: string,
  options: TaskOptions,
): Promise<{ train: IdPair[]; test: IdPair[]; vocabSize: number; tokenizer: Tokenizer }> {
  const splits = await builtinTask(name, options);
  const tok = trainCharTokenizer([...splits.train, ...splits.test].flatMap((e) => [e.src, e.tgt]));
  const ids = (text: string) => [...tok.encode(text), SPECIAL_IDS.eos];
  const pairs = (xs: typeof splits.train) => xs.map((e) => ({ src: ids(e.src), tgt: ids(e.tgt) }));
  return { train: pairs(splits.train), test: pairs(splits.test), vocabSize: tok.vocabSize, tokenizer: tok };
}

function padded(rows: readonly (readonly number[])[]): HostTensor {
  const len = Math.max(...rows.map((r) => r.length));
  return int64(
    rows.flatMap((r) => [...r, ...new Array<number>(len - r.length).fill(SPECIAL_IDS.pad)]),
    [rows.length, len],
  );
}

/** The training feeds of some pairs: src_ids, tgt_in (BOS + y), tgt_out (y + EOS), right-padded. */
export function batchFeeds(pairs: readonly IdPair[]): Record<string, HostTensor> {
  return {
    src_ids: padded(pairs.map((p) => p.src)),
    tgt_in: padded(pairs.map((p) => [SPECIAL_IDS.bos, ...p.tgt.slice(0, -1)])),
    tgt_out: padded(pairs.map((p) => p.tgt)),
  };
}

export interface ToyTraining {
  steps: number;
  batchSize: number;
  /** Peak learning rate of a warm-up + cosine schedule. */
  lr: number;
  warmupSteps: number;
  seed: number;
}

/** Trains `model` from seeded initial weights on random batches of `pairs`; returns the weights. */
export async function trainOnPairs(
  model: Seq2SeqModel,
  pairs: readonly IdPair[],
  o: ToyTraining,
): Promise<Map<string, Float32Array>> {
  const layout = flatLayout(model.parameters());
  const graph = buildTrainingStep(layout, model.trainingLoss(), undefined, { seed: o.seed });
  const runner = await TrainingStepRunner.create(
    graph,
    layout,
    initialFlatParams(layout, model.parameters(), o.seed),
  );
  const rand = seeded(o.seed);
  const schedule = { warmupSteps: o.warmupSteps, totalSteps: o.steps, minLr: o.lr / 20 };
  for (let step = 1; step <= o.steps; step++) {
    const batch = Array.from({ length: o.batchSize }, () => pairs[Math.floor(rand() * pairs.length)]!);
    await runner.run(batchFeeds(batch), cosineLr(step, o.lr, schedule));
  }
  await runner.release();
  return unflatten(layout, runner.params);
}

/** Fraction of `pairs` whose greedy decoding (batched, so sources are padded) equals the target exactly. */
export async function greedyExactMatch(
  model: Seq2SeqModel,
  weights: ReadonlyMap<string, Float32Array>,
  pairs: readonly IdPair[],
): Promise<number> {
  const runner = await Seq2SeqRunner.create(model, weights);
  const { bos, eos } = SPECIAL_IDS;
  let right = 0;
  for (let i = 0; i < pairs.length; i += 64) {
    const chunk = pairs.slice(i, i + 64);
    const out = await greedyDecode(
      runner,
      chunk.map((p) => p.src),
      { bos, eos, maxLength: 16 },
    );
    chunk.forEach((p, j) => {
      if (out[j]!.join(" ") === p.tgt.slice(0, -1).join(" ")) right += 1;
    });
  }
  await runner.release();
  return right / pairs.length;
}
