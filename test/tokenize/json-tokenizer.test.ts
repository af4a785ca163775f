// Every tokenizer kind we train, saved as tokenizer.json, must give the same ids in the pure-JS
// @huggingface/tokenizers and in the Rust `tokenizers` binding as in our own encode().

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Tokenizer as HfJsTokenizer } from "@huggingface/tokenizers";
import { inferKind, JsonTokenizer } from "../../src/tokenize/json-tokenizer.ts";
import { trainCharTokenizer, trainWordTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import { tokenizerConfigJson } from "../../src/tokenize/special-tokens.ts";
import { trainBpeTokenizer, trainUnigramTokenizer } from "../../src/tokenize/subword-trainer.ts";
import type { Tokenizer, TokenizerJson } from "../../src/tokenize/tokenizer.ts";
import { CORPUS, PROBES, rustReference, tempDir } from "./fixtures.ts";

describe("tokenizer.json files we save", () => {
  const trained: Record<string, Tokenizer> = {};
  const { dir, cleanup } = tempDir();
  before(async () => {
    trained.char = trainCharTokenizer(CORPUS);
    trained.charLower = trainCharTokenizer(CORPUS, { lowercase: true, minCount: 2 });
    trained.word = trainWordTokenizer(CORPUS, { minCount: 1 });
    trained.wordNoPunct = trainWordTokenizer(CORPUS, { splitPunctuation: false });
    trained.bpeByte = await trainBpeTokenizer(CORPUS, { vocabSize: 400 });
    trained.bpeChar = await trainBpeTokenizer(CORPUS, { vocabSize: 200, alphabet: "char" });
    trained.unigram = await trainUnigramTokenizer(CORPUS, { vocabSize: 150 });
  });
  after(cleanup);

  test("load in @huggingface/tokenizers (with our tokenizer_config.json) with identical ids and decodings", () => {
    for (const [name, tokenizer] of Object.entries(trained)) {
      const path = join(dir, `${name}.json`);
      tokenizer.save(path);
      const js = new HfJsTokenizer(JSON.parse(readFileSync(path, "utf8")), tokenizerConfigJson(tokenizer));
      for (const text of PROBES) {
        const ids = tokenizer.encode(text);
        assert.deepEqual(js.encode(text, { add_special_tokens: false }).ids, ids, `${name}: ${text}`);
        if (ids.length > 0) {
          const decoded = tokenizer.decode(ids, { skipSpecial: true });
          assert.equal(js.decode(ids, { skip_special_tokens: true }), decoded, `${name} decode: ${text}`);
        }
      }
    }
  });

  test("match the Rust tokenizers binding on ids and decoding", async () => {
    for (const [name, tokenizer] of Object.entries(trained)) {
      const reference = await rustReference(tokenizer.toJSON(), PROBES);
      assert.deepEqual(tokenizer.encodeBatch(PROBES), reference.ids, name);
      assert.deepEqual(
        PROBES.map((t) => tokenizer.decode(tokenizer.encode(t), { skipSpecial: true })),
        reference.decoded,
        name,
      );
    }
  });

  test("keep kind, specials and ids when loaded back from the JSON", () => {
    const kinds = { char: "char", word: "word", bpeByte: "bpe", bpeChar: "bpe", unigram: "unigram" } as const;
    for (const [name, kind] of Object.entries(kinds)) {
      const tokenizer = trained[name]!;
      const copy = new JsonTokenizer(tokenizer.toJSON());
      assert.equal(copy.kind, kind, name);
      assert.equal(inferKind(tokenizer.toJSON()), kind, name);
      assert.deepEqual(copy.specials, { pad: 0, bos: 1, eos: 2, unk: 3 }, name);
      assert.equal(copy.vocabSize, tokenizer.vocabSize, name);
      assert.deepEqual(copy.encodeBatch(PROBES), tokenizer.encodeBatch(PROBES), name);
    }
  });

  test("special tokens in text become their ids, never bos/eos added by encode", () => {
    for (const [name, tokenizer] of Object.entries(trained)) {
      const ids = tokenizer.encode("a </s> b");
      assert.ok(ids.includes(2), `${name}: </s> is id 2`);
      assert.notEqual(tokenizer.encode("Ein Mann")[0], 1, `${name}: no bos`);
      assert.equal(tokenizer.idToToken(0), "<pad>");
      assert.equal(tokenizer.tokenToId("<unk>"), 3);
    }
  });

  test("tokens() gives one readable piece per id", () => {
    for (const [name, tokenizer] of Object.entries(trained)) {
      for (const text of PROBES)
        assert.equal(tokenizer.tokens(text).length, tokenizer.encode(text).length, name);
    }
    assert.deepEqual(trained.bpeByte!.tokens("Mann").join(""), "Mann");
    assert.ok(
      trained.bpeByte!.tokens("ein Mann").some((t) => t.startsWith(" ")),
      "byte-level space shown as text",
    );
    assert.deepEqual(trained.char!.tokens("€l"), ["<unk>", "l"]);
  });

  test("decode rejects an id outside the vocabulary", () => {
    const tokenizer = trained.word!;
    assert.throws(() => tokenizer.decode([tokenizer.vocabSize]), /outside the vocabulary/);
  });

  test("toJSON returns a copy", () => {
    const json = trained.word!.toJSON() as TokenizerJson;
    json.added_tokens.length = 0;
    assert.equal(trained.word!.toJSON().added_tokens.length, 4);
  });

  test("an invalid tokenizer.json names its source", () => {
    const json = trained.word!.toJSON();
    const broken = { ...json, pre_tokenizer: { type: "NoSuchPreTokenizer" } };
    assert.throws(
      () => new JsonTokenizer(broken, { where: "bad.json" }),
      /bad\.json: not a valid tokenizer\.json/,
    );
    const otherModel = { ...json, model: { type: "Mystery", vocab: {} } };
    assert.throws(() => new JsonTokenizer(otherModel, { where: "m.json" }), /m\.json/);
  });
});

const multi30k = resolve(fileURLToPath(new URL("../..", import.meta.url)), "../shared/data/multi30k");
const noMulti30k = existsSync(multi30k) ? false : `Multi30k not found at ${multi30k}`;

test("on Multi30k: BPE and Unigram trained on val agree with @huggingface/tokenizers on test", {
  skip: noMulti30k,
}, async () => {
  const lines = (f: string): string[] =>
    readFileSync(join(multi30k, f), "utf8")
      .split("\n")
      .filter((l) => l !== "");
  const train = [...lines("val.de"), ...lines("val.en")];
  const probe = [
    ...lines("test_2016_flickr.de").slice(0, 150),
    ...lines("test_2016_flickr.en").slice(0, 150),
  ];
  for (const tokenizer of [
    await trainBpeTokenizer(train, { vocabSize: 2000 }),
    await trainUnigramTokenizer(train, { vocabSize: 2000 }),
  ]) {
    const js = new HfJsTokenizer(tokenizer.toJSON(), tokenizerConfigJson(tokenizer));
    for (const text of probe)
      assert.deepEqual(tokenizer.encode(text), js.encode(text, { add_special_tokens: false }).ids, text);
  }
});
