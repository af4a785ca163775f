// Token-budget batching: every batch within budget, every example used once, little padding,
// reproducible given (seed, epoch); padBatch layouts; BatchStream save/restore of its position.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchStream } from "../../src/data/batch-stream.ts";
import {
  type BatchOptions,
  batchTokens,
  makeBatches,
  padBatch,
  type TokenizedPair,
} from "../../src/data/batching.ts";
import { Rng } from "../../src/data/rng.ts";

function randomExamples(n: number, seed: number): TokenizedPair[] {
  const rng = new Rng(seed);
  const seq = (): number[] => Array.from({ length: rng.range(1, 60) }, () => rng.int(100));
  return Array.from({ length: n }, () => ({ src: seq(), tgt: seq() }));
}

const EXAMPLES = randomExamples(2000, 11);
const OPTIONS: BatchOptions = { maxTokens: 500, seed: 1, epoch: 0, chunkSize: 512 };

describe("makeBatches", () => {
  test("every batch is within the token budget and every example is used exactly once", () => {
    for (const options of [
      OPTIONS,
      { ...OPTIONS, maxTokens: 50, extraTokens: 2 },
      { ...OPTIONS, shuffle: false },
    ]) {
      const { batches, skipped } = makeBatches(EXAMPLES, options);
      const extra = options.extraTokens ?? 0;
      for (const batch of batches) {
        assert.ok(batchTokens(batch) <= options.maxTokens, `batch of ${batchTokens(batch)} tokens`);
        const longest = Math.max(
          ...batch.indices.map((i) => Math.max(EXAMPLES[i]!.src.length, EXAMPLES[i]!.tgt.length)),
        );
        assert.equal(Math.max(batch.srcLen, batch.tgtLen), longest + extra);
      }
      const used = batches
        .flatMap((b) => b.indices)
        .concat(skipped)
        .sort((a, b) => a - b);
      assert.deepEqual(
        used,
        EXAMPLES.map((_, i) => i),
      );
      assert.equal(skipped.length > 0, options.maxTokens === 50, "only the 50-token budget skips examples");
      for (const i of skipped)
        assert.ok(Math.max(EXAMPLES[i]!.src.length, EXAMPLES[i]!.tgt.length) + extra > options.maxTokens);
    }
  });

  test("length bucketing keeps padding small", () => {
    const { batches } = makeBatches(EXAMPLES, OPTIONS);
    let real = 0;
    let padded = 0;
    for (const b of batches) {
      padded += b.indices.length * (b.srcLen + b.tgtLen);
      real += b.indices.reduce((s, i) => s + EXAMPLES[i]!.src.length + EXAMPLES[i]!.tgt.length, 0);
    }
    assert.ok(real / padded > 0.6, `only ${((100 * real) / padded).toFixed(1)}% real tokens`);
  });

  test("reproducible given (seed, epoch); another epoch or seed reorders", () => {
    const a = makeBatches(EXAMPLES, OPTIONS);
    assert.deepEqual(makeBatches(EXAMPLES, OPTIONS), a);
    assert.notDeepEqual(makeBatches(EXAMPLES, { ...OPTIONS, epoch: 1 }).batches, a.batches);
    assert.notDeepEqual(makeBatches(EXAMPLES, { ...OPTIONS, seed: 2 }).batches, a.batches);
  });

  test("maxSentences caps batch size; shuffle: false goes in length order", () => {
    const { batches } = makeBatches(EXAMPLES, { ...OPTIONS, maxTokens: 10_000, maxSentences: 7 });
    assert.ok(batches.every((b) => b.indices.length <= 7));
    const ordered = makeBatches(EXAMPLES, { ...OPTIONS, shuffle: false }).batches;
    const lengths = ordered.map((b) => Math.max(b.srcLen, b.tgtLen));
    assert.deepEqual(
      lengths,
      [...lengths].sort((x, y) => x - y),
    );
  });

  test("bad options are named", () => {
    assert.throws(
      () => makeBatches(EXAMPLES, { ...OPTIONS, maxTokens: 0 }),
      /maxTokens must be a positive integer/,
    );
    assert.throws(() => makeBatches(EXAMPLES, { ...OPTIONS, epoch: -1 }), /epoch must be >= 0/);
  });
});

describe("padBatch", () => {
  test("right-pads into a flat int32 array with bos/eos", () => {
    const batch = padBatch([[5, 6], [7], []], 0, { prepend: 1, append: 2 });
    assert.deepEqual(batch.dims, [3, 4]);
    assert.deepEqual(batch.lengths, [4, 3, 2]);
    assert.ok(batch.data instanceof Int32Array);
    assert.deepEqual([...batch.data], [1, 5, 6, 2, 1, 7, 2, 0, 1, 2, 0, 0]);
  });

  test("int64 for ONNX, a fixed length, and an error when a row is too long", () => {
    const batch = padBatch([new Int32Array([3, 4])], 9, { dtype: "int64", length: 4 });
    assert.ok(batch.data instanceof BigInt64Array);
    assert.deepEqual([...batch.data], [3n, 4n, 9n, 9n]);
    assert.throws(() => padBatch([[1, 2, 3]], 0, { length: 2 }), /length 3 exceeds length 2/);
  });
});

describe("BatchStream", () => {
  const options = { maxTokens: 300, seed: 5 };
  const examples = EXAMPLES.slice(0, 300);

  test("runs through epochs and resumes at a saved position with the same batches", () => {
    const stream = new BatchStream(examples, options);
    const perEpoch = stream.batchesPerEpoch;
    const seen = Array.from({ length: perEpoch + 5 }, () => stream.next());
    assert.deepEqual([seen[perEpoch]!.epoch, seen[perEpoch]!.batchIndex], [1, 0]);
    const firstEpoch = seen.slice(0, perEpoch).flatMap((s) => s.batch.indices);
    assert.equal(firstEpoch.length + stream.skipped.length, examples.length);

    const saved = JSON.parse(JSON.stringify(stream.position));
    const expected = [stream.next(), stream.next()];
    const resumed = new BatchStream(examples, options, saved);
    assert.deepEqual([resumed.next(), resumed.next()], expected);
  });

  test("a position outside the epoch and an empty data set are explained", () => {
    assert.throws(
      () => new BatchStream(examples, options, { epoch: 0, batchIndex: 10_000 }),
      /batchIndex 10000 is outside epoch 0/,
    );
    assert.throws(() => new BatchStream([], options).next(), /no batches/);
  });
});
