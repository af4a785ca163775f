// trainTokenizer dispatches on config.kind with defaults filled in, and rejects an unknown kind by name.

import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenizerConfigDefaults, trainTokenizer } from "../../src/tokenize/train-tokenizer.ts";
import { CORPUS } from "./fixtures.ts";

test("each kind trains the tokenizer it names, honouring the config", async () => {
  assert.equal((await trainTokenizer(CORPUS, { kind: "char", vocabSize: 0 })).kind, "char");
  const word = await trainTokenizer(CORPUS, { kind: "word", vocabSize: 10, lowercase: true });
  assert.equal(word.kind, "word");
  assert.equal(word.vocabSize, 10);
  assert.deepEqual(word.encode("EIN"), word.encode("ein"));
  const bpe = await trainTokenizer(CORPUS, { kind: "bpe", vocabSize: 300 });
  assert.equal(bpe.kind, "bpe");
  assert.equal(bpe.vocabSize, 300);
  const uni = await trainTokenizer(CORPUS, { kind: "unigram", vocabSize: 120 });
  assert.equal(uni.kind, "unigram");
  assert.equal(uni.vocabSize, 120);
  assert.equal(tokenizerConfigDefaults.kind, "bpe");
});

test("an unknown kind is an error naming the valid ones", async () => {
  const config = { kind: "sentencepiece" } as unknown as { kind: "bpe" };
  await assert.rejects(
    trainTokenizer(CORPUS, config),
    /tokenizer\.kind must be one of char, word, bpe, unigram, got "sentencepiece"/,
  );
});
