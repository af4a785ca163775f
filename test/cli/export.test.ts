// `seq2seq export` run as a user runs it: a Hugging Face fixture folder to HF and ONNX folders, a model
// folder of this project to ONNX, and the bad-flag error.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const FIXTURE = resolve(import.meta.dirname, "../../../shared/fixtures/hf/marian");
const work = mkdtempSync(join(tmpdir(), "s2s-export-"));
after(() => rmSync(work, { recursive: true, force: true }));

function seq2seq(...args: string[]) {
  return spawnSync("node", ["bin/seq2seq.js", ...args], { encoding: "utf8", timeout: 120_000 });
}

const noFixture = existsSync(join(FIXTURE, "config.json")) ? undefined : `fixture ${FIXTURE} not found`;

test("export --format hf writes the family's folder", { skip: noFixture }, () => {
  const out = join(work, "hf");
  const run = seq2seq("export", "--model", FIXTURE, "--format", "hf", "--out", out);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /model_type marian/);
  assert.match(run.stdout, /note: no tokenizer/);
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
  assert.equal(config.model_type, "marian");
  assert.deepEqual(config.architectures, ["MarianMTModel"]);
  const generation = JSON.parse(readFileSync(join(out, "generation_config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  assert.deepEqual(generation.bad_words_ids, [[95]]);
  assert.equal(generation.forced_eos_token_id, 0);
});

test("export --format onnx writes the transformers.js layout", { skip: noFixture }, () => {
  const out = join(work, "onnx");
  const run = seq2seq("export", "--model", FIXTURE, "--format", "onnx", "--out", out);
  assert.equal(run.status, 0, run.stderr);
  for (const file of [
    "config.json",
    "generation_config.json",
    "onnx/encoder_model.onnx",
    "onnx/decoder_model_merged.onnx",
  ])
    assert.ok(existsSync(join(out, file)), file);
});

test("export refuses an unknown format, naming the flag", () => {
  const run = seq2seq("export", "--model", work, "--format", "tflite", "--out", join(work, "x"));
  assert.equal(run.status, 1);
  assert.match(run.stderr, /--format must be one of hf, onnx, got "tflite"/);
});
