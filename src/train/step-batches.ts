// The data side of an optimizer step: the seeded, resumable stream of token-budget batches, cut into the
// micro-batches of one step (gradient accumulation), each fed as teacher-forcing tensors to its length bucket.

import { BatchStream, type DataPosition } from "../data/batch-stream.ts";
import type { TokenizedPair } from "../data/batching.ts";
import { type LossVariant, type MicroBatch, pickVariant } from "./stepper.ts";
import type { TrainConfig } from "./train-config.ts";
import { batchFeeds } from "./validation.ts";

/** Makes batch streams over a run's training pairs and turns their batches into micro-batches. */
export class StepBatches {
  constructor(
    private readonly pairs: readonly TokenizedPair[],
    private readonly variants: readonly LossVariant[],
    private readonly train: TrainConfig,
  ) {}

  /** A stream of batches in seeded order, from `start` (default: the first batch of epoch 0). */
  stream(start?: DataPosition): BatchStream {
    const t = this.train;
    return new BatchStream(
      this.pairs,
      { maxTokens: t.maxTokens, maxSentences: t.maxSentences || undefined, seed: t.seed },
      start,
    );
  }

  /** The next step's `accumulate` micro-batches from `stream`, and the epoch of the last one. */
  next(stream: BatchStream): { batches: MicroBatch[]; epoch: number } {
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
      batches.push({ feeds: batchFeeds(pairs), tokens, variant });
      epoch = next.epoch;
    }
    return { batches, epoch };
  }

  /** Epochs `stream` has finished. */
  static completedEpochs(stream: BatchStream): number {
    const pos = stream.position;
    return pos.batchIndex >= stream.batchesPerEpoch ? pos.epoch + 1 : pos.epoch;
  }

  /** The steps the run will take by its step and epoch limits (null when only time bounds it). */
  totalSteps(stream: BatchStream): number | null {
    const t = this.train;
    const byEpochs =
      t.maxEpochs > 0
        ? Math.ceil((t.maxEpochs * stream.batchesPerEpoch) / t.accumulate)
        : Number.POSITIVE_INFINITY;
    const total = Math.min(t.maxSteps > 0 ? t.maxSteps : Number.POSITIVE_INFINITY, byEpochs);
    return Number.isFinite(total) ? total : null;
  }
}
