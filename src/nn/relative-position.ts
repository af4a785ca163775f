// T5's relative position bias (Raffel et al. 2020, §2.1; Shaw et al. 2018): a learned scalar per head and
// per bucket of the key–query offset, added to the attention scores of every self-attention layer.

import type { Value } from "../graph/ir.ts";
import { normal } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

/**
 * The bucket of a relative position (key index − query index), as Hugging Face's `_relative_position_bucket`
 * computes it in float32: bidirectional stacks split the buckets between the two signs; offsets below
 * half of a direction's buckets get one bucket each, larger ones share log-spaced buckets up to `maxDistance`.
 */
export function relativePositionBucket(
  relative: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): number {
  const f = Math.fround;
  let buckets = numBuckets;
  let bucket = 0;
  let distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) bucket += buckets;
    distance = Math.abs(relative);
  } else {
    distance = -Math.min(relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return bucket + distance;
  const logRatio = f(f(Math.log(f(distance / maxExact))) / f(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f(logRatio * (buckets - maxExact)));
  return bucket + Math.min(large, buckets - 1);
}

/**
 * Learned bias [numBuckets, heads] looked up by bucketed relative position. T5 stores it in the first
 * block's self-attention (`…block.0.layer.0.SelfAttention.relative_attention_bias.weight`) and every layer of
 * the stack reuses it. Offsets beyond ±maxDistance fall in the last bucket of their direction, so the
 * buckets of −maxDistance..maxDistance are precomputed and offsets are clamped to that range in the graph.
 */
export class RelativePositionBias extends Module {
  readonly weight: Parameter;
  private readonly buckets: BigInt64Array;

  constructor(
    prefix: string,
    readonly heads: number,
    readonly numBuckets: number,
    readonly maxDistance: number,
    readonly bidirectional: boolean,
  ) {
    super(prefix);
    this.weight = this.param("weight", [numBuckets, heads], normal(1), false);
    this.buckets = new BigInt64Array(2 * maxDistance + 1);
    for (let r = -maxDistance; r <= maxDistance; r++) {
      const bucket = relativePositionBucket(r, bidirectional, numBuckets, maxDistance);
      this.buckets[r + maxDistance] = BigInt(bucket);
    }
  }

  /**
   * queries: [tq] int64 absolute positions; keys: [tk] int64 absolute positions -> bias [1, heads, tq, tk].
   */
  forward(s: Scope, queries: Value, keys: Value): Value {
    const b = s.b;
    const d = this.maxDistance;
    const relative = b.sub(b.unsqueeze(keys, [0]), b.unsqueeze(queries, [1])); // [tq, tk]
    const clamped = b.add(b.max(b.min(relative, d), -d), d); // [tq, tk] in 0..2d
    const table = b.constant({ dtype: "int64", dims: [2 * d + 1], data: this.buckets });
    const bucket = b.gather(table, clamped, 0); // [tq, tk]
    const bias = b.gather(s.value(this.weight), bucket, 0); // [tq, tk, heads]
    return b.unsqueeze(b.transpose(bias, [2, 0, 1]), [0]); // [1, heads, tq, tk]
  }
}
