// Source-length buckets and per-bucket scoring.
import assert from "node:assert/strict";
import { test } from "node:test";
import { breakdownByLength, bucketBySourceLength } from "../../src/metrics/by-length.ts";

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");

test("fixed-width buckets by source word count, only non-empty ones, shortest first", () => {
  const sources = [words(12), words(3), words(0), words(25), words(10), words(9)];
  const buckets = bucketBySourceLength(sources);
  assert.deepEqual(
    buckets.map((b) => [b.label, b.indices]),
    [
      ["0-9", [1, 2, 5]],
      ["10-19", [0, 4]],
      ["20-29", [3]],
    ],
  );
  assert.deepEqual(
    bucketBySourceLength(sources, { width: 5 }).map((b) => b.label),
    ["0-4", "5-9", "10-14", "25-29"],
  );
});

test("explicit edges end with an open bucket", () => {
  const buckets = bucketBySourceLength([words(3), words(15), words(50)], { edges: [0, 10, 20] });
  assert.deepEqual(
    buckets.map((b) => [b.label, b.max, b.indices]),
    [
      ["0-9", 9, [0]],
      ["10-19", 19, [1]],
      ["20+", null, [2]],
    ],
  );
  assert.throws(() => bucketBySourceLength([], { edges: [10, 5] }), /ascending/);
  assert.throws(() => bucketBySourceLength([], { width: 0 }), /positive integer/);
});

test("breakdownByLength hands each bucket its hypotheses and reference streams", () => {
  const result = breakdownByLength(
    [words(2), words(15), words(4)],
    ["h0", "h1", "h2"],
    [["r0", "r1", "r2"]],
    (hyps, refs) => `${hyps.join(",")}|${refs[0]!.join(",")}`,
  );
  assert.deepEqual(
    result.map((b) => [b.label, b.count, b.result]),
    [
      ["0-9", 2, "h0,h2|r0,r2"],
      ["10-19", 1, "h1|r1"],
    ],
  );
  assert.throws(() => breakdownByLength(["a"], [], [[]], () => 0), /1 source lines but 0 hypotheses/);
});
