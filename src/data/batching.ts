// Batches by token count: examples of similar length are grouped (sorted within large shuffled chunks)
// so little padding is wasted, each batch stays within a padded-token budget, and batch order is seeded.

import { mixSeed, Rng } from "./rng.ts";

/** A tokenized example; only the lengths matter for batching. */
export interface TokenizedPair {
  src: ArrayLike<number>;
  tgt: ArrayLike<number>;
}

export interface BatchOptions {
  /** Budget per batch: sentences * longest padded side (src or tgt, extraTokens included) <= maxTokens. */
  maxTokens: number;
  /** At most this many sentences per batch. Default: no limit. */
  maxSentences?: number;
  seed: number;
  epoch: number;
  /** Shuffle examples into chunks and the batch order (training). false: sort everything by length, in order. Default true. */
  shuffle?: boolean;
  /** Examples sorted by length together (a larger chunk gives less padding, less randomness). Default 4096. */
  chunkSize?: number;
  /** Tokens the model adds to every sequence (e.g. 1 for eos on the source, 1 for bos/eos on the target). Default 0. */
  extraTokens?: number;
}

/** A batch: indices into the examples, and the padded lengths of each side (extraTokens included). */
export interface Batch {
  indices: number[];
  srcLen: number;
  tgtLen: number;
}

export interface BatchPlan {
  batches: Batch[];
  /** Examples longer than maxTokens on their own, left out. */
  skipped: number[];
}

function checkOptions(options: BatchOptions): void {
  const positive = (v: number | undefined, key: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new Error(`batching option ${key} must be a positive integer, got ${v}`);
  };
  positive(options.maxTokens, "maxTokens");
  positive(options.maxSentences, "maxSentences");
  positive(options.chunkSize, "chunkSize");
  if (!Number.isInteger(options.epoch) || options.epoch < 0)
    throw new Error(`batching option epoch must be >= 0, got ${options.epoch}`);
}

/** Cuts `order` (already sorted by length) into batches within the budget. */
function cut(order: number[], src: number[], tgt: number[], options: BatchOptions, out: Batch[]): void {
  const maxSentences = options.maxSentences ?? Number.POSITIVE_INFINITY;
  let current: Batch = { indices: [], srcLen: 0, tgtLen: 0 };
  for (const i of order) {
    const srcLen = Math.max(current.srcLen, src[i]!);
    const tgtLen = Math.max(current.tgtLen, tgt[i]!);
    const fits = (current.indices.length + 1) * Math.max(srcLen, tgtLen) <= options.maxTokens;
    if (current.indices.length > 0 && (!fits || current.indices.length >= maxSentences)) {
      out.push(current);
      current = { indices: [i], srcLen: src[i]!, tgtLen: tgt[i]! };
    } else {
      current.indices.push(i);
      current.srcLen = srcLen;
      current.tgtLen = tgtLen;
    }
  }
  if (current.indices.length > 0) out.push(current);
}

/**
 * Plans the batches of one epoch; the same (examples, options) always give the same plan.
 * Shuffles the examples with Rng(mixSeed(seed, epoch)), sorts each chunk of `chunkSize` by length,
 * cuts batches within the token budget, then shuffles the batch order.
 */
export function makeBatches(examples: readonly TokenizedPair[], options: BatchOptions): BatchPlan {
  checkOptions(options);
  const extra = options.extraTokens ?? 0;
  const src = examples.map((e) => e.src.length + extra);
  const tgt = examples.map((e) => e.tgt.length + extra);
  const skipped: number[] = [];
  const usable: number[] = [];
  examples.forEach((_, i) => {
    if (Math.max(src[i]!, tgt[i]!) > options.maxTokens) skipped.push(i);
    else usable.push(i);
  });
  const shuffle = options.shuffle ?? true;
  const rng = new Rng(mixSeed(options.seed, options.epoch));
  if (shuffle) rng.shuffle(usable);
  const chunkSize = shuffle ? (options.chunkSize ?? 4096) : Math.max(1, usable.length);
  const byLength = (a: number, b: number): number =>
    Math.max(src[a]!, tgt[a]!) - Math.max(src[b]!, tgt[b]!) ||
    src[a]! - src[b]! ||
    tgt[a]! - tgt[b]! ||
    a - b;
  const batches: Batch[] = [];
  for (let start = 0; start < usable.length; start += chunkSize) {
    cut(usable.slice(start, start + chunkSize).sort(byLength), src, tgt, options, batches);
  }
  if (shuffle) rng.shuffle(batches);
  return { batches, skipped };
}

/** Padded token count of a batch: sentences * longest side. */
export function batchTokens(batch: Batch): number {
  return batch.indices.length * Math.max(batch.srcLen, batch.tgtLen);
}

export interface PadOptions {
  /** Token put before every sequence (e.g. bos). */
  prepend?: number;
  /** Token put after every sequence (e.g. eos). */
  append?: number;
  /** Pad to this length instead of the longest sequence; longer sequences are an error. */
  length?: number;
}

export interface PaddedBatch<T extends Int32Array | BigInt64Array> {
  /** Row-major [batch, length]. */
  data: T;
  dims: [number, number];
  /** Real length of each row (prepend/append included). */
  lengths: number[];
}

/** Pads `seqs` to one length into a flat Int32Array ([batch, length], row-major). */
export function padBatch(
  seqs: readonly ArrayLike<number>[],
  padId: number,
  options?: PadOptions,
): PaddedBatch<Int32Array>;
/** Pads `seqs` into a flat BigInt64Array (for ONNX int64 inputs). */
export function padBatch(
  seqs: readonly ArrayLike<number>[],
  padId: number,
  options: PadOptions & { dtype: "int64" },
): PaddedBatch<BigInt64Array>;
export function padBatch(
  seqs: readonly ArrayLike<number>[],
  padId: number,
  options: PadOptions & { dtype?: "int32" | "int64" } = {},
): PaddedBatch<Int32Array> | PaddedBatch<BigInt64Array> {
  const rows = seqs.map((s) => [
    ...(options.prepend === undefined ? [] : [options.prepend]),
    ...Array.from(s),
    ...(options.append === undefined ? [] : [options.append]),
  ]);
  const lengths = rows.map((r) => r.length);
  const longest = Math.max(0, ...lengths);
  const length = options.length ?? longest;
  if (longest > length) throw new Error(`padBatch: a sequence of length ${longest} exceeds length ${length}`);
  const flat = new Array<number>(rows.length * length).fill(padId);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.length; t++) flat[b * length + t] = row[t]!;
  });
  const dims: [number, number] = [rows.length, length];
  if (options.dtype === "int64") return { data: BigInt64Array.from(flat, (v) => BigInt(v)), dims, lengths };
  return { data: Int32Array.from(flat), dims, lengths };
}
