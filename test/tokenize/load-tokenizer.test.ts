// Loading tokenizer.json files: ours, and Hugging Face model folders (byte-level BPE with <|endoftext|>,
// BERT WordPiece), special tokens from tokenizer_config.json, and the errors a user can hit.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { bytesToUnicode } from "../../src/tokenize/byte-level.ts";
import { loadTokenizer, tokenizerFromJson } from "../../src/tokenize/load-tokenizer.ts";
import { trainWordTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { tokenizerConfigJson } from "../../src/tokenize/special-tokens.ts";
import type { TokenizerJson } from "../../src/tokenize/tokenizer.ts";
import { bertJson, CORPUS, PROBES, rustReference, tempDir } from "./fixtures.ts";

/** A GPT-2-style tokenizer.json: byte-level BPE, one added token <|endoftext|>, no unk. */
function gpt2Json(): TokenizerJson {
  const vocab: Record<string, number> = {};
  for (const ch of bytesToUnicode()) vocab[ch] = Object.keys(vocab).length;
  const merges: [string, string][] = [
    ["Ġ", "t"],
    ["h", "e"],
    ["Ġt", "he"],
    ["e", "r"],
  ];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const eot = Object.keys(vocab).length;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: eot,
        content: "<|endoftext|>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

describe("loadTokenizer", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  test("reads back our tokenizer from a file or its folder", () => {
    const word = trainWordTokenizer(CORPUS);
    const path = join(dir, "ours", "tokenizer.json");
    word.save(path);
    for (const loaded of [loadTokenizer(path), loadTokenizer(join(dir, "ours"))]) {
      assert.equal(loaded.kind, "word");
      assert.deepEqual(loaded.encodeBatch(PROBES), word.encodeBatch(PROBES));
    }
  });

  test("a GPT-2-style folder: <|endoftext|> serves as eos, bos and pad; no unk", async () => {
    const folder = join(dir, "gpt2");
    mkdirSync(folder);
    writeFileSync(join(folder, "tokenizer.json"), JSON.stringify(gpt2Json()));
    const gpt2 = loadTokenizer(folder);
    assert.equal(gpt2.kind, "bpe");
    assert.deepEqual(gpt2.specials, { pad: 260, bos: 260, eos: 260, unk: -1 });
    const texts = ["the other theme<|endoftext|>", ...PROBES];
    assert.deepEqual(gpt2.encodeBatch(texts), (await rustReference(gpt2Json(), texts)).ids);
    assert.deepEqual(gpt2.tokens(" the"), [" the"]);
  });

  test("tokenizer_config.json beside tokenizer.json names the specials; options override it", () => {
    const folder = join(dir, "bert");
    mkdirSync(folder);
    writeFileSync(join(folder, "tokenizer.json"), JSON.stringify(bertJson()));
    writeFileSync(
      join(folder, "tokenizer_config.json"),
      JSON.stringify({ bos_token: { content: "[MASK]" }, eos_token: "[SEP]", model_max_length: 512 }),
    );
    const bert = loadTokenizer(folder);
    assert.deepEqual(bert.specials, { pad: 0, bos: 4, eos: 3, unk: 1 });
    assert.equal(loadTokenizer(folder, { specials: { bos: "[CLS]" } }).specials.bos, 2);
    assert.deepEqual(tokenizerConfigJson(bert), {
      pad_token: "[PAD]",
      bos_token: "[MASK]",
      eos_token: "[SEP]",
      unk_token: "[UNK]",
      clean_up_tokenization_spaces: false,
      tokenizer_class: "PreTrainedTokenizerFast",
    });
  });

  test("errors name the file and the problem", () => {
    assert.throws(() => loadTokenizer(join(dir, "nope.json")), /tokenizer not found: .*nope\.json/);
    mkdirSync(join(dir, "empty"));
    assert.throws(() => loadTokenizer(join(dir, "empty")), /no tokenizer\.json in the folder/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    assert.throws(() => loadTokenizer(bad), /bad\.json: not valid JSON/);
    writeFileSync(bad, JSON.stringify({ added_tokens: [] }));
    assert.throws(() => loadTokenizer(bad), /bad\.json: "model" must be an object with a "type"/);
    const noEos = bertJson();
    noEos.added_tokens = noEos.added_tokens.filter((t) => t.content !== "[SEP]");
    delete (noEos.model.vocab as Record<string, number>)["[SEP]"];
    writeFileSync(bad, JSON.stringify(noEos));
    assert.throws(() => loadTokenizer(bad), /bad\.json: no end-of-sequence token found.*specials\.eos/);
    assert.equal(loadTokenizer(bad, { specials: { eos: "[CLS]" } }).specials.eos, 2);
    assert.throws(
      () => tokenizerFromJson(bertJson(), { specials: { pad: "<nope>" } }),
      /pad token "<nope>" is not in the vocabulary/,
    );
  });
});
