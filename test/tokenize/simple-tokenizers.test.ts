// Character and word tokenizers: vocabulary selection (counts, cut-offs), unknowns, normalisation, round trips.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { trainCharTokenizer, trainWordTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { SPECIAL_IDS } from "../../src/tokenize/tokenizer.ts";

const TEXTS = ["aab", "abc", "Äb", "a\u0308x"]; // the last is "ä" decomposed (NFD)

describe("trainCharTokenizer", () => {
  test("specials at 0-3, then characters by falling count", () => {
    const tok = trainCharTokenizer(TEXTS);
    assert.equal(tok.kind, "char");
    assert.deepEqual(tok.specials, SPECIAL_IDS);
    // counts: a 3, b 3, ä 1 (NFC), Ä 1, c 1, x 1
    assert.deepEqual(
      Array.from({ length: tok.vocabSize }, (_, i) => tok.idToToken(i)),
      ["<pad>", "<s>", "</s>", "<unk>", "a", "b", "c", "x", "Ä", "ä"],
    );
  });

  test("encodes code points, unseen ones as <unk>, and decodes back", () => {
    const tok = trainCharTokenizer(TEXTS);
    assert.deepEqual(tok.encode("abz"), [4, 5, 3]);
    assert.equal(tok.decode(tok.encode("cab xä")), "cab xä".replace(" ", "<unk>"));
    assert.equal(tok.decode([1, 4, 2, 0], { skipSpecial: true }), "a");
    assert.deepEqual(trainCharTokenizer(["😀!"]).tokens("😀!"), ["😀", "!"]);
  });

  test("NFC joins a decomposed umlaut unless turned off", () => {
    assert.equal(trainCharTokenizer(TEXTS).encode("a\u0308").length, 1);
    const raw = trainCharTokenizer(TEXTS, { nfc: false });
    assert.equal(raw.encode("a\u0308").length, 2);
  });

  test("lowercase, minCount and maxVocabSize", () => {
    const lower = trainCharTokenizer(TEXTS, { lowercase: true });
    assert.deepEqual(lower.encode("ÄB"), lower.encode("äb"));
    assert.equal(trainCharTokenizer(TEXTS, { minCount: 2 }).vocabSize, 6); // a, b
    const capped = trainCharTokenizer(TEXTS, { maxVocabSize: 5 });
    assert.equal(capped.vocabSize, 5);
    assert.equal(capped.idToToken(4), "a");
    assert.throws(
      () => trainCharTokenizer(TEXTS, { maxVocabSize: 4 }),
      /maxVocabSize must be larger than the 4/,
    );
  });
});

describe("trainWordTokenizer", () => {
  const texts = ["the dog runs.", "the cat runs!", "The dog sleeps..."];

  test("splits on whitespace and punctuation, decodes with spaces", () => {
    const tok = trainWordTokenizer(texts);
    assert.equal(tok.kind, "word");
    assert.deepEqual(tok.tokens("the dog sleeps..."), ["the", "dog", "sleeps", "..."]);
    assert.equal(tok.decode(tok.encode("the  cat\truns!")), "the cat runs !");
    // dog, runs, the: 2 each, ties in code-point order; then the singletons
    assert.deepEqual(
      [4, 5, 6, 7].map((i) => tok.idToToken(i)),
      ["dog", "runs", "the", "!"],
    );
  });

  test("unknown words, minCount and maxVocabSize give <unk>", () => {
    const tok = trainWordTokenizer(texts, { minCount: 2 });
    assert.deepEqual(tok.tokens("the cat runs"), ["the", "<unk>", "runs"]);
    const capped = trainWordTokenizer(texts, { maxVocabSize: 6 });
    assert.equal(capped.vocabSize, 6);
    assert.deepEqual(capped.encode("horse"), [3]);
  });

  test("punctuation stays attached when splitPunctuation is false; lowercase merges case", () => {
    const tok = trainWordTokenizer(texts, { splitPunctuation: false, lowercase: true });
    assert.deepEqual(tok.tokens("The dog runs."), ["the", "dog", "runs."]);
  });
});
