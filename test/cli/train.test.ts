// `seq2seq train` run as a user runs it: the real bin script with a YAML config in a temporary folder;
// a full run, Ctrl-C (SIGINT) then --resume against an uninterrupted run, and the error paths.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadRunConfig } from "../../src/cli/train.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(repoRoot, "bin/seq2seq.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-train-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `# a tiny Transformer on the built-in copy task
model:
  architecture: transformer
  dModel: 16
  heads: 2
  ffDim: 32
  encoderLayers: 1
  decoderLayers: 1
  dropout: 0.1        # on: resuming must still match
  maxPositions: 32
data:
  task: copy
  taskOptions: { count: 150, validCount: 10, maxLength: 6 }
tokenizer:
  kind: char
train:
  maxSteps: 10
  maxTokens: 256
  lr: 3.0e-3
  warmupSteps: 4
  validEvery: 4
  logEvery: 1
`;

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

const configFile = file("copy.yaml", CONFIG);

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, "train", ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function losses(runDir: string): Array<[number, number]> {
  return readFileSync(path.join(runDir, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; step: number; loss: number })
    .filter((r) => r.type === "step")
    .map((r) => [r.step, r.loss]);
}

/** Starts a run and sends SIGINT once stdout shows `step <n>/`; resolves with the exit code and output. */
function runAndInterrupt(
  args: string[],
  n: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, "train", ...args], { cwd: dir });
  let stdout = "";
  let stderr = "";
  let sent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    if (!sent && new RegExp(`^step ${n}/`, "m").test(stdout)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("seq2seq train on a built-in task", () => {
  const whole = path.join(dir, "whole");
  let first: ReturnType<typeof run>;
  before(() => {
    first = run(["--config", configFile, "--out", whole]);
  });

  test("trains, printing plain progress lines, and leaves checkpoints, best/, log.jsonl and the plot", () => {
    assert.equal(first.status, 0, first.stderr);
    assert.match(
      first.stdout,
      /^step 10\/10 {2}epoch \d+ {2}loss [\d.]+ {2}lr [\d.e+-]+ {2}\d+ tok\/s {2}ETA/m,
    );
    assert.match(first.stdout, /^validation at step 8: loss [\d.]+ {2}ppl [\d.]+ {2}exact [\d.]+/m);
    assert.match(first.stdout, /completed after 10 steps; last checkpoint: .*step-00000010/);
    assert.deepEqual(
      losses(whole).map(([step]) => step),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    for (const f of [
      "model.safetensors",
      "config.json",
      "tokenizer.json",
      "training_state.safetensors",
      "trainer_state.json",
    ])
      assert.ok(existsSync(path.join(whole, "checkpoints/step-00000010", f)), f);
    for (const f of ["best/model.safetensors", "plot.svg", "plot.png", "run-config.json"])
      assert.ok(existsSync(path.join(whole, f)), f);
  });

  test("Ctrl-C writes a checkpoint and exits 130; --resume reaches the uninterrupted run's losses", async () => {
    const split = path.join(dir, "split");
    const stopped = await runAndInterrupt(["--config", configFile, "--out", split], 5);
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /SIGINT: finishing this step and writing a checkpoint/);
    assert.match(stopped.stdout, /interrupted after \d+ steps/);
    const at = Number(/interrupted after (\d+) steps/.exec(stopped.stdout)![1]);
    assert.ok(at >= 5 && at < 10, `stopped at ${at}`);
    assert.ok(
      existsSync(
        path.join(split, `checkpoints/step-${String(at).padStart(8, "0")}/training_state.safetensors`),
      ),
    );
    const resumed = run(["--config", configFile, "--out", split, "--resume"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    // Same seed, same machine: the losses are reproduced, dropout included.
    const [a, b] = [losses(whole), losses(split)];
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i]![1] - b[i]![1]) <= 1e-6, `step ${i + 1}: ${a[i]} vs ${b[i]}`);
  });

  test("--resume with a changed training key is refused, naming it", () => {
    const r = run(["--config", configFile, "--out", whole, "--resume", "--train.lr", "0.01"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config differs from the run's in train\.lr \(0\.003 → 0\.01\)/);
  });
});

describe("seq2seq train errors", () => {
  test("an unknown key names the file and the nearest valid key; so does a bad override", () => {
    const bad = file("bad.yaml", `${CONFIG}  warmupStep: 3\n`);
    const r = run(["--config", bad, "--out", path.join(dir, "bad")]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /unknown config key "train\.warmupStep" \(in .*bad\.yaml\); did you mean "train\.warmupSteps"\?/,
    );
    const o = run(["--config", configFile, "--model.layerz", "2"]);
    assert.equal(o.status, 1);
    assert.match(o.stderr, /unknown config key "model\.layerz" \(in command line\)/);
    const missing = run(["--config", path.join(dir, "nope.yaml")]);
    assert.match(missing.stderr, /config file not found: .*nope\.yaml/);
  });

  test("bad data files are errors naming the file and line", () => {
    const src = path.join(dir, "train.src");
    writeFileSync(
      src,
      Buffer.concat([Buffer.from("a b\n"), Buffer.from([0x63, 0xff, 0x0a]), Buffer.from("d\n")]),
    );
    const tgt = file("train.tgt", "x\ny\nz\n");
    const short = file("short.tgt", "x\ny\n");
    const files = (t: string) => ["--data.task", "", "--data.src", src, "--data.tgt", t];
    const utf8 = run(["--config", configFile, "--out", path.join(dir, "d1"), ...files(tgt)]);
    assert.equal(utf8.status, 1);
    assert.match(utf8.stderr, /train\.src:2: invalid UTF-8/);
    writeFileSync(src, "a\nb\nc\n");
    const misaligned = run(["--config", configFile, "--out", path.join(dir, "d2"), ...files(short)]);
    assert.equal(misaligned.status, 1);
    assert.match(
      misaligned.stderr,
      /misaligned parallel files: .*short\.tgt has 2 lines but .*train\.src has 3/,
    );
  });

  test("--seed is shorthand for --train.seed, and --print-config shows the resolved config", () => {
    const c = loadRunConfig(configFile, ["--train.lr", "0.01"], "7");
    assert.deepEqual([c.train.seed, c.train.lr, c.model["dModel"]], [7, 0.01, 16]);
    const r = run(["--config", configFile, "--print-config", "--seed", "9", "--model.heads", "4"]);
    assert.equal(r.status, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as {
      train: { seed: number; maxSteps: number };
      model: { heads: number };
    };
    assert.deepEqual([printed.train.seed, printed.train.maxSteps, printed.model.heads], [9, 10, 4]);
  });

  test("--help lists the config sections and the override syntax", () => {
    const r = spawnSync(process.execPath, [bin, "train", "--help"], { encoding: "utf8" });
    assert.equal(r.status, 0);
    for (const text of [
      "--config <file>",
      "--resume",
      "--out <dir>",
      "--train.lr 5e-4",
      "tokenizer",
      "averageLastK",
    ])
      assert.ok(r.stdout.includes(text), text);
  });
});
