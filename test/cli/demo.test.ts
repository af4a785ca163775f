// `seq2seq demo` run as a user runs it (a spawned process, a temp output folder), on a tiny time budget.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("seq2seq demo trains, decodes held-out words, scores them and saves the model folder", () => {
  const out = join(mkdtempSync(join(tmpdir(), "s2s-demo-")), "model");
  const run = spawnSync(
    "node",
    ["bin/seq2seq.js", "demo", "--seconds", "8", "--eval-words", "40", "--out", out],
    {
      encoding: "utf8",
      timeout: 240_000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /training pairs/, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.match(run.stdout, /held-out words after \d+ steps/);
  const rate = /word error rate ([\d.]+)%, phoneme error rate ([\d.]+)%/.exec(run.stdout);
  assert.ok(rate, run.stdout);
  // Eight seconds of training decode little: a phoneme error rate above 100% (long wrong
  // outputs) is a legitimate score here, so only its form is checked.
  assert.ok(Number.isFinite(Number(rate[1])) && Number(rate[1]) <= 100, rate[0]);
  assert.ok(Number.isFinite(Number(rate[2])) && Number(rate[2]) >= 0, rate[0]);
  assert.match(run.stdout, /^ {2}[✓✗] \S+ .*\(reference: .+\)$/m, "one line per held-out word");
  for (const file of ["model.safetensors", "config.json", "source_tokenizer.json", "target_tokenizer.json"]) {
    assert.ok(existsSync(join(out, file)), `${file} missing from the model folder`);
  }
  const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { architecture: string };
  assert.equal(config.architecture, "transformer");
});

test("seq2seq demo refuses a non-positive time budget with a clear message", () => {
  const run = spawnSync("node", ["bin/seq2seq.js", "demo", "--seconds", "0"], { encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /--seconds must be a positive number/);
});
