// Fine-tuning from a model folder (train.initFrom): Hugging Face fixtures build their batches with the folder's
// pad / decoder start / EOS ids, learn, save Hugging Face folders that translate with the folder's conventions
// and resume; one of this project's folders continues from its weights; bad folders and configs are refused.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadTranslator } from "../../src/decode/translate.ts";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { IO } from "../../src/models/seq2seq.ts";
import type { SequenceIds } from "../../src/train/run-data.ts";
import { setUpRun } from "../../src/train/run-setup.ts";
import { type RunConfig, resolveRunConfig } from "../../src/train/train-config.ts";
import { LOG_FILE, train } from "../../src/train/trainer.ts";
import { batchFeeds } from "../../src/train/validation.ts";
import { buildHfFolder } from "../decode/hf-translate-fixtures.ts";
import { FIXTURES, type FixtureFamily, fixturesMissing } from "../models/hf-fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-init-from-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Tiny parallel text over the fixtures' WordLevel tokens t0..t95; sources and targets of several lengths. */
const SOURCES = ["t10 t11 t12", "t13 t14", "t15 t16 t17 t18", "t19 t20"];
const TARGETS = ["t30 t31", "t32 t33 t34", "t35", "t36 t37"];

function dataFiles(): { src: string; tgt: string } {
  const src = join(root, "train.src");
  const tgt = join(root, "train.tgt");
  writeFileSync(src, `${SOURCES.join("\n")}\n`);
  writeFileSync(tgt, `${TARGETS.join("\n")}\n`);
  return { src, tgt };
}

function hfConfig(dir: string, train: Record<string, unknown> = {}, overrides: string[] = []): RunConfig {
  const { src, tgt } = dataFiles();
  const values = {
    data: { src, tgt, validSrc: src, validTgt: tgt },
    train: {
      initFrom: dir,
      maxSteps: 20,
      lr: 1e-2,
      schedule: "constant",
      labelSmoothing: 0,
      weightDecay: 0,
      validEvery: 10,
      metric: "exact",
      maxTokens: 256,
      ...train,
    },
  };
  return resolveRunConfig([{ origin: "test", values }], overrides);
}

function stepLosses(runDir: string): Array<[number, number]> {
  return readFileSync(join(runDir, LOG_FILE), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; step: number; loss: number })
    .filter((r) => r.type === "step")
    .map((r) => [r.step, r.loss]);
}

function rows(t: HostTensor): number[][] {
  const width = t.dims[1]!;
  return Array.from({ length: t.dims[0]! }, (_, i) =>
    Array.from(t.data.subarray(i * width, (i + 1) * width) as BigInt64Array, Number),
  );
}

/** The ids each family's folder trains with (config.json, generation_config.json, tokenizer post-processor). */
const IDS: Partial<Record<FixtureFamily, SequenceIds>> = {
  marian: { pad: 95, decoderStart: 95, eos: 0, sourcePrefix: [], sourceSuffix: [0], targetPrefix: [] },
  t5_v1_1: { pad: 0, decoderStart: 0, eos: 1, sourcePrefix: [], sourceSuffix: [1], targetPrefix: [] },
  mbart: { pad: 1, decoderStart: 2, eos: 2, sourcePrefix: [92], sourceSuffix: [2], targetPrefix: [93] },
  bart: { pad: 1, decoderStart: 2, eos: 2, sourcePrefix: [0], sourceSuffix: [2], targetPrefix: [0] },
};

for (const [family, ids] of Object.entries(IDS) as Array<[FixtureFamily, SequenceIds]>) {
  test(`${family}: sequences and batches use the folder's pad, decoder start and EOS`, {
    skip: fixturesMissing(family),
  }, async () => {
    const dir = buildHfFolder(family, join(root, `ids-${family}`));
    const setup = await setUpRun(hfConfig(dir), join(root, `ids-run-${family}`), false, () => {});
    assert.deepEqual(setup.ids, ids);
    const { pad, decoderStart, eos } = setup.ids;
    const prefix = ids.targetPrefix;
    // "t13 t14" -> "t32 t33 t34" and "t15 t16 t17 t18" -> "t35": padding on both sides.
    const pairs = setup.trainPairs.slice(1, 3);
    assert.deepEqual(pairs[0]!.src, [...setup.ids.sourcePrefix, 13, 14, ...setup.ids.sourceSuffix]);
    assert.deepEqual(pairs[1]!.tgt, [...prefix, 35, eos]);
    const feeds = batchFeeds(pairs, setup.ids);
    const padTo = (row: number[], n: number) => [...row, ...Array<number>(n - row.length).fill(pad)];
    const tgtLen = prefix.length + 4;
    assert.deepEqual(rows(feeds[IO.tgtIn]!), [
      [decoderStart, ...prefix, 32, 33, 34],
      padTo([decoderStart, ...prefix, 35], tgtLen),
    ]);
    assert.deepEqual(rows(feeds[IO.tgtOut]!), [
      [...prefix, 32, 33, 34, eos],
      padTo([...prefix, 35, eos], tgtLen),
    ]);
    assert.equal(rows(feeds[IO.src]!)[0]!.at(-1), pad, "the shorter source is padded with the folder's pad");
    assert.equal(setup.model.padId, pad);
  });
}

for (const family of ["marian", "t5_v1_1"] as const) {
  describe(`fine-tuning the ${family} fixture`, { skip: fixturesMissing(family) }, () => {
    const dir = join(root, family);
    const out = join(root, `run-${family}`);

    test("lowers the loss, and best/ is a Hugging Face folder that translates the memorised pairs", async () => {
      buildHfFolder(family, dir);
      const result = await train(hfConfig(dir), { out });
      assert.equal(result.status, "completed");
      const losses = stepLosses(out).map(([, loss]) => loss);
      assert.ok(losses.at(-1)! < losses[0]! / 4, `loss ${losses[0]} -> ${losses.at(-1)}`);
      assert.equal(result.best?.value, 100, "validation decodes every pair exactly");
      const config = JSON.parse(readFileSync(join(out, "best", "config.json"), "utf8"));
      assert.equal(config.model_type, family === "marian" ? "marian" : "t5");
      assert.ok(existsSync(join(out, "best", "generation_config.json")));
      const translator = await loadTranslator(result.best!.dir!);
      try {
        assert.equal(translator.scheme.hfFamily, config.model_type);
        const translations = await translator.translate(SOURCES, { beam: 1 });
        assert.deepEqual(
          translations.map((t) => t.text),
          TARGETS,
        );
        const eos = IDS[family]!.eos;
        assert.ok(translations.every((t) => t.hypotheses[0]!.ids.at(-1) === eos));
      } finally {
        await translator.release();
      }
    });

    test("stopped at step 10 and resumed, it logs the same losses as the uninterrupted run", async () => {
      const split = join(root, `split-${family}`);
      const first = await train(hfConfig(dir, { maxSteps: 10 }), { out: split });
      assert.equal(first.step, 10);
      const second = await train(hfConfig(dir), { out: split, resume: true });
      assert.equal(second.step, 20);
      assert.deepEqual(stepLosses(split), stepLosses(out));
    });
  });
}

describe("fine-tuning one of this project's folders", () => {
  const tiny = {
    data: { task: "reverse", taskOptions: { count: 120, validCount: 12, maxLength: 6 } },
    train: { maxTokens: 256, validEvery: 12, metric: "exact", schedule: "constant", lr: 3e-3 },
  };

  test("starts from its weights: the first validation equals the folder's last one", async () => {
    const first = join(root, "own-first");
    const model = { dModel: 16, heads: 2, ffDim: 32, encoderLayers: 1, decoderLayers: 1, maxPositions: 32 };
    const from = await train(
      resolveRunConfig([
        {
          origin: "test",
          values: { ...tiny, model, tokenizer: { kind: "char" }, train: { ...tiny.train, maxSteps: 12 } },
        },
      ]),
      { out: first },
    );
    // An LR far below float32 resolution leaves the weights unchanged for the validation after step 1.
    const values = {
      ...tiny,
      train: { ...tiny.train, initFrom: from.checkpoint, lr: 1e-12, weightDecay: 0 },
    };
    const second = join(root, "own-second");
    const again = await train(
      resolveRunConfig([{ origin: "test", values }], ["--train.maxSteps", "1", "--train.validEvery", "1"]),
      { out: second },
    );
    const loss = again.lastValidation!.loss;
    assert.ok(Math.abs(loss - from.lastValidation!.loss) < 1e-5, `${loss} vs ${from.lastValidation!.loss}`);
    assert.ok(stepLosses(second)[0]![1] < stepLosses(first)[0]![1], "training starts below a fresh model");
    const config = JSON.parse(readFileSync(join(again.checkpoint, "config.json"), "utf8"));
    assert.equal(config.architecture, "transformer", "this project's folder layout is kept");
  });
});

describe("refused folders and configs", () => {
  const resolve =
    (dir: string, overrides: string[] = []) =>
    () =>
      hfConfig(dir, {}, overrides);

  test("a model key that differs from the folder's names the key; dropout may change", {
    skip: fixturesMissing("marian"),
  }, () => {
    const dir = buildHfFolder("marian", join(root, "keys"));
    assert.throws(
      resolve(dir, ["--model.dModel", "64"]),
      /"model\.dModel" \(in command line\) is 64, but .* has 32/,
    );
    assert.throws(
      resolve(dir, ["--tokenizer.kind", "bpe"]),
      /"tokenizer\.kind".*uses the folder's tokenizer/,
    );
    const config = hfConfig(dir, {}, ["--model.dropout", "0.2", "--model.dModel", "32"]);
    assert.equal(config.model["dropout"], 0.2);
    assert.equal(config.model["naming"], "bart", "the model section is the folder's");
  });

  test("a missing folder, a Whisper folder with text data and an unknown model_type are config errors", {
    skip: fixturesMissing("whisper"),
  }, () => {
    assert.throws(resolve(join(root, "nope")), /train\.initFrom: model folder .*nope does not exist/);
    assert.throws(
      resolve(join(FIXTURES, "whisper")),
      /"data\.speech\.train" must name a training manifest: model\.architecture "whisper" reads audio/,
    );
    const gpt = join(root, "gpt2");
    mkdirSync(gpt, { recursive: true });
    writeFileSync(join(gpt, "config.json"), JSON.stringify({ model_type: "gpt2" }));
    assert.throws(resolve(gpt), /model_type "gpt2" is not supported; supported: t5, bart/);
  });

  test("pickled weights and a missing tokenizer.json stop the run before its folder is made", {
    skip: fixturesMissing("marian"),
  }, async () => {
    const pickled = buildHfFolder("marian", join(root, "pickled"));
    rmSync(join(pickled, "model.safetensors"));
    writeFileSync(join(pickled, "pytorch_model.bin"), "");
    const out = join(root, "refused-run");
    await assert.rejects(train(hfConfig(pickled), { out }), /pytorch_model\.bin: pickled PyTorch weights/);
    const bare = buildHfFolder("marian", join(root, "bare"), { tokenizer: false });
    await assert.rejects(train(hfConfig(bare), { out }), /has no tokenizer\.json/);
    assert.equal(existsSync(out), false);
  });
});
