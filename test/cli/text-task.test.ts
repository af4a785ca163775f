// Text-to-text runs as a user runs them: `seq2seq train` with a task prefix and a truncation policy (counts
// in the output), then `seq2seq translate --model` applying the stored prefix and truncation by itself; a
// two-task mixture with per-task validation lines and `translate --task`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(repoRoot, "bin/seq2seq.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-text-task-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = `model:
  architecture: transformer
  dModel: 16
  heads: 2
  ffDim: 32
  encoderLayers: 1
  decoderLayers: 1
  maxPositions: 32
tokenizer:
  kind: char
train:
  maxSteps: 3
  maxTokens: 256
  warmupSteps: 2
  validEvery: 3
  validMaxExamples: 4
  decodeMaxLength: 8
`;

const COPY = `${MODEL}data:
  task: copy
  taskOptions: { count: 60, validCount: 6, minLength: 3, maxLength: 12 }
  prefix: "copy: "
  truncate:
    policy: keepStart
    maxSourceTokens: 10 # "copy: " is 6 tokens: 3 symbols + EOS are left of a long source
`;

const MIXTURE = `${MODEL}data:
  mixture:
    - { name: copy, task: copy, prefix: "copy: ", taskOptions: { count: 40, validCount: 4 } }
    - { name: rev, task: reverse, prefix: "rev: ", metric: cer, taskOptions: { count: 20, validCount: 4 } }
  mixing: { epochSize: 30 }
`;

function seq2seq(args: string[], input = ""): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    input,
    timeout: 180_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function train(name: string, config: string, overrides: string[] = []): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, config);
  const r = seq2seq(["train", "--config", file, "--out", path.join(dir, name), ...overrides]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface JsonLine {
  source: string;
  sourceTokens?: string[];
  text: string;
}

function translateJson(model: string, input: string, flags: string[] = []): JsonLine[] {
  const r = seq2seq(
    ["translate", "--model", model, "--json", "--beam", "1", "--max-length", "4", ...flags],
    input,
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as JsonLine);
}

describe("a prefix and truncation stored with the model", () => {
  let stdout = "";
  const best = path.join(dir, "copy", "best");

  test("training reports what the policy cut and stores text-task.json in every model folder", () => {
    stdout = train("copy", COPY);
    assert.match(stdout, /data\.prefix "copy: " put before every source/);
    assert.match(
      stdout,
      /data\.truncate, training data: cut \d+ sources to 10 tokens \(EOS included\), keeping their start/,
    );
    for (const folder of [best, path.join(dir, "copy", "checkpoints", "step-00000003")]) {
      const stored = JSON.parse(readFileSync(path.join(folder, "text-task.json"), "utf8"));
      assert.deepEqual(stored, {
        format: 1,
        prefix: "copy: ",
        template: "",
        maxSourceTokens: 10,
        truncate: "keepStart",
        tasks: [],
      });
    }
  });

  test("translate --model adds the prefix and keeps the start of a long input", () => {
    const [long, short] = translateJson(best, "abcdefghij\nab\n");
    assert.equal(long!.source, "abcdefghij", "the output names the input as given");
    assert.deepEqual(long!.sourceTokens!.slice(0, -1), [..."copy: abc"]);
    assert.equal(long!.sourceTokens!.length, 10, "prefix + 3 symbols + EOS");
    assert.deepEqual(short!.sourceTokens!.slice(0, -1), [..."copy: ab"]);
  });

  test("--prefix overrides the stored prefix; truncation stays", () => {
    const [line] = translateJson(best, "abcdefghij\n", ["--prefix", ""]);
    assert.deepEqual(line!.sourceTokens!.slice(0, -1), [..."abcdefghi"]);
  });

  test("with the drop policy, training counts the dropped pairs and translate refuses a long input", () => {
    const drop = ["--data.truncate.policy", "drop", "--data.truncate.maxSourceTokens", "14"];
    const out = train("drop", COPY, [...drop, "--train.maxSteps", "1"]);
    assert.match(out, /data\.truncate, training data: dropped \d+ pairs with a source over 14 tokens/);
    const r = seq2seq(
      ["translate", "--model", path.join(dir, "drop", "best"), "--beam", "1"],
      "ab\nabcdefghij\n",
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /line 2: has 17 source tokens \(EOS included\); this model takes at most 14/);
  });
});

test("a mixture: per-task validation lines and scores in log.jsonl, translate --task picks the prefix", () => {
  const out = train("mix", MIXTURE);
  assert.match(
    out,
    /mixture: copy 40 pairs, rate 0\.667, 20 per epoch; rev 20 pairs, rate 0\.333, 10 per epoch/,
  );
  assert.match(out, /task copy: exact [\d.]+ \(4 sources\)/);
  assert.match(out, /task rev: cer [\d.]+ \(4 sources\)/);
  const validations = readFileSync(path.join(dir, "mix", "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (line) =>
        JSON.parse(line) as { type: string; metric: string; tasks?: Array<{ task: string; metric: string }> },
    )
    .filter((r) => r.type === "validation");
  assert.ok(validations.length > 0);
  assert.equal(validations[0]!.metric, "loss");
  assert.deepEqual(
    validations[0]!.tasks!.map((t) => [t.task, t.metric]),
    [
      ["copy", "exact"],
      ["rev", "cer"],
    ],
  );
  const model = path.join(dir, "mix", "best");
  assert.ok(existsSync(path.join(model, "text-task.json")));
  const [line] = translateJson(model, "abc\n", ["--task", "rev"]);
  assert.deepEqual(line!.sourceTokens!.slice(0, -1), [..."rev: abc"]);
  const [plain] = translateJson(model, "abc\n");
  assert.deepEqual(plain!.sourceTokens!.slice(0, -1), [..."abc"], "no task: no prefix");
  const unknown = seq2seq(["translate", "--model", model, "--task", "sort"], "abc\n");
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown task "sort": this model's tasks are copy, rev/);
});
