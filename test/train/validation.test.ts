// Validation pieces: teacher-forced feeds (BOS + y), metric scoring with several references, metric
// directions, and the best/patience tracker with its loss tie-break.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { resolveMetric, validationSet } from "../../src/train/run-data.ts";
import { resolveRunConfig } from "../../src/train/train-config.ts";
import {
  batchFeeds,
  decodeLimit,
  higherIsBetter,
  MetricTracker,
  scoreHypotheses,
} from "../../src/train/validation.ts";

test("batchFeeds pads src, and makes tgt_in = BOS + y and tgt_out = y + EOS", () => {
  const feeds = batchFeeds([
    { src: [5, 6, 2], tgt: [7, 2] },
    { src: [8, 2], tgt: [9, 10, 2] },
  ]);
  assert.deepEqual(feeds["src_ids"]!.dims, [2, 3]);
  assert.deepEqual([...(feeds["src_ids"]!.data as BigInt64Array)].map(Number), [5, 6, 2, 8, 2, 0]);
  assert.deepEqual([...(feeds["tgt_in"]!.data as BigInt64Array)].map(Number), [1, 7, 0, 1, 9, 10]);
  assert.deepEqual([...(feeds["tgt_out"]!.data as BigInt64Array)].map(Number), [7, 2, 0, 9, 10, 2]);
});

describe("scoring", () => {
  test("exact match and g2p count a hypothesis right when it equals any reference", () => {
    const refs = [["a b", "a c"], ["d"], ["e f"]];
    assert.equal(scoreHypotheses("exact", ["a c", "d", "x"], refs), (100 * 2) / 3);
    assert.equal(scoreHypotheses("g2p", ["a c", "d", "x"], refs), 100 / 3);
    assert.equal(scoreHypotheses("wer", ["a b", "d", "e f"], refs), 0);
    assert.throws(() => scoreHypotheses("loss", ["a"], [["a"]]), /not computed from hypotheses/);
  });

  test("directions: BLEU, chrF and exact match go up; error rates and the loss go down", () => {
    for (const m of ["bleu", "chrf", "exact"] as const) assert.equal(higherIsBetter(m), true, m);
    for (const m of ["wer", "per", "cer", "ter", "g2p", "loss"] as const)
      assert.equal(higherIsBetter(m), false, m);
  });

  test("the auto metric follows the data", () => {
    const config = (values: object) => resolveRunConfig([{ origin: "t", values }]).data;
    assert.equal(resolveMetric("auto", config({ data: { task: "g2p" } })), "g2p");
    assert.equal(resolveMetric("auto", config({ data: { task: "dates" } })), "exact");
    assert.equal(resolveMetric("auto", config({ data: { src: "a", tgt: "b" } })), "bleu");
    assert.equal(resolveMetric("chrf", config({ data: { task: "g2p" } })), "chrf");
  });
});

test("validationSet groups references by source, caps the sources, and leaves out what is too long", () => {
  const pairs = [
    { src: "ab", tgt: "x" },
    { src: "ab", tgt: "y" },
    { src: "abcdef", tgt: "z" },
    { src: "c", tgt: "w" },
  ];
  const tokenizers = jointPair(trainCharTokenizer(pairs.flatMap((p) => [p.src, p.tgt])));
  const all = validationSet(pairs, tokenizers, 0);
  assert.deepEqual(all.sourceTexts, ["ab", "abcdef", "c"]);
  assert.deepEqual(all.references, [["x", "y"], ["z"], ["w"]]);
  assert.equal(all.pairs.length, 4);
  assert.equal(all.sources[0]!.at(-1), 2, "sources end in EOS");
  const capped = validationSet(pairs, tokenizers, 2, { src: 4, tgt: 4 });
  assert.deepEqual(capped.sourceTexts, ["ab", "c"]);
  assert.equal(capped.pairs.length, 3);
});

describe("MetricTracker", () => {
  test("counts validations without improvement in the metric's direction", () => {
    const up = new MetricTracker("bleu");
    assert.equal(up.update(10, 3, 100), true);
    assert.equal(up.update(9, 2, 200), false);
    assert.equal(up.update(12, 2.5, 300), true);
    assert.equal(up.update(11, 2, 400), false);
    assert.equal(up.update(11.5, 2, 500), false);
    assert.deepEqual([up.best, up.bestStep, up.bad], [12, 300, 2]);
    const down = new MetricTracker("wer");
    assert.equal(down.update(50, 3, 1), true);
    assert.equal(down.update(40, 3, 2), true);
    assert.equal(down.update(Number.NaN, 1, 3), false);
    assert.deepEqual([down.best, down.bad], [40, 1]);
  });

  test("a tie on the metric is broken by a lower validation loss", () => {
    const t = new MetricTracker("exact");
    assert.equal(t.update(0, 3, 1), true);
    assert.equal(t.update(0, 2.5, 2), true);
    assert.equal(t.update(0, 2.7, 3), false);
    assert.deepEqual([t.best, t.bestStep, t.bestLoss, t.bad], [0, 2, 2.5, 1]);
  });
});

test("decodeLimit allows twice the longest source plus 10, within the decoder's positions after its start token", () => {
  const set = {
    pairs: [],
    sources: [[5, 6, 2], Array(20).fill(5)],
    sourceTexts: ["", ""],
    references: [[], []],
  };
  assert.equal(decodeLimit(set, {}), 50);
  assert.equal(decodeLimit(set, { maxPositions: 64 }), 50);
  // 32 positions: the start token takes one, so 31 tokens can be generated (32 overran the table).
  assert.equal(decodeLimit(set, { maxPositions: 32 }), 31);
});
