// A small seeded training loop for end-to-end tests: a toy symbol task, the real ORT training step (one graph
// per length bucket when the model has them, as a trainer drives it) and greedy decoding of held-out data.

import { padBatch } from "../../src/data/batching.ts";
import { Rng } from "../../src/data/rng.ts";
import { builtinTask } from "../../src/data/tasks.ts";
import { greedyDecode } from "../../src/decode/greedy.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { IO, type LengthBucket, type Seq2SeqModel } from "../../src/models/seq2seq.ts";
import { SPECIAL_IDS } from "../../src/tokenize/tokenizer.ts";
import { buildTrainingStep, flatLayout } from "../../src/train/step-graph.ts";
import { initialFlatParams, TrainingStepRunner, unflatten } from "../../src/train/step-runner.ts";

/** Token id of symbol i of the toy alphabet (ids below are pad, bos, eos, unk). */
export const FIRST_SYMBOL = 4;

export interface ToyTask {
  name: "reverse" | "copy" | "sort";
  symbols: string;
  minLength: number;
  maxLength: number;
  trainCount: number;
  testCount: number;
}

export const REVERSE_TASK: ToyTask = {
  name: "reverse",
  symbols: "abcdef",
  minLength: 3,
  maxLength: 6,
  trainCount: 30000,
  testCount: 200,
};

export interface ToyTrainingOptions {
  steps: number;
  batchSize: number;
  /** Peak learning rate: linear warmup over the first 5% of the steps, then linear decay to 10%. */
  lr: number;
  seed: number;
  /** Called after every step (e.g. to print a loss curve while tuning). */
  log?: (step: number, loss: number) => void;
}

export interface ToyResult {
  /** Fraction of held-out sources decoded exactly. */
  exactMatch: number;
  firstLoss: number;
  lastLoss: number;
  /** Training graphs built (one per length bucket used). */
  graphs: number;
}

interface Pair {
  src: number[];
  tgt: number[];
}

const tensor = (rows: number[][], pad: number): HostTensor => {
  const p = padBatch(rows, pad, { dtype: "int64" });
  return { dtype: "int64", dims: p.dims, data: p.data };
};

/** The first bucket that holds a batch (lengths of src and of tgt_in), or undefined for families without buckets. */
export function bucketFor(model: Seq2SeqModel, srcLen: number, tgtLen: number): LengthBucket | undefined {
  if (!model.lengthBuckets) return undefined;
  const bucket = model.lengthBuckets.find((b) => b.srcLen >= srcLen && b.tgtLen >= tgtLen);
  if (!bucket) throw new Error(`no length bucket holds a batch of lengths ${srcLen}/${tgtLen}`);
  return bucket;
}

/** Trains `model` from seeded initialisation on the toy task and greedy-decodes its test split. */
export async function trainToyTask(
  model: Seq2SeqModel,
  task: ToyTask,
  o: ToyTrainingOptions,
): Promise<ToyResult> {
  const { pad, bos, eos } = SPECIAL_IDS;
  const splits = await builtinTask(task.name, {
    symbols: task.symbols,
    minLength: task.minLength,
    maxLength: task.maxLength,
    count: task.trainCount,
    validCount: 1,
    testCount: task.testCount,
    seed: o.seed,
  });
  const encode = (text: string) => Array.from(text, (ch) => FIRST_SYMBOL + task.symbols.indexOf(ch));
  const toPair = (e: { src: string; tgt: string }): Pair => ({
    src: [...encode(e.src), eos],
    tgt: encode(e.tgt),
  });
  const train = splits.train.map(toPair);
  const byLength = [...new Set(train.map((p) => p.src.length))].map((n) =>
    train.filter((p) => p.src.length === n),
  );
  const layout = flatLayout(model.parameters());
  const runners = new Map<string, TrainingStepRunner>();
  let params = initialFlatParams(layout, model.parameters(), o.seed);
  let current: TrainingStepRunner | undefined;
  const rng = new Rng(o.seed);
  const losses: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    // Batches of one source length, as length-sorted batching gives: short batches use short buckets.
    const pool = byLength[rng.int(byLength.length)]!;
    const rows = Array.from({ length: o.batchSize }, () => pool[rng.int(pool.length)]!);
    const src = rows.map((r) => r.src);
    const tgtIn = rows.map((r) => [bos, ...r.tgt]);
    const bucket = bucketFor(
      model,
      Math.max(...src.map((r) => r.length)),
      Math.max(...tgtIn.map((r) => r.length)),
    );
    const key = bucket ? `${bucket.srcLen}x${bucket.tgtLen}` : "any";
    let runner = runners.get(key);
    if (!runner) {
      const graph = buildTrainingStep(layout, model.trainingLoss({ bucket }), undefined, { seed: o.seed });
      runner = await TrainingStepRunner.create(graph, layout, params);
      runners.set(key, runner);
    }
    if (current && current !== runner) {
      // Hand the parameters and optimizer state over to the session of this batch's bucket.
      [runner.params, runner.m, runner.v, runner.step] = [current.params, current.m, current.v, current.step];
    }
    current = runner;
    const warmup = Math.max(1, Math.round(o.steps / 20));
    const lr =
      o.lr * Math.min((step + 1) / warmup, 1 - (0.9 * Math.max(0, step - warmup)) / (o.steps - warmup));
    const result = await runner.run(
      {
        [IO.src]: tensor(src, pad),
        [IO.tgtIn]: tensor(tgtIn, pad),
        [IO.tgtOut]: tensor(
          rows.map((r) => [...r.tgt, eos]),
          pad,
        ),
      },
      lr,
    );
    losses.push(result.loss);
    o.log?.(step, result.loss);
  }
  params = current!.params;
  for (const r of runners.values()) await r.release();

  const decoder = await Seq2SeqRunner.create(model, unflatten(layout, params));
  const test = splits.test.map(toPair);
  const hyps = await greedyDecode(
    decoder,
    test.map((p) => p.src),
    { bos, eos, maxLength: task.maxLength + 2 },
  );
  await decoder.release();
  const exact = hyps.filter((h, i) => h.join(" ") === test[i]!.tgt.join(" ")).length;
  return {
    exactMatch: exact / test.length,
    firstLoss: losses[0]!,
    lastLoss: losses.at(-1)!,
    graphs: runners.size,
  };
}
