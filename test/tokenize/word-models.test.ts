// WordLevel and WordPiece models, the latter in a BERT-style tokenizer.json (normalizer, pre-tokenizer,
// [CLS]/[SEP] specials) as found in Hugging Face model folders; checked against the Rust crate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import { WordLevelModel, WordPieceModel } from "../../src/tokenize/word-models.ts";
import { bertJson, rustReference } from "./fixtures.ts";

test("WordPiece: greedy longest match, a word that fails is one [UNK]", () => {
  const model = new WordPieceModel(bertJson().model, "t");
  assert.deepEqual(model.tokenize("running"), [7, 9]);
  assert.deepEqual(model.tokenize("unhappy"), [10, 11]);
  assert.deepEqual(model.tokenize("runx"), [1]);
  assert.deepEqual(model.tokenize("runsrunsrun"), [1]); // over max_input_chars_per_word
});

test("WordLevel: whole pieces or unk; no unk is an error", () => {
  const model = new WordLevelModel(
    { type: "WordLevel", vocab: { "<unk>": 0, hi: 1 }, unk_token: "<unk>" },
    "t",
  );
  assert.deepEqual([...model.tokenize("hi"), ...model.tokenize("ho")], [1, 0]);
  const strict = new WordLevelModel({ type: "WordLevel", vocab: { hi: 0 } }, "t");
  assert.throws(() => strict.tokenize("ho"), /not in the vocabulary/);
  assert.throws(
    () => new WordLevelModel({ type: "WordLevel", vocab: { hi: 0 }, unk_token: "<u>" }, "w.json"),
    /w\.json: model\.unk_token "<u>"/,
  );
});

test("a BERT tokenizer.json: specials by convention, ids and decoding as the Rust crate", async () => {
  const json = bertJson();
  const bert = new JsonTokenizer(json);
  assert.equal(bert.kind, "wordpiece");
  assert.deepEqual(bert.specials, { pad: 0, bos: 2, eos: 3, unk: 1 });
  const texts = ["The dog runs!", "The DOG running.", "unhappy dogs [MASK] run", "Thé dög"];
  const reference = await rustReference(json, texts);
  assert.deepEqual(bert.encodeBatch(texts), reference.ids);
  assert.deepEqual(
    texts.map((t) => bert.decode(bert.encode(t), { skipSpecial: true })),
    reference.decoded,
  );
});
