// The translation library on a saved model folder (tiny random Transformer, character tokenizers): order
// restored after length sorting, batching-invariant, empty texts, aligned outputs, option errors.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadTranslator, SourceTooLongError, type Translator } from "../../src/decode/translate.ts";
import { resolveTranslateOptions } from "../../src/decode/translate-options.ts";
import { saveTinyModelFolder } from "./toy-models.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-translate-"));
let translator: Translator;

before(async () => {
  await saveTinyModelFolder(join(root, "model"));
  translator = await loadTranslator(join(root, "model"));
});
after(async () => {
  await translator?.release();
  rmSync(root, { recursive: true, force: true });
});

const TEXTS = ["abc", "", "ba", "cab hag", "   ", "h"];

test("results come back in input order; empty texts get empty translations", async () => {
  const out = await translator.translate(TEXTS, { beam: 3, nbest: 2, maxLength: 8 });
  assert.deepEqual(
    out.map((t) => t.source),
    TEXTS,
  );
  for (const i of [1, 4])
    assert.deepEqual(out[i], { source: TEXTS[i], sourceTokens: [], text: "", hypotheses: [] });
  const target = translator.loaded.tokenizers.target;
  for (const i of [0, 2, 3, 5]) {
    const t = out[i]!;
    assert.deepEqual(t.sourceTokens, [...TEXTS[i]!, "</s>"]);
    assert.equal(t.hypotheses.length, 2);
    assert.ok(t.hypotheses[0]!.score >= t.hypotheses[1]!.score);
    assert.equal(t.text, t.hypotheses[0]!.text);
    for (const h of t.hypotheses) {
      assert.equal(h.ids.at(-1), target.specials.eos);
      assert.ok(h.ids.length <= 9, "8 tokens + EOS at most");
      assert.equal(h.text, target.decode(h.ids, { skipSpecial: true }));
      assert.deepEqual(
        h.tokens,
        h.ids.map((id) => target.idToToken(id)),
      );
      assert.equal(h.tokenLogProbs.length, h.ids.length);
      assert.equal(h.attention.length, h.ids.length);
      for (const row of h.attention) assert.equal(row.length, t.sourceTokens.length);
    }
  }
});

test("batch size does not change the results (sorting and order restoring included)", async () => {
  for (const options of [{ beam: 2 }, { beam: 1 }, { sample: true, seed: 9, nbest: 2 }]) {
    const big = await translator.translate(TEXTS, { ...options, maxLength: 8 });
    const small = await translator.translate(TEXTS, { ...options, maxLength: 8, batchSize: 1 });
    const ids = (ts: typeof big) => ts.map((t) => t.hypotheses.map((h) => h.ids));
    assert.deepEqual(ids(small), ids(big), JSON.stringify(options));
  }
});

test("the target-language tag: a forced first token starts every output", async () => {
  const target = translator.loaded.tokenizers.target;
  const tag = target.tokenToId("g")!;
  const out = await translator.translate(["abc", "de"], { beam: 2, forcedFirstToken: tag, maxLength: 5 });
  for (const t of out) assert.equal(t.hypotheses[0]!.ids[0], tag);
});

test("a source longer than the model's positions is an error naming the input", async () => {
  const long = "a".repeat(40); // 41 tokens with EOS; maxPositions is 32
  await assert.rejects(translator.translate(["ab", long]), (error: unknown) => {
    assert.ok(error instanceof SourceTooLongError);
    assert.equal(error.index, 1);
    assert.match(error.message, /input 2 has 41 source tokens .* at most 32/);
    return true;
  });
});

test("invalid options are errors naming the option", () => {
  const cases: Array<[object, RegExp]> = [
    [{ beam: 0 }, /beam must be an integer ≥ 1, got 0/],
    [{ beam: 2, nbest: 3 }, /nbest must be an integer from 1 to 2/],
    [{ sample: true, beam: 4 }, /beam must be 1 with sample/],
    [{ topP: 2 }, /topP must be in \(0, 1\], got 2/],
    [{ topK: 0 }, /topK must be an integer ≥ 1/],
    [{ temperature: 0 }, /temperature must be a number > 0/],
    [{ maxLength: 5, minLength: 6 }, /minLength must be an integer from 0 to 5/],
    [{ forcedFirstToken: 99 }, /forcedFirstToken \(a token id\) must be an integer from 0 to 19/],
    [{ lengthPenalty: { form: "linear", alpha: 1 } }, /lengthPenalty must be/],
  ];
  for (const [options, message] of cases) assert.throws(() => resolveTranslateOptions(options, 20), message);
  const resolved = resolveTranslateOptions({}, 20);
  assert.equal(resolved.beam, 5);
  assert.deepEqual(resolved.relativeMaxLength, { offset: 10, ratio: 2 });
  assert.equal(resolveTranslateOptions({ relativeMaxLength: null }, 20).relativeMaxLength, undefined);
  assert.equal(resolveTranslateOptions({ sample: true }, 20).beam, 1);
});
