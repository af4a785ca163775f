// English -> regex (NL-RX) end to end: validation scores the "regex" metric (semantic accuracy, higher is
// better), and the shipped configs read the shared NL-RX files and train a few steps (shrunk).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { after, test } from "node:test";
import { loadConfigFile } from "../../src/io/config.ts";
import { SPECIAL_IDS } from "../../src/tokenize/tokenizer.ts";
import { loadTokenizerPair } from "../../src/tokenize/tokenizer-pair.ts";
import { JsonlLog, type ValidationRecord } from "../../src/train/progress.ts";
import { resolveRunConfig } from "../../src/train/train-config.ts";
import { LOG_FILE, train } from "../../src/train/trainer.ts";
import { higherIsBetter, MetricTracker, scoreHypotheses } from "../../src/train/validation.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const nlRx = path.resolve(repoRoot, "../shared/data/nl-rx");
const missing = existsSync(join(nlRx, "synth")) ? false : `the shared data folder ${nlRx} is absent`;
const scratch = mkdtempSync(join(tmpdir(), "s2s-nlrx-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("validation scores semantic accuracy: equivalent outputs count, higher is better", () => {
  const refs = [["( [ <VOW> ] ) | ( [ <NUM> ] )"], [". * <M0> . *"], ["[ <CAP> ] { 2 }"]];
  const hyps = ["( [ <NUM> ] ) | ( [ <VOW> ] )", ". * <M0> . *", "[ <CAP> ] {"];
  assert.equal(scoreHypotheses("regex", hyps, refs), 100 * (2 / 3));
  assert.equal(scoreHypotheses("exact", hyps, refs), 100 / 3);
  assert.equal(higherIsBetter("regex"), true);
  const tracker = new MetricTracker("regex");
  assert.equal(tracker.update(40, 1.0, 100), true);
  assert.equal(tracker.update(60, 1.2, 200), true, "a higher semantic accuracy is a new best");
  assert.equal(tracker.update(50, 0.9, 300), false);
});

/** A shipped NL-RX config with a tiny model and a slice of the data: 4 steps, validation on 5 sources. */
async function trainShrunk(configFile: string, out: string) {
  const file = loadConfigFile(path.join(repoRoot, configFile));
  const shrink = ["--data.limit", "150", "--train.maxSteps", "4", "--train.validEvery", "2"];
  const validation = [
    "--train.validMaxExamples",
    "5",
    "--train.averageLastK",
    "0",
    "--train.warmupSteps",
    "2",
  ];
  const config = resolveRunConfig([file], [...shrink, ...validation]);
  for (const key of ["src", "tgt", "validSrc", "validTgt"] as const)
    config.data[key] = path.resolve(repoRoot, config.data[key]);
  const m = config.model as Record<string, unknown>;
  if (m["architecture"] === "transformer") {
    Object.assign(m, { dModel: 16, heads: 2, ffDim: 16, encoderLayers: 1, decoderLayers: 1 });
  } else Object.assign(m, { embeddingDim: 8, hiddenDim: 8, attentionDim: 8, readoutDim: 8 });
  return train(config, { out });
}

for (const configFile of ["configs/transformer-nlrx-synth.yaml", "configs/transformer-nlrx-turk.yaml"]) {
  test(`${configFile} trains on the shared NL-RX files and validates on semantic accuracy (shrunk)`, {
    skip: missing,
  }, async () => {
    const out = join(scratch, path.basename(configFile, ".yaml"));
    const result = await trainShrunk(configFile, out);
    assert.equal(result.step, 4);
    assert.equal(result.lastValidation?.metric, "regex");
    const validations = new JsonlLog(join(out, LOG_FILE))
      .read()
      .filter((r): r is ValidationRecord => r.type === "validation");
    assert.deepEqual(
      validations.map((v) => [v.step, v.metric]),
      [
        [2, "regex"],
        [4, "regex"],
      ],
    );
    for (const v of validations) {
      // Five sources decoded: the accuracy is a whole number of fifths.
      assert.ok(v.value !== null && v.value >= 0 && v.value <= 100, `value ${v.value}`);
      assert.ok(Math.abs(v.value / 20 - Math.round(v.value / 20)) < 1e-9, `value ${v.value}`);
    }
    // One word vocabulary per side; a regex is its space-separated tokens, each known, and decodes back.
    const { source, target } = loadTokenizerPair(result.checkpoint);
    const regex = "( [ <VOW> ] ) { 3 , } & ~ ( <M0> )";
    const ids = target.encode(regex);
    assert.equal(ids.length, regex.split(" ").length);
    assert.ok(!ids.includes(SPECIAL_IDS.unk), `${ids}`);
    assert.equal(target.decode(ids, { skipSpecial: true }), regex);
    assert.equal(target.tokenToId("lines"), undefined);
    assert.equal(source.tokenToId("<VOW>"), undefined);
    assert.notEqual(source.tokenToId("lines"), undefined);
  });
}

test("configs/bahdanau-nlrx-synth.yaml trains through its length buckets (shrunk)", {
  skip: missing,
}, async () => {
  const result = await trainShrunk("configs/bahdanau-nlrx-synth.yaml", join(scratch, "bahdanau"));
  assert.equal(result.step, 4);
  assert.equal(result.lastValidation?.metric, "regex");
});
