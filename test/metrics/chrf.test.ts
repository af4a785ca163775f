// chrF / chrF++ against values from sacreBLEU's own test suite (effective-order and epsilon smoothing,
// whitespace kept) and its punctuation splitting for word n-grams.
import assert from "node:assert/strict";
import { test } from "node:test";
import { corpusChrf, sentenceChrf, separatePunctuation } from "../../src/metrics/chrf.ts";

const close = (actual: number, expected: number, tolerance = 1e-4): void =>
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} vs ${expected}`);

test("effective-order chrF (sacreBLEU 2.x default) with beta 3", () => {
  const chrf = (h: string[], r: string[]): number => corpusChrf(h, [r], { beta: 3 }).score;
  close(chrf(["a"], ["a"]), 100);
  close(chrf([""], ["reference"]), 0);
  close(chrf(["a b c"], ["abc"]), 100);
  close(chrf(["a", "b"], ["a", "c"]), 50);
  close(chrf(["aa"], ["ab"]), 25);
});

test("epsilon-smoothed chrF with beta 3", () => {
  const chrf = (h: string[], r: string[]): number =>
    corpusChrf(h, [r], { beta: 3, epsSmoothing: true }).score;
  close(chrf(["aa"], ["ab"]), 8.3333);
  close(chrf(["a"], ["a"]), 16.6667);
  close(chrf(["a b c"], ["a b c"]), 50);
  close(
    chrf(
      [" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "],
      ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."],
    ),
    64.1302698,
  );
});

test("sentence chrF with epsilon smoothing and default beta 2", () => {
  const score = sentenceChrf(
    "Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
    ["Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."],
    { epsSmoothing: true },
  );
  close(score.score, 39.14078509);
  assert.equal(score.signature, "nrefs:1|case:mixed|eff:no|nc:6|nw:0|space:no|version:2.x-local");
});

test("whitespace kept inside character n-grams", () => {
  const score = corpusChrf(
    ["Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."],
    [["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."]],
    { beta: 3, whitespace: true },
  );
  close(score.score, 67.3481606);
  assert.match(score.signature, /\|space:yes\|/);
});

test("chrF++ splits one edge punctuation mark per word and is named chrF2++", () => {
  assert.deepEqual(separatePunctuation("(hi) there, you! a ."), [
    "(hi",
    ")",
    "there",
    ",",
    "you",
    "!",
    "a",
    ".",
  ]);
  const score = corpusChrf(["the cat sat."], [["the cat sat."]], { wordOrder: 2 });
  assert.equal(score.name, "chrF2++");
  close(score.score, 100);
  assert.equal(score.signature, "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.x-local");
});

test("several references: each segment uses the reference with the best F-score", () => {
  const single = corpusChrf(["the cat sat"], [["the cat sat"]]).score;
  const multi = corpusChrf(["the cat sat"], [["a dog ran"], ["the cat sat"]]).score;
  close(multi, single);
  assert.equal(corpusChrf(["A"], [["a"]], { lowercase: true }).score, 100);
});
