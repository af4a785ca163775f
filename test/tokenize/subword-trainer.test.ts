// BPE and Unigram training through the Rust binding: the requested vocabulary size is honoured,
// specials sit at 0-3, the alphabet is complete, and the size limits give clear errors.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { bytesToUnicode } from "../../src/tokenize/byte-level.ts";
import type { JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import {
  pruneUnigram,
  trainBpeTokenizer,
  trainUnigramTokenizer,
  truncateBpe,
} from "../../src/tokenize/subword-trainer.ts";
import { CORPUS, PROBES } from "./fixtures.ts";

function merges(tokenizer: JsonTokenizer): unknown[] {
  return tokenizer.toJSON().model.merges as unknown[];
}

describe("trainBpeTokenizer", () => {
  let bpe400: JsonTokenizer;
  before(async () => {
    bpe400 = await trainBpeTokenizer(CORPUS, { vocabSize: 400 });
  });

  test("byte-level: exact size, all 256 bytes, the merges fill the rest", () => {
    assert.equal(bpe400.kind, "bpe");
    assert.equal(bpe400.vocabSize, 400);
    for (const ch of bytesToUnicode()) assert.notEqual(bpe400.tokenToId(ch), undefined, `byte ${ch}`);
    assert.equal(merges(bpe400).length, 400 - 4 - 256);
    assert.deepEqual(bpe400.specials, { pad: 0, bos: 1, eos: 2, unk: 3 });
  });

  test("byte-level never needs <unk> and round-trips text exactly", () => {
    for (const text of PROBES) {
      const ids = bpe400.encode(text);
      if (!text.includes("<unk>")) assert.ok(!ids.includes(3), text);
      assert.equal(bpe400.decode(ids), text);
    }
  });

  test("a smaller BPE is the first merges of a larger one", async () => {
    const bpe300 = await trainBpeTokenizer(CORPUS, { vocabSize: 300 });
    assert.deepEqual(merges(bpe300), merges(bpe400).slice(0, 300 - 260));
    assert.ok(bpe300.encode(CORPUS[0]!).length > bpe400.encode(CORPUS[0]!).length);
  });

  test("char alphabet: seen characters only, unseen ones are <unk>", async () => {
    const bpe = await trainBpeTokenizer(CORPUS, { vocabSize: 200, alphabet: "char" });
    assert.equal(bpe.vocabSize, 200);
    assert.deepEqual(bpe.tokens("ein €").slice(-2), ["▁", "<unk>"]);
    assert.ok(bpe.tokens("ein").every((t) => t !== "<unk>"));
    assert.equal(bpe.decode(bpe.encode("Ein Mann läuft.")), "Ein Mann läuft.");
  });

  test("vocabSize limits name the problem", async () => {
    await assert.rejects(trainBpeTokenizer(CORPUS, { vocabSize: 30_005 }), /from 5 to 30004.*got 30005/);
    await assert.rejects(
      trainBpeTokenizer(CORPUS, { vocabSize: 100 }),
      /below the 260 tokens of the alphabet/,
    );
    await assert.rejects(trainBpeTokenizer([], { vocabSize: 300 }), /no texts/);
  });
});

describe("trainUnigramTokenizer", () => {
  test("exact size, unk at 3, every training character kept", async () => {
    const uni = await trainUnigramTokenizer(CORPUS, { vocabSize: 120 });
    assert.equal(uni.kind, "unigram");
    assert.equal(uni.vocabSize, 120);
    assert.equal(uni.toJSON().model.unk_id, 3);
    for (const text of CORPUS) assert.ok(!uni.encode(text).includes(3), text);
    assert.deepEqual(uni.tokens("€"), ["▁", "<unk>"]);
    assert.equal(uni.decode(uni.encode(CORPUS[1]!)), CORPUS[1]);
  });

  test("vocabSize limits name the problem", async () => {
    await assert.rejects(trainUnigramTokenizer(CORPUS, { vocabSize: 8005 }), /from 5 to 8004/);
    await assert.rejects(trainUnigramTokenizer(CORPUS, { vocabSize: 20 }), /cannot hold the \d+ characters/);
  });
});

describe("vocabulary cutting", () => {
  test("truncateBpe keeps specials, alphabet, then merges in order", () => {
    const trained = { type: "BPE", vocab: {}, merges: [["a", "b"], "ab c", ["c", "c"]] };
    const { vocab, merges } = truncateBpe(trained, 8, ["a", "b", "c"]);
    assert.deepEqual(Object.keys(vocab), ["<pad>", "<s>", "</s>", "<unk>", "a", "b", "c", "ab"]);
    assert.deepEqual(merges, [["a", "b"]]);
    assert.equal(Object.keys(truncateBpe(trained, 99, ["a", "b", "c"]).vocab).length, 10);
    assert.throws(() => truncateBpe(trained, 6, ["a", "b", "c"]), /below the 7 tokens/);
  });

  test("pruneUnigram keeps single characters and the best-scoring longer pieces", () => {
    const pieces: [string, number][] = [
      ["▁the", -2],
      ["x", -9],
      ["▁", -1],
      ["he", -5],
      ["th", -3],
      ["\n", -1],
    ];
    assert.deepEqual(pruneUnigram(pieces, 8), [
      ["<pad>", 0],
      ["<s>", 0],
      ["</s>", 0],
      ["<unk>", 0],
      ["▁the", -2],
      ["x", -9],
      ["▁", -1],
      ["th", -3],
    ]);
    assert.throws(() => pruneUnigram(pieces, 5), /cannot hold the 2 characters/);
  });
});
