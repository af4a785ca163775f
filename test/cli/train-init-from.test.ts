// `seq2seq train --init-from DIR` run as a user runs it: a Hugging Face fixture fine-tuned on tiny text files
// for a few steps, then `translate` and `export` on its best/ folder; bad folders fail with one clear line.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { buildHfFolder } from "../decode/hf-translate-fixtures.ts";
import { FIXTURES, fixturesMissing } from "../models/hf-fixtures.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "s2s-train-init-"));
after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, "a.txt"), "t10 t11 t12\nt13 t14\nt15 t16 t17\n");
writeFileSync(join(dir, "b.txt"), "t30 t31\nt32 t33 t34\nt35\n");
const DATA = ["--src", "a.txt", "--tgt", "b.txt"];

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, "bin/seq2seq.js"), ...args], {
    cwd: dir,
    encoding: "utf8",
    input,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("seq2seq train --init-from on a Hugging Face folder", { skip: fixturesMissing("marian") }, () => {
  test("fine-tunes a few steps; translate and export read its best/ as a marian folder", () => {
    buildHfFolder("marian", join(dir, "marian"));
    const trained = run([
      "train",
      "--init-from",
      "marian",
      ...DATA,
      "--valid-src",
      "a.txt",
      "--valid-tgt",
      "b.txt",
      "--out",
      "run",
      "--train.maxSteps",
      "2",
      "--train.validEvery",
      "2",
      "--train.schedule",
      "constant",
      "--train.lr",
      "0.01",
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /fine-tuning from marian \(Hugging Face marian\)/);
    assert.match(trained.stdout, /completed after 2 steps/);
    const translated = run(["translate", "--model", "run/best"], "t10 t11 t12\nt13 t14\n");
    assert.equal(translated.status, 0, translated.stderr);
    assert.equal(translated.stdout.split("\n").length, 3, translated.stdout);
    const exported = run(["export", "--model", "run/best", "--out", "exported"]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /wrote exported \(model_type marian\)/);
  });

  test("--print-config shows the folder's model section", () => {
    buildHfFolder("marian", join(dir, "marian"));
    const r = run(["train", "--init-from", "marian", ...DATA, "--print-config"]);
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(r.stdout);
    assert.equal(config.train.initFrom, "marian");
    assert.equal(config.model.dModel, 32);
    assert.equal(config.model.positions, "sinusoidal");
  });
});

describe("seq2seq train --init-from refusals", () => {
  test("a missing folder: status 1 and one line naming it", () => {
    const r = run(["train", "--init-from", "nope", ...DATA]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "seq2seq: train.initFrom: model folder nope does not exist\n");
  });

  test("a Whisper folder with text data: one line asking for a speech manifest", {
    skip: fixturesMissing("whisper"),
  }, () => {
    const r = run(["train", "--init-from", join(FIXTURES, "whisper"), ...DATA]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.split("\n").length, 2, r.stderr);
    assert.match(r.stderr, /"data\.speech\.train" must name a training manifest: .*reads audio, not text/);
  });

  test("a folder without tokenizer.json: one line saying so", { skip: fixturesMissing("marian") }, () => {
    buildHfFolder("marian", join(dir, "bare"), { tokenizer: false });
    const r = run(["train", "--init-from", "bare", ...DATA]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "seq2seq: bare has no tokenizer.json\n");
  });

  test("neither --config nor --init-from", () => {
    const r = run(["train", ...DATA]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /train needs --config FILE \(or --init-from DIR/);
  });
});
