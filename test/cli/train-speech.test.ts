// `seq2seq train` on speech manifests, run as a user runs it: a tiny Whisper-style config from scratch and the
// Hugging Face Whisper fixture (--init-from) train a few steps, then `seq2seq transcribe` loads their folders;
// Ctrl-C then --resume logs the losses of an uninterrupted run (dropout and SpecAugment on); a changed key on
// resume, a fresh run into a used folder, a missing manifest and text data for a speech model fail clearly.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildWhisperFolder, CLIP_TEXTS, fixturesMissing, writeToneClips } from "../train/speech-fixtures.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "s2s-train-speech-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, "bin/seq2seq.js"), ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 180_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY_CONFIG = `
model:
  architecture: whisper
  dModel: 32
  heads: 2
  ffDim: 64
  encoderLayers: 1
  decoderLayers: 1
  maxSourcePositions: 50
  maxTargetPositions: 24
  dropout: 0
data:
  speech:
    train: clips/clips.tsv
    valid: clips/clips.tsv
tokenizer:
  kind: char
  vocabSize: 0
train:
  maxSteps: 4
  validEvery: 2
  batchFrames: 200
  lr: 3.0e-3
  schedule: constant
  specAugment:
    freqMasks: 1
    freqWidth: 4
`;

type LogLine = { type: string; step: number; loss: number; cer?: number; wer?: number };

function logRecords(runDir: string, type = "checkpoint"): LogLine[] {
  return readFileSync(join(dir, runDir, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as LogLine)
    .filter((r) => r.type === type);
}

/** Starts `seq2seq train` and sends SIGINT once stdout shows `step <n>: loss`; resolves with the exit code and output. */
function runAndInterrupt(
  args: string[],
  n: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, "bin/seq2seq.js"), ...args], { cwd: dir });
  let [stdout, stderr, sent] = ["", "", false];
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    if (!sent && new RegExp(`^step ${n}: loss`, "m").test(stdout)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((done) => child.on("exit", (code) => done({ code, stdout, stderr })));
}

/** The tiny config with dropout, a batch of two clips and validation every 4 of 12 steps: resumes must match. */
const RESUME_ARGS = [
  "train",
  "--config",
  "tiny.yaml",
  "--model.dropout",
  "0.1",
  "--train.maxSteps",
  "12",
  "--train.validEvery",
  "4",
  "--train.batchFrames",
  "60",
  "--train.logEvery",
  "1",
];

describe("seq2seq train on speech manifests", () => {
  before(async () => {
    await writeToneClips(join(dir, "clips"));
    writeFileSync(join(dir, "tiny.yaml"), TINY_CONFIG);
    writeFileSync(join(dir, "a.txt"), "t1 t2\n");
  });

  test("a tiny Whisper-style config: last/ and best/ load in seq2seq transcribe; CER/WER logged", () => {
    const trained = run(["train", "--config", "tiny.yaml", "--out", "scratch"]);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /validation CER [\d.]+ %, WER [\d.]+ % \(4 clips\)/);
    assert.match(trained.stdout, /stopped \(steps\) after 4 steps/);
    const records = logRecords("scratch");
    assert.deepEqual(
      records.map((r) => [r.step, typeof r.cer, typeof r.wer]),
      [
        [2, "number", "number"],
        [4, "number", "number"],
      ],
    );
    assert.ok(existsSync(join(dir, "scratch/best/best.json")));
    const clip = join(dir, "clips/wav/clip0.wav");
    const transcribed = run(["transcribe", "--model", "scratch/last", "--json", clip]);
    assert.equal(transcribed.status, 0, transcribed.stderr);
    const line = JSON.parse(transcribed.stdout.trim()) as { file: string; text: string };
    assert.equal(line.file, clip);
    assert.equal(typeof line.text, "string");
  });

  test("--init-from a Hugging Face Whisper folder: fine-tunes, saves a Whisper folder transcribe reads as is", {
    skip: fixturesMissing("whisper"),
  }, () => {
    buildWhisperFolder(join(dir, "whisper"));
    const args = ["train", "--init-from", "whisper", "--speech-train", "clips/clips.tsv"];
    const noLanguage = run([...args, "--out", "ft0", "--train.maxSteps", "1"]);
    assert.equal(noLanguage.status, 1);
    assert.match(noLanguage.stderr, /"language" is not set, and this multilingual model needs one/);
    const trained = run([
      ...args,
      "--speech-valid",
      "clips/clips.tsv",
      "--data.speech.language",
      "en",
      "--out",
      "ft",
      "--train.maxSteps",
      "3",
      "--train.validEvery",
      "2",
      "--train.schedule",
      "constant",
      "--train.lr",
      "1e-3",
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /model: Hugging Face Whisper folder whisper/);
    assert.deepEqual(
      logRecords("ft").map((r) => r.step),
      [2, 3],
    );
    const generation = JSON.parse(readFileSync(join(dir, "ft/last/generation_config.json"), "utf8"));
    assert.equal(generation.language, "en");
    assert.equal(JSON.parse(readFileSync(join(dir, "ft/last/config.json"), "utf8")).model_type, "whisper");
    const clips = CLIP_TEXTS.map((_, i) => join(dir, `clips/wav/clip${i}.wav`));
    const transcribed = run(["transcribe", "--model", "ft/last", ...clips]);
    assert.equal(transcribed.status, 0, transcribed.stderr);
    assert.equal(transcribed.stdout.split("\n").length, clips.length + 1, transcribed.stdout);
  });

  test("errors: a missing manifest names the file; text data for a speech model; --resume", {
    skip: fixturesMissing("whisper"),
  }, () => {
    const missing = run(["train", "--config", "tiny.yaml", "--speech-train", "nope.tsv", "--out", "x1"]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'seq2seq: manifest "nope.tsv": no such file\n');
    const text = run(["train", "--init-from", "whisper", "--src", "a.txt", "--tgt", "a.txt", "--out", "x2"]);
    assert.equal(text.status, 1);
    assert.equal(text.stderr.split("\n").length, 2, text.stderr);
    assert.match(
      text.stderr,
      /"data\.speech\.train" must name a training manifest: model\.architecture "whisper" reads audio, not text \(data\.src is text data\)/,
    );
    const mixed = run(["train", "--config", "tiny.yaml", "--src", "a.txt", "--tgt", "a.txt", "--out", "x3"]);
    assert.equal(mixed.status, 1);
    assert.match(mixed.stderr, /"data\.src" is text data: a speech run reads data\.speech manifests only/);
    const resume = run(["train", "--config", "tiny.yaml", "--out", "x4", "--resume"]);
    assert.equal(resume.status, 1);
    assert.match(resume.stderr, /nothing to resume: x4 holds no checkpoint/);
  });
});

describe("seq2seq train on speech manifests: Ctrl-C and --resume", () => {
  before(async () => {
    await writeToneClips(join(dir, "clips"));
    writeFileSync(join(dir, "tiny.yaml"), TINY_CONFIG);
  });

  test("Ctrl-C writes a checkpoint and exits 130; --resume logs the uninterrupted run's losses", async () => {
    const whole = run([...RESUME_ARGS, "--out", "whole"]);
    assert.equal(whole.status, 0, whole.stderr);
    const stopped = await runAndInterrupt([...RESUME_ARGS, "--out", "split"], 5);
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /SIGINT: finishing this step and writing a checkpoint/);
    const at = Number(/stopped \(signal\) after (\d+) steps/.exec(stopped.stdout)?.[1]);
    assert.ok(at >= 5 && at < 12, `stopped at ${at}: ${stopped.stdout}`);
    assert.match(stopped.stdout, /continue with the same command plus --resume/);
    const checkpoint = join(dir, `split/checkpoints/step-${String(at).padStart(8, "0")}`);
    for (const file of ["model.safetensors", "training_state.safetensors", "trainer_state.json"])
      assert.ok(existsSync(join(checkpoint, file)), file);
    const fresh = run([...RESUME_ARGS, "--out", "split"]);
    assert.equal(fresh.status, 1);
    assert.match(fresh.stderr, /split already holds a training run .*: pass --resume to continue it/);
    const resumed = run([...RESUME_ARGS, "--out", "split", "--resume"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resuming split/checkpoints/step-0*${at} at step ${at}`));
    const [a, b] = [logRecords("whole", "step"), logRecords("split", "step")];
    assert.deepEqual(
      b.map((r) => r.step),
      a.map((r) => r.step),
    );
    for (const [i, r] of a.entries())
      assert.ok(Math.abs(r.loss - b[i]!.loss) <= 1e-5, `step ${r.step}: ${r.loss} vs ${b[i]!.loss}`);
    const signalled = at % 4 === 0 ? [] : [[at, undefined]];
    assert.deepEqual(
      logRecords("split").map((r) => [r.step, r.cer]),
      [...logRecords("whole").map((r) => [r.step, r.cer]), ...signalled].sort((x, y) => x[0]! - y[0]!),
      "the same validations, plus the checkpoint written at the signal (not validated)",
    );
  });

  test("--resume with a changed training key is refused, naming it", () => {
    const r = run([...RESUME_ARGS, "--out", "whole", "--resume", "--train.lr", "0.01"]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /cannot resume .*: the config differs from the run's in train\.lr \(0\.003 → 0\.01\)/,
    );
    const clips = run([...RESUME_ARGS, "--out", "whole", "--resume", "--train.specAugment.freqMasks", "2"]);
    assert.equal(clips.status, 1);
    assert.match(clips.stderr, /differs from the run's in train\.specAugment\.freqMasks \(1 → 2\)/);
  });
});
