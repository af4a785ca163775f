// The trainer end to end, in process, on tiny models: what a run leaves on disk, stop-and-resume equal to an
// uninterrupted run (dropout on), early stopping, a diverging run, refused resumes, a length-bucketed family.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfigFile } from "../../src/io/config.ts";
import { readSafetensors } from "../../src/io/safetensors.ts";
import { loadModelFolder } from "../../src/models/folder.ts";
import { listArchitectures } from "../../src/models/registry.ts";
import { ReversedTokenizer } from "../../src/tokenize/reversed-target.ts";
import { SPECIAL_IDS } from "../../src/tokenize/tokenizer.ts";
import { listCheckpoints, readTrainerState, TRAINING_STATE_FILE } from "../../src/train/checkpoint.ts";
import { JsonlLog, type StepRecord, type ValidationRecord } from "../../src/train/progress.ts";
import { setUpRun } from "../../src/train/run-setup.ts";
import { type RunConfig, resolveRunConfig } from "../../src/train/train-config.ts";
import { LOG_FILE, train } from "../../src/train/trainer.ts";

const TINY = {
  model: {
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 1,
    decoderLayers: 1,
    dropout: 0.1,
    maxPositions: 32,
  },
  data: { task: "reverse", taskOptions: { count: 120, validCount: 12, maxLength: 6 } },
  tokenizer: { kind: "char" },
  train: {
    maxSteps: 12,
    maxTokens: 256,
    lr: 3e-3,
    warmupSteps: 4,
    validEvery: 4,
    keepLast: 2,
    averageLastK: 2,
  },
};

function config(overrides: string[] = []): RunConfig {
  return resolveRunConfig([{ origin: "test", values: TINY }], overrides);
}

function runDir(): string {
  return join(mkdtempSync(join(tmpdir(), "s2s-train-")), "run");
}

function steps(dir: string): StepRecord[] {
  return new JsonlLog(join(dir, LOG_FILE)).read().filter((r): r is StepRecord => r.type === "step");
}

describe("a training run", () => {
  test("trains, validates, keeps best/last/averaged model folders, logs every step and draws the plot", async () => {
    const out = runDir();
    const result = await train(config(), { out });
    assert.equal(result.status, "completed");
    assert.equal(result.step, 12);
    const log = steps(out);
    assert.deepEqual(
      log.map((r) => r.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.ok(log.at(-1)!.loss < log[0]!.loss, `loss ${log[0]!.loss} -> ${log.at(-1)!.loss}`);
    const validations = new JsonlLog(join(out, LOG_FILE)).read().filter((r) => r.type === "validation");
    assert.deepEqual(
      validations.map((r) => r.step),
      [4, 8, 12],
    );
    assert.equal((validations[0] as ValidationRecord).metric, "exact");
    assert.deepEqual(
      listCheckpoints(out).map((c) => c.step),
      [8, 12],
    );
    const last = await loadModelFolder(result.checkpoint);
    const state = await readSafetensors(join(result.checkpoint, TRAINING_STATE_FILE));
    const flat = state.tensors.get("params")!.data as Float32Array;
    const first = last.model.parameters()[0]!;
    assert.ok(last.weights.get(first.name)!.every((x) => flat.includes(x)));
    assert.ok(result.best && existsSync(join(out, "best", "model.safetensors")));
    const bestInfo = JSON.parse(readFileSync(join(out, "best", "best.json"), "utf8")) as { step: number };
    assert.equal(bestInfo.step, result.best.step);
    assert.ok(result.averaged?.validation, "the averaged model is validated");
    await loadModelFolder(result.averaged.dir);
    assert.ok(existsSync(join(out, "plot.svg")) && existsSync(join(out, "plot.png")));
  });

  test("data.reverseTarget trains on targets read backwards and writes folders that say so", async () => {
    const note = () => {};
    const forward = await setUpRun(config(), runDir(), false, note);
    const backward = await setUpRun(config(["--data.reverseTarget", "true"]), runDir(), false, note);
    assert.equal(backward.trainPairs.length, forward.trainPairs.length);
    backward.trainPairs.forEach((pair, i) => {
      const f = forward.trainPairs[i]!;
      assert.deepEqual(Array.from(pair.src), Array.from(f.src));
      const body = Array.from(f.tgt).slice(0, -1);
      assert.deepEqual(Array.from(pair.tgt), [...body.reverse(), SPECIAL_IDS.eos]);
    });
    assert.ok(
      forward.trainPairs.some((p) => p.tgt.length > 2),
      "targets long enough to reverse",
    );
    const out = runDir();
    const result = await train(config(["--data.reverseTarget", "true"]), { out });
    const textTask = JSON.parse(readFileSync(join(result.checkpoint, "text-task.json"), "utf8"));
    assert.equal(textTask.reverseTarget, true);
    // The tokenizer is saved in reading order: the same file as a left-to-right run's.
    const l2r = await train(config(), { out: runDir() });
    assert.equal(
      readFileSync(join(result.checkpoint, "tokenizer.json"), "utf8"),
      readFileSync(join(l2r.checkpoint, "tokenizer.json"), "utf8"),
    );
    const loaded = await loadModelFolder(result.checkpoint);
    assert.ok(loaded.tokenizers.target instanceof ReversedTokenizer);
    assert.deepEqual(loaded.tokenizers.target.encode("abc"), loaded.tokenizers.source.encode("cba"));
  });

  test("averageChooseK validates the averages of the last 2..k checkpoints and keeps the best in averaged/", async () => {
    const out = runDir();
    const notes: string[] = [];
    const overrides = ["--train.keepLast", "3", "--train.averageLastK", "3", "--train.saveEvery", "2"];
    const result = await train(
      config([...overrides, "--train.averageChooseK", "true", "--train.metric", "loss"]),
      {
        out,
        observer: { message: (l) => notes.push(l) },
      },
    );
    const tried = notes.flatMap((l) => {
      const m = /averaged model \(last (\d+)\): validation loss ([\d.]+)/.exec(l);
      return m ? [{ k: Number(m[1]), loss: Number(m[2]) }] : [];
    });
    assert.deepEqual(
      tried.map((t) => t.k),
      [2, 3],
      notes.join("\n"),
    );
    const best = tried.reduce((a, b) => (b.loss < a.loss ? b : a));
    assert.equal(result.averaged?.validation?.loss.toFixed(4), best.loss.toFixed(4));
    const kept = JSON.parse(readFileSync(join(out, "averaged", "averaged.json"), "utf8")) as {
      sources: string[];
      steps: number[];
      validation: { metric: string; value: number };
    };
    assert.deepEqual(kept.steps, [8, 10, 12].slice(3 - best.k), "averaged/ holds the chosen average");
    assert.equal(kept.validation.metric, "loss", "averaged.json records the average's validation");
    assert.equal(kept.validation.value.toFixed(4), best.loss.toFixed(4));
    assert.deepEqual(
      kept.sources.map((dir) => path.basename(dir)),
      kept.steps.map((step) => `step-${String(step).padStart(8, "0")}`),
    );
    assert.throws(
      () => config(["--train.averageLastK", "2", "--train.averageChooseK", "true"]),
      /train\.averageChooseK.*averageLastK ≥ 3/,
    );
  });

  test("stopped by its signal after step 5 and resumed, it logs the same losses as an uninterrupted run", async () => {
    const whole = runDir();
    await train(config(), { out: whole });
    const split = runDir();
    const controller = new AbortController();
    const first = await train(config(), {
      out: split,
      signal: controller.signal,
      observer: { step: (r) => r.step === 5 && controller.abort() },
    });
    assert.equal(first.status, "interrupted");
    assert.equal(first.step, 5);
    assert.deepEqual(
      listCheckpoints(split).map((c) => c.step),
      [4, 5],
    );
    const notes: string[] = [];
    const second = await train(config(), {
      out: split,
      resume: true,
      observer: { message: (l) => notes.push(l) },
    });
    assert.equal(second.status, "completed");
    assert.ok(
      notes.some((l) => /replaying the dropout draws of 1 steps/.test(l)),
      notes.join("\n"),
    );
    assert.deepEqual(
      steps(split).map((r) => [r.step, r.loss]),
      steps(whole).map((r) => [r.step, r.loss]),
    );
  });

  test("early stopping ends the run after `patience` validations without improvement", async () => {
    // An LR far below float32 resolution leaves the weights, and so the validation loss, unchanged.
    const overrides = ["--train.lr", "1e-12", "--train.schedule", "constant", "--train.validEvery", "2"];
    const result = await train(config([...overrides, "--train.patience", "2"]), { out: runDir() });
    assert.equal(result.status, "early-stopped");
    assert.equal(result.step, 6, "best at 2, no better at 4 and 6");
    assert.equal(result.best?.step, 2);
    const unlimited = await train(config([...overrides, "--train.maxSteps", "8"]), { out: runDir() });
    assert.equal(unlimited.status, "completed", "patience 0 never stops a run");
  });
});

test("maxEpochs bounds a run, and each step takes `accumulate` batches of the stream", async () => {
  const out = runDir();
  const overrides = ["--train.maxSteps", "0", "--train.maxEpochs", "1", "--train.accumulate", "2"];
  const result = await train(
    config([...overrides, "--train.validEvery", "1000", "--train.averageLastK", "0"]),
    {
      out,
    },
  );
  assert.equal(result.status, "completed");
  const state = await readTrainerState(result.checkpoint);
  const { epoch, batchIndex } = state.data;
  assert.ok(
    (epoch === 0 && batchIndex === 2 * result.step) || (epoch === 1 && batchIndex === 1),
    `${result.step} steps left the stream at ${JSON.stringify(state.data)}`,
  );
  assert.ok(result.step >= 2, `${result.step} steps`);
  assert.equal(result.lastValidation !== null, true, "a run ends with a validation");
});

describe("errors", () => {
  test("a diverging run stops with the step and the last good checkpoint, which stays", async () => {
    const out = runDir();
    const overrides = ["--train.lr", "1e30", "--train.schedule", "constant", "--train.maxGradNorm", "0"];
    const run = train(config([...overrides, "--train.validEvery", "1", "--train.metric", "loss"]), { out });
    const error = await run.then(
      () => assert.fail("expected the run to fail"),
      (e: Error) => e,
    );
    const match =
      /training stopped at step (\d+): non-finite loss .*; the last good checkpoint is (.*) \(step (\d+)\)/.exec(
        error.message,
      );
    assert.ok(match, error.message);
    assert.equal(Number(match[3]), Number(match[1]) - 1);
    assert.ok(existsSync(join(match[2]!, TRAINING_STATE_FILE)));
    const records = new JsonlLog(join(out, LOG_FILE)).read();
    assert.equal(records.at(-1)!.type, "error");
  });

  test("resuming refuses a changed config (naming the key), a fresh run refuses a used folder", async () => {
    const out = runDir();
    await train(config(["--train.maxSteps", "2", "--train.validEvery", "2"]), { out });
    await assert.rejects(train(config(), { out }), /already holds a training run .*--resume/);
    await assert.rejects(
      train(config(["--train.lr", "0.01"]), { out, resume: true }),
      /config differs from the run's in train\.lr \(0\.003 → 0\.01\)/,
    );
    await assert.rejects(train(config(), { out: runDir(), resume: true }), /nothing to resume/);
    const more = await train(config(["--train.maxSteps", "4", "--train.validEvery", "2"]), {
      out,
      resume: true,
    });
    assert.equal(more.step, 4, "limits may change on resume");
  });

  test("maxSeconds bounds the whole run: a resume spends only what the checkpoint left, more when raised", async () => {
    const out = runDir();
    const first = await train(config(["--train.maxSteps", "3"]), { out });
    const { elapsed } = await readTrainerState(first.checkpoint);
    assert.ok(elapsed > 0, `elapsed ${elapsed}`);
    const spent = await train(config(["--train.maxSteps", "12", "--train.maxSeconds", String(elapsed / 2)]), {
      out,
      resume: true,
    });
    assert.equal(spent.step, 3, "the budget was used up before the resume: no step");
    const raised = await train(config(["--train.maxSteps", "5", "--train.maxSeconds", "3600"]), {
      out,
      resume: true,
    });
    assert.equal(raised.step, 5, "a raised budget trains on");
  });

  test("a cosine schedule under maxSeconds decays by the time spent, a resume's included", async () => {
    const out = runDir();
    const cosine = ["--train.schedule", "cosine", "--train.warmupSteps", "1", "--train.validEvery", "1000"];
    const first = await train(config([...cosine, "--train.maxSteps", "3"]), { out });
    const { elapsed } = await readTrainerState(first.checkpoint);
    // Far more steps than the budget allows: by steps alone the rate would stay at its peak.
    const budget = 2 * elapsed;
    const limits = ["--train.maxSteps", "1000000", "--train.maxSeconds", String(budget)];
    await train(config([...cosine, ...limits]), { out, resume: true });
    const log = steps(out);
    assert.ok(log.length > 3, "the resumed run took steps");
    const peak = TINY.train.lr;
    const decay = (spent: number) => 0.5 * peak * (1 + Math.cos(Math.PI * Math.min(1, spent / budget)));
    for (let k = 3; k < log.length; k++) {
      // Step k's rate was set between the end of step k - 1 and its own end (the log's elapsed).
      const [before, after] = [log[k - 1]!.elapsed, log[k]!.elapsed];
      assert.ok(log[k]!.lr <= decay(before) + 1e-12 && log[k]!.lr >= decay(after) - 1e-12, `step ${k + 1}`);
      assert.ok(log[k]!.lr <= peak / 2 + 1e-12, "half the budget was spent before the resume");
    }
  });

  test("patience without validation data is refused", async () => {
    const c = config(["--train.patience", "2"]);
    const tmp = mkdtempSync(join(tmpdir(), "s2s-data-"));
    writeFileSync(join(tmp, "a.txt"), "abc\ncba\n");
    const files = { ...c, data: { ...c.data, task: "", src: join(tmp, "a.txt"), tgt: join(tmp, "a.txt") } };
    await assert.rejects(train(files, { out: runDir() }), /train\.patience needs validation data/);
  });
});

const repoRoot = path.resolve(import.meta.dirname, "../..");
const multi30k = path.resolve(repoRoot, "../shared/data/multi30k");

test("configs/transformer-multi30k.yaml reads the shared Multi30k files and trains (shrunk)", {
  skip: existsSync(multi30k) ? false : `the shared data folder ${multi30k} is absent`,
}, async () => {
  const file = loadConfigFile(path.join(repoRoot, "configs/transformer-multi30k.yaml"));
  const shrink = ["--data.limit", "200", "--train.maxSteps", "2", "--train.validEvery", "2"];
  const small = [
    "--model.dModel",
    "16",
    "--model.ffDim",
    "16",
    "--model.encoderLayers",
    "1",
    "--model.decoderLayers",
    "1",
  ];
  const c = resolveRunConfig(
    [file],
    [...shrink, ...small, "--train.validMaxExamples", "3", "--train.averageLastK", "0"],
  );
  for (const key of ["src", "tgt", "validSrc", "validTgt"] as const)
    c.data[key] = path.resolve(repoRoot, c.data[key]);
  const result = await train(c, { out: runDir() });
  assert.equal(result.step, 2);
  assert.equal(result.lastValidation?.metric, "bleu");
  assert.equal(result.lastValidation?.examples.length, 3);
});

test("a family with static length buckets trains through one graph per bucket", {
  skip: listArchitectures().some((a) => a.name === "lstm") ? false : "no length-bucketed family registered",
}, async () => {
  const c = resolveRunConfig(
    [
      {
        origin: "test",
        values: {
          ...TINY,
          model: {
            architecture: "lstm",
            embeddingDim: 8,
            hiddenDim: 8,
            layers: 1,
            maxSourceLength: 8,
            maxTargetLength: 8,
            lengthBuckets: 2,
          },
        },
      },
    ],
    ["--train.maxSteps", "4", "--train.averageLastK", "0"],
  );
  const result = await train(c, { out: runDir() });
  assert.equal(result.step, 4);
  assert.ok(Number.isFinite(result.lastValidation!.loss));
});
