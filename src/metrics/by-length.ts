// Source-length breakdowns ("BLEU by source length"): buckets segment indices by the word count of
// their source sentence and scores each bucket with any corpus metric.
import { pySplit } from "./tokenizers.ts";

/** How to bucket lengths: fixed-width buckets (0-9, 10-19, ...) or explicit lower edges. */
export interface LengthBucketOptions {
  /** Bucket width in words. Default 10. Ignored when `edges` is given. */
  width?: number;
  /** Ascending lower bounds, e.g. [0, 10, 20, 40] -> 0-9, 10-19, 20-39, 40+. */
  edges?: readonly number[];
}

/** One bucket of segments, by source length in words: min ≤ length ≤ max (max null: open-ended). */
export interface LengthBucket {
  /** "10-19", or "40+" for the open last bucket of explicit edges. */
  label: string;
  min: number;
  max: number | null;
  /** Indices of the segments in this bucket, ascending. */
  indices: number[];
}

/** A bucket's score. */
export interface LengthBreakdown<T> {
  label: string;
  min: number;
  max: number | null;
  count: number;
  result: T;
}

function checkEdges(edges: readonly number[]): void {
  edges.forEach((edge, k) => {
    if (!Number.isInteger(edge) || edge < 0 || (k > 0 && edge <= edges[k - 1]!)) {
      throw new Error(
        `length bucket edges must be ascending non-negative integers, got [${edges.join(", ")}]`,
      );
    }
  });
}

/** Lower/upper bounds of the bucket holding `length`. */
function bucketBounds(length: number, options: LengthBucketOptions): { min: number; max: number | null } {
  const edges = options.edges;
  if (edges && edges.length > 0) {
    let k = edges.length - 1;
    while (k > 0 && edges[k]! > length) k--;
    if (edges[k]! > length) return { min: 0, max: edges[0]! - 1 };
    return { min: edges[k]!, max: k + 1 < edges.length ? edges[k + 1]! - 1 : null };
  }
  const width = options.width ?? 10;
  const min = Math.floor(length / width) * width;
  return { min, max: min + width - 1 };
}

/** Groups segment indices by source length in words; only non-empty buckets, shortest first. */
export function bucketBySourceLength(
  sources: readonly string[],
  options: LengthBucketOptions = {},
): LengthBucket[] {
  const width = options.width ?? 10;
  if (!Number.isInteger(width) || width < 1)
    throw new Error(`length bucket width must be a positive integer, got ${width}`);
  if (options.edges) checkEdges(options.edges);
  const buckets = new Map<number, LengthBucket>();
  sources.forEach((source, i) => {
    const { min, max } = bucketBounds(pySplit(source).length, options);
    let bucket = buckets.get(min);
    if (!bucket) {
      bucket = { label: max === null ? `${min}+` : `${min}-${max}`, min, max, indices: [] };
      buckets.set(min, bucket);
    }
    bucket.indices.push(i);
  });
  return [...buckets.values()].sort((a, b) => a.min - b.min);
}

/**
 * Scores each source-length bucket with `score`, which receives the bucket's hypotheses and reference
 * streams (references[k][i], the same layout as the corpus metrics).
 */
export function breakdownByLength<T>(
  sources: readonly string[],
  hypotheses: readonly string[],
  references: readonly string[][],
  score: (hypotheses: string[], references: string[][]) => T,
  options: LengthBucketOptions = {},
): LengthBreakdown<T>[] {
  if (sources.length !== hypotheses.length) {
    throw new Error(`${sources.length} source lines but ${hypotheses.length} hypotheses`);
  }
  return bucketBySourceLength(sources, options).map((bucket) => {
    const hyps = bucket.indices.map((i) => hypotheses[i]!);
    const refs = references.map((stream) => bucket.indices.map((i) => stream[i]!));
    return {
      label: bucket.label,
      min: bucket.min,
      max: bucket.max,
      count: hyps.length,
      result: score(hyps, refs),
    };
  });
}
