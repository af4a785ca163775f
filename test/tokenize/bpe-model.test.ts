// The BPE model step against hand-worked merges and against the Rust crate, including
// subword prefixes/suffixes, unknown characters (fused or not), byte fallback and ignore_merges.

import assert from "node:assert/strict";
import { test } from "node:test";
import { BpeModel } from "../../src/tokenize/bpe-model.ts";
import { JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import type { ModelJson, TokenizerJson } from "../../src/tokenize/tokenizer.ts";
import { rustReference } from "./fixtures.ts";

function bpeJson(model: Partial<ModelJson>): TokenizerJson {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: null,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: {},
      merges: [],
      ...model,
    },
  };
}

const VOCAB = { "</s>": 0, "<unk>": 1, a: 2, b: 3, c: 4, ab: 5, bc: 6, abc: 7, cc: 8 };

test("merges apply lowest rank first, leftmost on ties", () => {
  const model = new BpeModel(
    bpeJson({
      vocab: VOCAB,
      merges: [
        ["b", "c"],
        ["a", "b"],
        ["a", "bc"],
      ],
    }).model,
    "t",
  );
  assert.deepEqual(model.tokenize("abc"), [7]); // b+c first, then a+bc
  assert.deepEqual(model.tokenize("abab"), [5, 5]);
  assert.deepEqual(model.tokenize("ccc"), [4, 4, 4]); // no c+c merge
  const leftmost = new BpeModel(bpeJson({ vocab: VOCAB, merges: [["c", "c"]] }).model, "t");
  assert.deepEqual(leftmost.tokenize("ccc"), [8, 4]);
});

test("unknown characters: one <unk> each, or fused, or dropped without unk_token", () => {
  const merges = [["a", "b"]];
  assert.deepEqual(new BpeModel(bpeJson({ vocab: VOCAB, merges }).model, "t").tokenize("xyab"), [1, 1, 5]);
  assert.deepEqual(
    new BpeModel(bpeJson({ vocab: VOCAB, merges, fuse_unk: true }).model, "t").tokenize("xyab"),
    [1, 5],
  );
  assert.deepEqual(
    new BpeModel(bpeJson({ vocab: VOCAB, merges, unk_token: null }).model, "t").tokenize("xab"),
    [5],
  );
});

test("a merge naming a token missing from the vocabulary is an error naming the merge", () => {
  assert.throws(
    () => new BpeModel(bpeJson({ vocab: VOCAB, merges: [["a", "z"]] }).model, "f.json"),
    /f\.json: model\.merges\[0\]/,
  );
  assert.throws(() => new BpeModel(bpeJson({ vocab: { a: -1 } }).model, "f.json"), /model\.vocab\["a"\]/);
});

test("matches the Rust crate with prefix, suffix, byte fallback and ignore_merges", async () => {
  const texts = ["abc abab cab", "xyz ab", "a", "bcx", "ä"];
  const variants: Partial<ModelJson>[] = [
    {
      vocab: VOCAB,
      merges: [
        ["b", "c"],
        ["a", "b"],
        ["a", "bc"],
      ],
    },
    { vocab: VOCAB, merges: ["a b", "ab c"], fuse_unk: true },
    {
      vocab: { "<unk>": 0, a: 1, "##b": 2, "##c": 3, ab: 4, b: 5, c: 6 },
      merges: [["a", "##b"]],
      continuing_subword_prefix: "##",
    },
    {
      vocab: { "<unk>": 0, a: 1, b: 2, "c</w>": 3, "b</w>": 4, "bc</w>": 5 },
      merges: [["b", "c</w>"]],
      end_of_word_suffix: "</w>",
    },
    {
      vocab: { "<unk>": 0, a: 1, b: 2, "<0xC3>": 3, "<0xA4>": 4, "<0x78>": 5 },
      merges: [],
      byte_fallback: true,
    },
    { vocab: { ...VOCAB, abab: 9 }, merges: [["b", "c"]], ignore_merges: true },
  ];
  for (const variant of variants) {
    const json = bpeJson(variant);
    const ours = new JsonTokenizer(json, { specials: { eos: "<unk>" } });
    const reference = await rustReference(json, texts);
    assert.deepEqual(ours.encodeBatch(texts), reference.ids, JSON.stringify(variant));
  }
});
