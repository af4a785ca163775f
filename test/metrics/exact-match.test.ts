// Exact-match accuracy: equality with any reference after whitespace normalisation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exactMatch, normalizeForMatch } from "../../src/metrics/exact-match.ts";

test("a hypothesis is correct when it equals any reference", () => {
  const score = exactMatch(
    ["a|b", "b|a", "c"],
    [
      ["a|b", "a|b", "x"],
      ["", "b|a", "y"],
    ],
  );
  assert.equal(score.correct, 2);
  assert.equal(score.total, 3);
  assert.ok(Math.abs(score.score - 200 / 3) < 1e-9);
  assert.equal(score.signature, "nrefs:var|case:mixed|version:2.x-local");
});

test("whitespace runs and ends do not matter; case matters unless lowercase", () => {
  assert.equal(normalizeForMatch("  ( a  b )\t"), "( a b )");
  assert.equal(exactMatch(["( a  b ) "], [["( a b )"]]).score, 100);
  assert.equal(exactMatch(["ABC"], [["abc"]]).score, 0);
  const lower = exactMatch(["ABC"], [["abc"]], { lowercase: true });
  assert.equal(lower.score, 100);
  assert.equal(lower.signature, "nrefs:1|case:lc|version:2.x-local");
});
