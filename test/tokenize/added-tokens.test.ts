// Added tokens are found before the model runs, with lstrip / rstrip / single_word / normalized
// behaving as in the Rust crate (the reference here).

import assert from "node:assert/strict";
import { test } from "node:test";
import { AddedTokenSplitter } from "../../src/tokenize/added-tokens.ts";
import { JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { trainUnigramTokenizer } from "../../src/tokenize/subword-trainer.ts";
import type { AddedTokenJson } from "../../src/tokenize/tokenizer.ts";
import { CORPUS, rustReference } from "./fixtures.ts";

function token(id: number, content: string, flags: Partial<AddedTokenJson> = {}): AddedTokenJson {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
    ...flags,
  };
}

test("splits around the longest token at the leftmost position", () => {
  const splitter = new AddedTokenSplitter([token(0, "<s>"), token(1, "<s>x")], (s) => s.toUpperCase());
  assert.deepEqual(splitter.split("a<s>xb<s>"), [{ text: "A" }, { id: 1 }, { text: "B" }, { id: 0 }]);
  assert.deepEqual(splitter.split(""), []);
});

test("lstrip, rstrip, single_word and normalized tokens match the Rust crate", async () => {
  const base = trainCharTokenizer(CORPUS, { lowercase: true }).toJSON();
  const n = Object.keys(base.model.vocab as object).length; // the specials are in the model vocabulary
  base.added_tokens.push(
    token(n, "<mask>", { lstrip: true }),
    token(n + 1, "[R]", { rstrip: true }),
    token(n + 2, "DOG", { single_word: true, special: false }),
    token(n + 3, "hund", { normalized: true, special: false }),
  );
  const tokenizer = new JsonTokenizer(base);
  const texts = ["a   <mask> b", "x [R]   y", "DOG DOGS aDOG DOG. dog", "Ein Hund, HUND und hunde", "<mask>"];
  const reference = await rustReference(base, texts);
  assert.deepEqual(tokenizer.encodeBatch(texts), reference.ids);
  assert.deepEqual(
    texts.map((t) => tokenizer.decode(tokenizer.encode(t), { skipSpecial: true })),
    reference.decoded,
  );
  assert.deepEqual(tokenizer.encode("a <mask>"), [tokenizer.encode("a")[0], n]); // the space went with <mask>
});

test("added-token ids follow the Rust crate's numbering, not a stale id in the file", () => {
  const json = trainCharTokenizer(["ab"]).toJSON();
  json.added_tokens.push(token(99, "<extra>"));
  const tokenizer = new JsonTokenizer(json);
  assert.equal(tokenizer.tokenToId("<extra>"), 6);
  assert.equal(tokenizer.vocabSize, 7);
  assert.equal(tokenizer.toJSON().added_tokens[4]!.id, 6);
});

test('Metaspace with prepend_scheme "first" prepends only at the start of the input, as in Rust', async () => {
  const json = (await trainUnigramTokenizer(CORPUS, { vocabSize: 120 })).toJSON();
  const first = { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true };
  json.pre_tokenizer = first;
  json.decoder = first;
  const tokenizer = new JsonTokenizer(json);
  const texts = ["Ein Hund</s>läuft", "<s>Ein Hund", "a <pad> b", "Hund"];
  assert.deepEqual(tokenizer.encodeBatch(texts), (await rustReference(json, texts)).ids);
  json.pre_tokenizer = { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, first] };
  const nested = new JsonTokenizer(json);
  assert.deepEqual(nested.encodeBatch(texts), (await rustReference(json, texts)).ids);
});
