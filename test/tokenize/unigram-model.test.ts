// The Unigram model step: the Viterbi path with the highest total score, unknown characters fused
// into one <unk>, byte fallback; checked by hand and against the Rust crate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import type { TokenizerJson } from "../../src/tokenize/tokenizer.ts";
import { UnigramModel } from "../../src/tokenize/unigram-model.ts";
import { rustReference } from "./fixtures.ts";

const PIECES: [string, number][] = [
  ["<unk>", 0],
  ["a", -3],
  ["b", -3],
  ["c", -3],
  ["ab", -4], // beats a+b (-6)
  ["bc", -7], // loses to b+c (-6)
  ["abc", -6.5], // beats ab+c (-7)
];

function unigramJson(vocab: [string, number][], extra: Record<string, unknown> = {}): TokenizerJson {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: null,
    model: { type: "Unigram", unk_id: 0, vocab, byte_fallback: false, ...extra },
  };
}

test("the best-scoring segmentation wins", () => {
  const model = new UnigramModel(unigramJson(PIECES).model, "t");
  assert.deepEqual(model.tokenize("ab"), [4]);
  assert.deepEqual(model.tokenize("bc"), [2, 3]);
  assert.deepEqual(model.tokenize("abc"), [6]);
  assert.deepEqual(model.tokenize("abcab"), [6, 4]);
});

test("consecutive unknown characters become one <unk>", () => {
  const model = new UnigramModel(unigramJson(PIECES).model, "t");
  assert.deepEqual(model.tokenize("xyab"), [0, 4]);
  assert.deepEqual(model.tokenize("axyb"), [1, 0, 2]);
  const noUnk = new UnigramModel(unigramJson(PIECES, { unk_id: null }).model, "t");
  assert.throws(() => noUnk.tokenize("x"), /no unk_id/);
});

test("bad vocabularies are errors naming the file", () => {
  assert.throws(
    () => new UnigramModel(unigramJson([["a", -1]], { unk_id: 5 }).model, "u.json"),
    /u\.json: model\.unk_id 5/,
  );
  const bad = unigramJson([]);
  bad.model.vocab = [["a"]];
  assert.throws(() => new UnigramModel(bad.model, "u.json"), /model\.vocab\[0\] is not a \[piece, score\]/);
});

test("matches the Rust crate, byte fallback included", async () => {
  const texts = ["abc ab bc", "xyz abcab", "cba", "ä"];
  const bytes: [string, number][] = [...PIECES, ["<0xC3>", -10], ["<0xA4>", -10]];
  for (const json of [unigramJson(PIECES), unigramJson(bytes, { byte_fallback: true })]) {
    const ours = new JsonTokenizer(json, { specials: { eos: "<unk>" } });
    assert.deepEqual(ours.encodeBatch(texts), (await rustReference(json, texts)).ids);
  }
});
