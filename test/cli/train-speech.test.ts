// `seq2seq train` on speech manifests, run as a user runs it: a tiny Whisper-style config from scratch and the
// Hugging Face Whisper fixture (--init-from) train a few steps, then `seq2seq transcribe` loads their folders;
// a missing manifest, text data for a speech model and --resume fail with one clear line.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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

type LogLine = { type: string; step: number; cer?: number; wer?: number };

function logRecords(runDir: string): LogLine[] {
  return readFileSync(join(dir, runDir, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as LogLine);
}

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
    assert.match(resume.stderr, /speech runs do not resume: .*--init-from x4\/last/);
  });
});
