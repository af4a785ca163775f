// G2P scoring convention: word right if it matches any pronunciation; PER against the closest one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { g2pScore } from "../../src/metrics/g2p.ts";

test("words are right when they match any pronunciation; PER sums edits and closest lengths", () => {
  const score = g2pScore(
    ["T AH M EY T OW", "R IY D", "K AE T"],
    [
      ["T AH M EY T OW", "T AH M AA T OW"], // matches the first: right, 0 edits
      ["R EH D", "R IY D Z"], // closest "R EH D" (1 edit, 3 phonemes); first of the tied ones
      ["K AO T", "K AE T S"], // closest "K AO T": 1 substitution over 3
    ],
  );
  assert.equal(score.words, 3);
  assert.equal(score.wrongWords, 2);
  assert.ok(Math.abs(score.wordErrorRate - 200 / 3) < 1e-9);
  assert.equal(score.phonemeEdits, 2);
  assert.equal(score.phonemeRefLength, 6 + 3 + 3);
  assert.ok(Math.abs(score.phonemeErrorRate - 200 / 12) < 1e-9);
});

test("mismatched inputs throw", () => {
  assert.throws(() => g2pScore(["A"], []), /1 hypotheses but 0 reference sets/);
  assert.throws(() => g2pScore(["A"], [[]]), /word 1 has no reference pronunciation/);
});
