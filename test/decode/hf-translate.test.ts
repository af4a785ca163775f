// loadTranslator on a local Hugging Face folder (fixture weights + a WordLevel tokenizer.json written here):
// translations carry exactly the ids transformers generated, options the user left out keep the folder's
// generation config, and folders this project cannot read are refused with what is missing and why.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadTranslator, TranslateOptionsError, type Translator } from "../../src/decode/translate.ts";
import { readExpected } from "../models/hf-fixtures.ts";
import {
  buildHfFolder,
  EOS,
  fixturesMissing,
  generatedIds,
  kwargsToOptions,
  sourceTexts,
  TRANSLATE_FAMILIES,
  textOf,
  tokenName,
} from "./hf-translate-fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-hf-translate-"));
after(() => rmSync(root, { recursive: true, force: true }));

for (const family of TRANSLATE_FAMILIES) {
  describe(`translate with a Hugging Face ${family} folder`, { skip: fixturesMissing(family) }, () => {
    let translator: Translator;
    before(async () => {
      translator = await loadTranslator(buildHfFolder(family, join(root, family)), { threads: 1 });
    });
    after(() => translator?.release());

    for (const mode of ["greedy", "beam", "no_repeat_ngram"]) {
      test(`${mode}: the ids transformers generated, their text without special tokens`, async () => {
        const expected = readExpected(family).generation[mode]!;
        const texts = sourceTexts(family);
        const out = await translator.translate(texts, kwargsToOptions(expected.kwargs));
        const perRow = expected.sequences.length / texts.length;
        out.forEach((t, row) => {
          assert.equal(t.hypotheses.length, perRow, `row ${row}: hypotheses`);
          t.hypotheses.forEach((h, k) => {
            const i = row * perRow + k;
            const ids = generatedIds(expected.sequences[i]!, EOS[family]);
            assert.deepEqual(h.ids, ids, `row ${row} hypothesis ${k}`);
            assert.equal(h.text, textOf(family, ids));
            assert.deepEqual(
              h.tokens,
              ids.map((id) => tokenName(family, id)),
            );
            assert.equal(h.attention.length, ids.length, "an attention row per output token");
            for (const a of h.attention) assert.equal(a.length, t.sourceTokens.length);
            const want = expected.sequencesScores?.[i];
            if (want !== undefined) assert.ok(Math.abs(h.score - want) < 1e-4, `score ${h.score} vs ${want}`);
          });
        });
      });
    }

    test("the source the encoder saw carries the post-processor's special tokens", async () => {
      const e = readExpected(family);
      const [first] = await translator.translate([sourceTexts(family)[0]!], { maxLength: 2 });
      const row = e.inputIds[0]!.filter((_, j) => e.attentionMask[0]![j] === 1);
      assert.deepEqual(
        first!.sourceTokens,
        row.map((id) => tokenName(family, id)),
      );
    });
  });
}

describe("generation config defaults and user options", { skip: fixturesMissing("bart") }, () => {
  let bart: Translator;
  let t5: Translator;
  let marian: Translator;
  before(async () => {
    bart = await loadTranslator(buildHfFolder("bart", join(root, "d-bart")), { threads: 1 });
    t5 = await loadTranslator(buildHfFolder("t5_v1_1", join(root, "d-t5")), { threads: 1 });
    marian = await loadTranslator(buildHfFolder("marian", join(root, "d-marian")), { threads: 1 });
  });
  after(async () => {
    await bart?.release();
    await t5?.release();
    await marian?.release();
  });

  test("left out: greedy (num_beams 1) and max_length 20, i.e. at most 19 new tokens", async () => {
    assert.deepEqual(t5.defaults, { beam: 1, maxLength: 18 });
    const out = await t5.translate(sourceTexts("t5_v1_1"));
    for (const t of out) {
      assert.equal(t.hypotheses.length, 1);
      assert.ok(t.hypotheses[0]!.ids.length <= 19, `${t.hypotheses[0]!.ids.length} tokens`);
    }
    // BART: forced BOS first, forced EOS at the last position max_length allows.
    const [b] = await bart.translate([sourceTexts("bart")[0]!]);
    const ids = b!.hypotheses[0]!.ids;
    assert.equal(ids[0], 0, "forced_bos_token_id");
    assert.equal(ids.at(-1), 2, "EOS");
  });

  test("the user's suppressed tokens add to the folder's banned ones", async () => {
    const text = sourceTexts("marian")[0]!;
    const [plain] = await marian.translate([text], { maxLength: 7 });
    const top = plain!.hypotheses[0]!.ids[0]!;
    const [suppressed] = await marian.translate([text], { maxLength: 7, suppressTokens: [top] });
    const ids = suppressed!.hypotheses[0]!.ids;
    assert.ok(!ids.includes(top), `${top} suppressed`);
    assert.ok(!ids.includes(95), "bad_words_ids [[95]] still applies");
  });

  test("options a Hugging Face folder cannot honour are TranslateOptionsErrors naming the option", async () => {
    const cases: Array<[Parameters<Translator["translate"]>[1], RegExp]> = [
      [{ sample: true }, /sampling is not supported/],
      [
        { beam: 4, lengthPenalty: { form: "gnmt", alpha: 1 } },
        /rank beams by logProb \/ length\^α \("power"\)/,
      ],
      [{ nbest: 2 }, /nbest 2 is more than the beam size 1 \(num_beams of the folder's generation config\)/],
      [{ relativeMaxLength: { offset: 1, ratio: 1 } }, /relativeMaxLength .* set maxLength/],
      [{ suppressTokens: [96] }, /suppressTokens \(a token id\) must be an integer from 0 to 95/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(
        bart.translate(["t5"], options),
        (error: Error) => error instanceof TranslateOptionsError && message.test(error.message),
        JSON.stringify(options),
      );
    }
  });
});

describe("folders that cannot be read are refused clearly", { skip: fixturesMissing("t5_v1_1") }, () => {
  test("SentencePiece only (spiece.model, source.spm): says tokenizer.json is missing and how to write it", async () => {
    for (const file of ["spiece.model", "source.spm"]) {
      const dir = buildHfFolder("t5_v1_1", join(root, `spm-${file}`), { tokenizer: false });
      writeFileSync(join(dir, file), "not read");
      await assert.rejects(
        loadTranslator(dir),
        new RegExp(
          `has no tokenizer\\.json, only SentencePiece model file\\(s\\) ${file.replace(".", "\\.")}`,
        ),
      );
    }
  });

  test("pytorch_model.bin: refused, saying why (pickle runs code) and how to convert", async () => {
    const dir = join(root, "pickle");
    buildHfFolder("t5_v1_1", dir);
    rmSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "pytorch_model.bin"), "not read");
    await assert.rejects(
      loadTranslator(dir),
      /pytorch_model\.bin: pickled PyTorch weights are not read: loading a pickle can run arbitrary code.*Convert the folder to safetensors/s,
    );
  });
});
