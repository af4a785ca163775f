// Which model folder the train-then-score benchmarks score when they only rescore a finished run
// (--skip-train): the run's records decide, as the trainer's result does after training. And a rerun: a run
// that finished under the same limits is rescored, not trained again; one with raised limits trains on.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { chooseModel, trainOrResume } from "../../bench/run-helpers.ts";
import { resolveRunConfig } from "../../src/train/train-config.ts";

const root = mkdtempSync(join(os.tmpdir(), "seq2seq-run-helpers-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A run folder with best/best.json and, when given, averaged/averaged.json. */
function run(name: string, best: object, averaged?: object): string {
  const out = join(root, name);
  mkdirSync(join(out, "best"), { recursive: true });
  writeFileSync(join(out, "best", "best.json"), JSON.stringify(best));
  if (averaged) {
    mkdirSync(join(out, "averaged"));
    writeFileSync(join(out, "averaged", "averaged.json"), JSON.stringify(averaged));
  }
  return out;
}

test("--skip-train scores best/ when the recorded average validated worse, else averaged/", () => {
  const steps = { sources: ["a", "b"], steps: [1200, 1209] };
  const worse = run(
    "worse",
    { step: 1209, metric: "bleu", value: 15.72 },
    {
      ...steps,
      validation: { metric: "bleu", value: 15.65 },
    },
  );
  assert.deepEqual(chooseModel(worse, undefined), { dir: join(worse, "best"), which: "best (step 1209)" });
  const better = run(
    "better",
    { step: 1209, metric: "wer", value: 26.15 },
    {
      ...steps,
      validation: { metric: "wer", value: 25.2 },
    },
  );
  assert.deepEqual(chooseModel(better, undefined), { dir: join(better, "averaged"), which: "averaged" });
  const unrated = run("unrated", { step: 5, metric: "bleu", value: 1 }, steps);
  assert.equal(chooseModel(unrated, undefined).which, "averaged", "an average without a record is kept");
  const none = run("none", { step: 7, metric: "bleu", value: 1 });
  assert.deepEqual(chooseModel(none, undefined), { dir: join(none, "best"), which: "best (step 7)" });
});

test("a rerun rescores a run that finished under the same limits and resumes one whose limits were raised", async () => {
  const tiny = {
    model: { dModel: 16, heads: 2, ffDim: 32, encoderLayers: 1, decoderLayers: 1, maxPositions: 32 },
    data: { task: "reverse", taskOptions: { count: 40, validCount: 4, maxLength: 5 } },
    tokenizer: { kind: "char" },
    train: { maxSteps: 2, maxTokens: 128, validEvery: 2, logEvery: 1000 },
  };
  const config = (steps: number) =>
    resolveRunConfig([{ origin: "test", values: tiny }], ["--train.maxSteps", String(steps)]);
  const out = join(root, "rerun");
  const first = await trainOrResume(config(2), out, false);
  assert.equal(first?.step, 2);
  assert.equal(
    await trainOrResume(config(2), out, false),
    undefined,
    "finished with these limits: not trained",
  );
  const more = await trainOrResume(config(4), out, false);
  assert.equal(more?.step, 4, "a raised limit resumes the run");
  assert.equal(await trainOrResume(config(4), out, false), undefined, "the raised limits are the run's now");
});
