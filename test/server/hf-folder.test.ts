// The server on local Hugging Face folders (fixture weights + a tokenizer.json written here): answers carry
// the tokens transformers generated, beam search equals the library's, and options such a folder cannot
// honour are 400s naming them.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadTranslator, type Translator } from "../../src/decode/translate.ts";
import type { OutputJson } from "../../src/server/app.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import {
  buildHfFolder,
  EOS,
  fixturesMissing,
  generatedIds,
  sourceTexts,
  textOf,
  tokenName,
} from "../decode/hf-translate-fixtures.ts";
import { readExpected } from "../models/hf-fixtures.ts";
import { getJson, postJson } from "./http-client.ts";

const FAMILIES = ["bart", "marian", "t5_v1_1"] as const;

describe("serving Hugging Face folders", { skip: fixturesMissing("bart") }, () => {
  const root = mkdtempSync(join(tmpdir(), "s2s-hf-serve-"));
  let server: RunningServer;
  let bart: Translator;
  before(async () => {
    for (const family of FAMILIES) buildHfFolder(family, join(root, family));
    server = await startServer({
      models: FAMILIES.map((name) => ({ name, dir: join(root, name) })),
      port: 0,
      workers: 1,
      threads: 1,
      batchWaitMs: 1,
      log: () => {},
    });
    bart = await loadTranslator(join(root, "bart"), { threads: 1 });
  });
  after(async () => {
    await server?.close();
    await bart?.release();
    rmSync(root, { recursive: true, force: true });
  });

  const translate = (body: unknown) => postJson(`${server.url}/v1/translate`, body);
  const outputs = (body: Record<string, unknown>) => body["outputs"] as OutputJson[];

  test("/v1/models names the family and the generation config's output length", async () => {
    const models = (await getJson(`${server.url}/v1/models`)).body["models"] as Array<
      Record<string, unknown>
    >;
    const t5 = models.find((m) => m["name"] === "t5_v1_1")!;
    assert.equal(t5["hfFamily"], "t5");
    assert.equal(t5["defaultMaxLength"], 18, "max_length 20: 19 new tokens, 18 before EOS");
    assert.equal(t5["tgtVocabSize"], 96);
  });

  for (const family of FAMILIES) {
    for (const [mode, extra] of [
      ["greedy", {}],
      ["no_repeat_ngram", { noRepeatNgram: 2 }],
    ] as const) {
      test(`${family} ${mode}: the tokens transformers generated`, async () => {
        const expected = readExpected(family).generation[mode]!;
        const inputs = sourceTexts(family);
        const response = await translate({
          model: family,
          inputs,
          maxLength: 7,
          returnAttention: true,
          ...extra,
        });
        assert.equal(response.status, 200, response.text);
        outputs(response.body).forEach((o, i) => {
          const ids = generatedIds(expected.sequences[i]!, EOS[family]);
          assert.equal(o.text, textOf(family, ids));
          assert.deepEqual(
            o.attention!.outputTokens,
            ids.map((id) => tokenName(family, id)),
          );
        });
      });
    }
  }

  test("beam search with an n-best list equals the library's", async () => {
    const inputs = sourceTexts("bart");
    const response = await translate({
      model: "bart",
      inputs,
      beam: 4,
      nbest: 2,
      maxLength: 7,
      lengthPenalty: 1,
    });
    assert.equal(response.status, 200, response.text);
    const expected = await bart.translate(inputs, {
      beam: 4,
      nbest: 2,
      maxLength: 7,
      lengthPenalty: { alpha: 1 },
    });
    outputs(response.body).forEach((o, i) => {
      assert.deepEqual(
        o.nbest!.map((h) => h.text),
        expected[i]!.hypotheses.map((h) => h.text),
      );
      o.nbest!.forEach((h, k) => {
        assert.ok(Math.abs(h.score - expected[i]!.hypotheses[k]!.score) < 1e-4);
      });
    });
  });

  test("options such a folder cannot honour are 400s naming them", async () => {
    const sample = await translate({ model: "bart", inputs: ["t5"], sample: true });
    assert.equal(sample.status, 400);
    assert.match(String(sample.body["error"]), /sampling is not supported/);
    const nbest = await translate({ model: "t5_v1_1", inputs: ["t5"], nbest: 2 });
    assert.equal(nbest.status, 400);
    assert.match(String(nbest.body["error"]), /nbest 2 is more than the beam size 1/);
  });
});
