// BLEU against values from sacreBLEU's own test suite (multi-reference corpus BLEU, sentence BLEU with
// every smoothing method) and hand-computed statistics.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bleuSignature,
  closestRefLength,
  corpusBleu,
  countNgrams,
  sentenceBleu,
} from "../../src/metrics/bleu.ts";

const close = (actual: number, expected: number, tolerance: number): void =>
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} vs ${expected}`);

// sacreBLEU README example: three segments, two reference streams.
const hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
const refs = [
  ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
  ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
];

test("corpus BLEU with two references matches sacreBLEU for each tokenizer", () => {
  close(corpusBleu(hyps, refs).score, 48.530827, 1e-6);
  close(corpusBleu(hyps, refs, { tokenize: "none" }).score, 49.1919566, 1e-6);
  close(corpusBleu(hyps, refs, { tokenize: "intl" }).score, 43.91623493, 1e-6);
  close(corpusBleu(hyps, refs, { smoothMethod: "none" }).score, 48.530827, 1e-6);
  assert.equal(corpusBleu(["", "", ""], refs).score, 0);
});

test("corpus BLEU statistics: counts, totals, closest reference length", () => {
  const score = corpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], {
    tokenize: "none",
  });
  assert.deepEqual(score.counts, [4, 2, 1, 0]);
  assert.deepEqual(score.totals, [6, 5, 4, 3]);
  assert.equal(score.sysLen, 6);
  assert.equal(score.refLen, 8);
  close(score.bp, Math.exp(1 - 8 / 6), 1e-12);
  assert.equal(score.signature, "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.x-local");
});

// sacreBLEU issue #98 example, sentence BLEU with effective order.
const REF = "producţia de zahăr brut se exprimă în zahăr alb;";
const SYS = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

test("sentence BLEU smoothing methods match sacreBLEU", () => {
  close(sentenceBleu(SYS, [REF]).score, 8.493, 1e-3);
  close(sentenceBleu(SYS, [REF], { smoothMethod: "none" }).score, 0, 1e-3);
  close(sentenceBleu(SYS, [REF], { smoothMethod: "floor" }).score, 4.51688, 1e-3);
  close(sentenceBleu(SYS, [REF], { smoothMethod: "floor", smoothValue: 0.5 }).score, 10.1, 1e-3);
  close(sentenceBleu(SYS, [REF], { smoothMethod: "add-k" }).score, 14.882, 1e-3);
  close(sentenceBleu(SYS, [REF], { smoothMethod: "add-k", smoothValue: 2 }).score, 21.389, 1e-3);
  close(sentenceBleu(SYS, [REF], { tokenize: "none" }).score, 7.347, 1e-3);
  close(sentenceBleu(SYS, [REF], { tokenize: "intl" }).score, 8.493, 1e-3);
  assert.equal(sentenceBleu("this is a cat", ["okay thanks"], { smoothMethod: "add-k" }).score, 0);
});

test("effective order: short sentences are not zeroed by missing higher orders", () => {
  close(sentenceBleu("a test", ["a test"], { tokenize: "none" }).score, 100, 1e-9);
  close(sentenceBleu("test", ["a test"], { tokenize: "none" }).score, 100 * Math.exp(-1), 1e-9);
  assert.ok(corpusBleu(["a test"], [["a test"]], { tokenize: "none" }).score < 1e-6);
  assert.equal(
    sentenceBleu("a", ["a"]).signature,
    "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.x-local",
  );
});

test("signatures print the smoothing value with two decimals and variable reference counts as var", () => {
  assert.equal(
    bleuSignature(2, { lowercase: true, smoothMethod: "floor" }),
    "nrefs:2|case:lc|eff:no|tok:13a|smooth:floor[0.10]|version:2.x-local",
  );
  assert.equal(
    bleuSignature(1, { smoothMethod: "add-k", smoothValue: 2 }).split("|")[4],
    "smooth:add-k[2.00]",
  );
  assert.equal(
    corpusBleu(
      ["a b", "c d"],
      [
        ["a b", "c d"],
        ["", "c d"],
      ],
    ).signature.split("|")[0],
    "nrefs:var",
  );
});

test("helpers: closest reference length prefers the shorter on ties; n-gram counts per order", () => {
  assert.equal(closestRefLength(5, [3, 7]), 3);
  assert.equal(closestRefLength(5, [8, 6, 4]), 4);
  const counts = countNgrams(["a", "b", "a", "b"], 2);
  assert.equal(counts[0]!.get("a"), 2);
  assert.equal(counts[1]!.get("a b"), 2);
  assert.equal(counts[1]!.get("b a"), 1);
});

test("bad input throws clear errors", () => {
  assert.throws(
    () => corpusBleu(["a"], [["a", "b"]]),
    /reference stream 1 has 2 lines but there are 1 hypotheses/,
  );
  assert.throws(() => corpusBleu(["a", "b"], [["a", ""]]), /line 2: every reference is empty/);
});
