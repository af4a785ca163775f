// An endless, resumable sequence of training batches over epochs. Its position (epoch, batch index)
// is all a checkpoint needs: the plan of an epoch is recomputed from (seed, epoch).

import {
  type Batch,
  type BatchOptions,
  type BatchPlan,
  makeBatches,
  type TokenizedPair,
} from "./batching.ts";

/** Where a BatchStream stands: the next batch is batch `batchIndex` of epoch `epoch` (both 0-based). */
export interface DataPosition {
  epoch: number;
  batchIndex: number;
}

export interface StreamedBatch {
  batch: Batch;
  /** Position of this batch. */
  epoch: number;
  batchIndex: number;
}

/**
 * Batches of epoch 0, 1, 2, ... from a per-epoch plan, restartable at any saved DataPosition. A subclass says
 * how an epoch is planned; it calls `begin(start)` at the end of its constructor.
 */
export abstract class EpochStream {
  private epoch = 0;
  private batchIndex = 0;
  private plan!: BatchPlan;

  /** The batches of epoch `epoch`, recomputed from (seed, epoch) alone. */
  protected abstract planFor(epoch: number): BatchPlan;
  /** Why there are no batches, for the error of `next`. */
  protected abstract emptyReason(): string;

  /** Starts at `start`, a position saved from `position`; `changeHint` ends the error of a position that does not fit. */
  protected begin(start: DataPosition, changeHint: string): void {
    this.epoch = start.epoch;
    this.batchIndex = start.batchIndex;
    this.plan = this.planFor(this.epoch);
    if (
      !Number.isInteger(start.batchIndex) ||
      start.batchIndex < 0 ||
      start.batchIndex > this.plan.batches.length
    ) {
      throw new Error(
        `data position batchIndex ${start.batchIndex} is outside epoch ${start.epoch}, which has ` +
          `${this.plan.batches.length} batches (${changeHint})`,
      );
    }
  }

  /** The position of the next batch, to save with a checkpoint. */
  get position(): DataPosition {
    return { epoch: this.epoch, batchIndex: this.batchIndex };
  }

  /** Batches in the current epoch. */
  get batchesPerEpoch(): number {
    return this.plan.batches.length;
  }

  /** Examples of the current epoch left out of every batch for being longer than maxTokens. */
  get skipped(): readonly number[] {
    return this.plan.skipped;
  }

  /** The next batch, moving on to the next epoch after the last one. */
  next(): StreamedBatch {
    if (this.plan.batches.length === 0) throw new Error(`no batches: ${this.emptyReason()}`);
    if (this.batchIndex >= this.plan.batches.length) {
      this.epoch++;
      this.batchIndex = 0;
      this.plan = this.planFor(this.epoch);
    }
    const out = {
      batch: this.plan.batches[this.batchIndex]!,
      epoch: this.epoch,
      batchIndex: this.batchIndex,
    };
    this.batchIndex++;
    return out;
  }
}

/** Batches of one data set from makeBatches; restartable at any saved DataPosition. */
export class BatchStream extends EpochStream {
  /** `start`: a position saved from `position` (default: the first batch of epoch 0). */
  constructor(
    private readonly examples: readonly TokenizedPair[],
    private readonly options: Omit<BatchOptions, "epoch">,
    start: DataPosition = { epoch: 0, batchIndex: 0 },
  ) {
    super();
    this.begin(start, "did the data or batching options change?");
  }

  protected planFor(epoch: number): BatchPlan {
    return makeBatches(this.examples, { ...this.options, epoch });
  }

  protected emptyReason(): string {
    return `the data set is empty or all ${this.examples.length} examples are longer than maxTokens ${this.options.maxTokens}`;
  }
}
