// One model, many tasks (Raffel et al. 2020 §3.5.2): mixing rates (examples-proportional with a cap K,
// temperature-scaled, or explicit) and a resumable batch stream whose every epoch takes each task's share.

import { type DataPosition, EpochStream, type StreamedBatch } from "./batch-stream.ts";
import { type BatchOptions, type BatchPlan, makeBatches, type TokenizedPair } from "./batching.ts";
import { mixSeed, Rng } from "./rng.ts";

/** What the trainer needs of a batch stream: BatchStream and MixtureStream both are one. */
export interface ExampleStream {
  readonly position: DataPosition;
  readonly batchesPerEpoch: number;
  readonly skipped: readonly number[];
  next(): StreamedBatch;
}

export interface MixingOptions {
  /** A rate per task; all 0 = examples-proportional (capped, temperature-scaled); all > 0 = these, normalised. */
  rates: readonly number[];
  /** Examples-proportional mixing counts a task as at most this many examples (T5's K); 0 = no cap. */
  cap: number;
  /** Rates ∝ min(size, cap)^(1/temperature); 1 = proportional, larger evens the tasks out. */
  temperature: number;
}

/** Each task's share of the training examples (summing to 1), from the task sizes and the options. */
export function mixingRates(sizes: readonly number[], options: MixingOptions): number[] {
  const { rates, cap, temperature } = options;
  if (rates.length !== sizes.length)
    throw new Error(`mixing: ${rates.length} rates for ${sizes.length} tasks`);
  const explicit = rates.some((r) => r > 0);
  if (explicit && rates.some((r) => !(r > 0)))
    throw new Error("mixing: give every task a rate > 0, or none (examples-proportional mixing)");
  if (!(temperature > 0)) throw new Error(`mixing: temperature must be > 0, got ${temperature}`);
  const weights = explicit
    ? [...rates]
    : sizes.map((n) => Math.min(n, cap > 0 ? cap : Number.POSITIVE_INFINITY) ** (1 / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error("mixing: every task is empty");
  return weights.map((w) => w / total);
}

/** Splits `size` examples by `rates` into whole counts summing to `size` (largest remainders first). */
export function epochQuotas(rates: readonly number[], size: number): number[] {
  const exact = rates.map((r) => r * size);
  const quotas = exact.map(Math.floor);
  const order = exact
    .map((_, i) => i)
    .sort((a, b) => exact[b]! - quotas[b]! - (exact[a]! - quotas[a]!) || a - b);
  const left = size - quotas.reduce((a, b) => a + b, 0);
  for (let k = 0; k < left; k++) quotas[order[k % order.length]!]! += 1;
  return quotas;
}

/** A task of a mixture stream: its name (for errors) and how many of its examples every epoch takes. */
export interface MixtureTask {
  name: string;
  quota: number;
}

/**
 * Batches over a mixture of tasks. Epoch e takes `quota` examples of each task: the next ones of an endless
 * sequence of seeded permutations of that task's examples (cycle c shuffled with mixSeed(seed, task, c)), so
 * a capped task shows all its examples over several epochs and a small one repeats. The epoch's examples are
 * then batched like BatchStream's (makeBatches with the same seed and epoch). A position {epoch, batchIndex}
 * is all a checkpoint needs: an epoch is recomputed from (seed, epoch).
 */
export class MixtureStream extends EpochStream implements ExampleStream {
  private readonly byTask: number[][];

  /** `taskOf[i]`: the task index of examples[i]. */
  constructor(
    private readonly examples: readonly TokenizedPair[],
    taskOf: readonly number[],
    private readonly tasks: readonly MixtureTask[],
    private readonly options: Omit<BatchOptions, "epoch">,
    start: DataPosition = { epoch: 0, batchIndex: 0 },
  ) {
    super();
    if (taskOf.length !== examples.length)
      throw new Error(`mixture: ${taskOf.length} task indices for ${examples.length} examples`);
    this.byTask = tasks.map(() => []);
    taskOf.forEach((t, i) => {
      if (this.byTask[t] === undefined) throw new Error(`mixture: example ${i} has no task ${t}`);
      this.byTask[t]!.push(i);
    });
    tasks.forEach((task, t) => {
      if (task.quota > 0 && this.byTask[t]!.length === 0)
        throw new Error(`mixture task "${task.name}" has no training example left to sample from`);
    });
    this.begin(start, "did the data or the mixture change?");
  }

  /** The global indices of the examples of epoch `epoch`, task by task. */
  epochExamples(epoch: number): number[] {
    const out: number[] = [];
    this.tasks.forEach((task, t) => {
      const pool = this.byTask[t]!;
      let cycle = -1;
      let order: number[] = [];
      for (let p = epoch * task.quota; p < (epoch + 1) * task.quota; p++) {
        const c = Math.floor(p / pool.length);
        if (c !== cycle) {
          cycle = c;
          order = new Rng(mixSeed(this.options.seed, t, c)).shuffle([...pool]);
        }
        out.push(order[p % pool.length]!);
      }
    });
    return out;
  }

  protected planFor(epoch: number): BatchPlan {
    const chosen = this.epochExamples(epoch);
    const plan = makeBatches(
      chosen.map((i) => this.examples[i]!),
      { ...this.options, epoch },
    );
    return {
      batches: plan.batches.map((b) => ({ ...b, indices: b.indices.map((k) => chosen[k]!) })),
      skipped: plan.skipped.map((k) => chosen[k]!),
    };
  }

  protected emptyReason(): string {
    return `the mixture's epoch is empty or all its examples are longer than maxTokens ${this.options.maxTokens}`;
  }
}
