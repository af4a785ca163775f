// Levenshtein distance and the corpus error rates (WER, CER, PER), including the closest of several
// references.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  closestReference,
  corpusCer,
  corpusPer,
  corpusWer,
  levenshtein,
  splitUnits,
} from "../../src/metrics/edit-distance.ts";

test("levenshtein: textbook distances", () => {
  assert.equal(levenshtein([..."kitten"], [..."sitting"]), 3);
  assert.equal(levenshtein([..."flaw"], [..."lawn"]), 2);
  assert.equal(levenshtein([], ["a", "b"]), 2);
  assert.equal(levenshtein(["a", "b"], []), 2);
  assert.equal(levenshtein(["a", "b", "c"], ["a", "b", "c"]), 0);
  assert.equal(levenshtein(["a", "b", "c"], ["c", "b", "a"]), 2);
});

test("WER: word edits over reference words, summed over the corpus", () => {
  // 1 substitution over 3 words, then 1 deletion over 2 words: 2 / 5
  const score = corpusWer(["the cat sat", "hello"], [["the dog sat", "hello world"]]);
  assert.equal(score.edits, 2);
  assert.equal(score.refLength, 5);
  assert.equal(score.score, 40);
  assert.equal(score.name, "WER");
  assert.equal(score.signature, "nrefs:1|case:mixed|unit:word|version:2.x-local");
});

test("WER with several references uses the closest reference and its length", () => {
  const refs = [
    ["a completely different sentence here", "x"],
    ["the cat sat down", "y"],
  ];
  const score = corpusWer(["the cat sat", "y"], refs);
  // segment 1: closest is "the cat sat down" (1 deletion, 4 words); segment 2: "y" (0 edits, 1 word)
  assert.equal(score.edits, 1);
  assert.equal(score.refLength, 5);
  assert.equal(score.score, 20);
  assert.match(score.signature, /^nrefs:2\|/);
});

test("closestReference keeps the first reference on ties", () => {
  assert.deepEqual(closestReference(["a", "b"], [["a", "c", "d"], ["a"]]), { edits: 1, length: 1 });
  assert.deepEqual(closestReference(["a"], [["b", "c"], ["c"]]), { edits: 1, length: 1 });
});

test("CER counts characters with whitespace collapsed; PER counts space-separated phonemes", () => {
  assert.deepEqual(splitUnits("  ab   c ", "char"), ["a", "b", " ", "c"]);
  const cer = corpusCer(["abd"], [["abc"]]);
  assert.equal(cer.edits, 1);
  assert.equal(cer.refLength, 3);
  const per = corpusPer(["HH AH L OW"], [["HH AH0 L OW"]]);
  assert.equal(per.score, 25);
  assert.equal(per.name, "PER");
  assert.equal(per.signature, "nrefs:1|case:mixed|unit:phoneme|version:2.x-local");
});

test("lowercase option and empty hypotheses", () => {
  assert.equal(corpusWer(["The Cat"], [["the cat"]], { lowercase: true }).score, 0);
  assert.equal(corpusWer(["The Cat"], [["the cat"]]).score, 100);
  assert.equal(corpusWer([""], [["a b"]]).score, 100);
});
