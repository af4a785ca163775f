// The data side of an optimizer step: the seeded, resumable stream of token-budget batches, cut into the
// micro-batches of one step (gradient accumulation), each fed as teacher-forcing tensors to its length bucket.

import { BatchStream, type DataPosition } from "../data/batch-stream.ts";
import type { TokenizedPair } from "../data/batching.ts";
import { type ExampleStream, MixtureStream, type MixtureTask } from "../data/mixture.ts";
import { type LossVariant, type MicroBatch, pickVariant } from "./stepper.ts";
import type { TrainConfig } from "./train-config.ts";
import { batchFeeds, type FeedIds } from "./validation.ts";

/** Makes batch streams over a run's training pairs and turns their batches into micro-batches. */
export class StepBatches {
  constructor(
    private readonly pairs: readonly TokenizedPair[],
    private readonly variants: readonly LossVariant[],
    private readonly train: TrainConfig,
    /** Padding and decoder start of the feeds (default this project's SPECIAL_IDS). */
    private readonly ids?: FeedIds,
    /** A mixture's sampling plan (src/data/mixture.ts): then every epoch takes each task's quota. */
    private readonly mixture?: { taskOf: readonly number[]; tasks: readonly MixtureTask[] } | null,
  ) {}

  /** A stream of batches in seeded order, from `start` (default: the first batch of epoch 0). */
  stream(start?: DataPosition): ExampleStream {
    const t = this.train;
    const options = { maxTokens: t.maxTokens, maxSentences: t.maxSentences || undefined, seed: t.seed };
    if (this.mixture)
      return new MixtureStream(this.pairs, this.mixture.taskOf, this.mixture.tasks, options, start);
    return new BatchStream(this.pairs, options, start);
  }

  /** The next step's `accumulate` micro-batches from `stream`, and the epoch of the last one. */
  next(stream: ExampleStream): { batches: MicroBatch[]; epoch: number } {
    const batches: MicroBatch[] = [];
    let epoch = 0;
    for (let i = 0; i < this.train.accumulate; i++) {
      const next = stream.next();
      const pairs = next.batch.indices.map((k) => this.pairs[k]!);
      const variant = pickVariant(this.variants, next.batch.srcLen, next.batch.tgtLen);
      if (variant < 0) {
        throw new Error(`a batch of lengths ${next.batch.srcLen}/${next.batch.tgtLen} fits no length bucket`);
      }
      const tokens = pairs.reduce((s, p) => s + p.tgt.length, 0);
      batches.push({ feeds: batchFeeds(pairs, this.ids), tokens, variant });
      epoch = next.epoch;
    }
    return { batches, epoch };
  }

  /** Epochs `stream` has finished. */
  static completedEpochs(stream: ExampleStream): number {
    const pos = stream.position;
    return pos.batchIndex >= stream.batchesPerEpoch ? pos.epoch + 1 : pos.epoch;
  }

  /** The steps the run will take by its step and epoch limits (null when only time bounds it). */
  totalSteps(stream: ExampleStream): number | null {
    const t = this.train;
    const byEpochs =
      t.maxEpochs > 0
        ? Math.ceil((t.maxEpochs * stream.batchesPerEpoch) / t.accumulate)
        : Number.POSITIVE_INFINITY;
    const total = Math.min(t.maxSteps > 0 ? t.maxSteps : Number.POSITIVE_INFINITY, byEpochs);
    return Number.isFinite(total) ? total : null;
  }
}
