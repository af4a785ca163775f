// `seq2seq eval` run as a user runs it: the real bin script on real files in a temporary folder,
// checking stdout (JSON and table), exit codes and error messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalCli } from "../helpers/eval-cli.ts";

const { file, pathOf, run } = evalCli("eval");

const hyp = file("hyp.txt", [
  "The dog bit the man.",
  "It wasn't surprising.",
  "The man had just bitten him.",
]);
const ref1 = file("ref1.txt", ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]);
const ref2 = file("ref2.txt", [
  "The dog had bit the man.",
  "No one was surprised.",
  "The man had bitten the dog.",
]);
const src = file("src.txt", [
  "Der Hund biss den Mann.",
  "Es war nicht überraschend.",
  Array(12).fill("wort").join(" "),
]);

test("--json prints one object keyed by metric, with sacreBLEU's two-reference BLEU", () => {
  const { status, stdout, stderr } = run([
    "--hyp",
    hyp,
    "--ref",
    ref1,
    "--ref",
    ref2,
    "--metrics",
    "bleu,chrf,ter,wer,exact",
    "--json",
  ]);
  assert.equal(status, 0, stderr);
  const out = JSON.parse(stdout) as Record<string, { score: number; signature: string }>;
  assert.deepEqual(Object.keys(out), ["bleu", "chrf", "ter", "wer", "exact"]);
  assert.ok(Math.abs(out.bleu!.score - 48.530827) < 1e-6);
  assert.equal(out.bleu!.signature, "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x-local");
  assert.equal(out.exact!.score, 100 / 3);
  for (const metric of Object.values(out)) assert.equal(typeof metric.score, "number");
});

test("options reach the metrics: --lowercase, --tokenize, --chrf-word-order", () => {
  const { status, stdout } = run([
    "--hyp",
    hyp,
    "--ref",
    ref1,
    "--metrics",
    "bleu,chrf",
    "--lowercase",
    "--tokenize",
    "intl",
    "--chrf-word-order",
    "2",
    "--json",
  ]);
  assert.equal(status, 0);
  const out = JSON.parse(stdout) as Record<string, { signature: string }>;
  assert.equal(out.bleu!.signature, "nrefs:1|case:lc|eff:no|tok:intl|smooth:exp|version:2.x-local");
  assert.equal(out.chrf!.signature, "nrefs:1|case:lc|eff:yes|nc:6|nw:2|space:no|version:2.x-local");
});

test("the default output is a table with names, two-decimal scores and signatures", () => {
  const { status, stdout } = run(["--hyp", hyp, "--ref", ref1, "--ref", ref2]);
  assert.equal(status, 0);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0]!, /^metric\s+score\s+signature$/);
  assert.match(lines[1]!, /^BLEU\s+48\.53\s+nrefs:2\|case:mixed/);
  assert.match(lines[2]!, /^chrF2\s+\d+\.\d\d\s+nrefs:2/);
  assert.match(lines[3]!, /^TER\s+\d+\.\d\d\s+nrefs:2\|case:lc\|tok:tercom/);
});

test("--src --by-length adds per-bucket scores", () => {
  const { status, stdout } = run([
    "--hyp",
    hyp,
    "--ref",
    ref1,
    "--metrics",
    "exact",
    "--src",
    src,
    "--by-length",
    "--json",
  ]);
  assert.equal(status, 0);
  const out = JSON.parse(stdout) as {
    exact: { byLength: { bucket: string; count: number; score: number }[] };
  };
  assert.deepEqual(out.exact.byLength, [
    { bucket: "0-9", count: 2, score: 50 },
    { bucket: "10-19", count: 1, score: 0 },
  ]);
  const table = run(["--hyp", hyp, "--ref", ref1, "--metrics", "exact", "--src", src, "--by-length"]);
  assert.match(table.stdout, /source length\s+count\s+Exact\n0-9\s+2\s+50\.00\n10-19\s+1\s+0\.00/);
});

test("errors: missing file, line-count mismatch, unknown metric, missing --ref or --src, empty reference", () => {
  const missing = run(["--hyp", pathOf("nope.txt"), "--ref", ref1]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read hypothesis file ".*nope\.txt": no such file/);

  const short = file("short.txt", ["only one line"]);
  const mismatch = run(["--hyp", hyp, "--ref", short]);
  assert.equal(mismatch.status, 1);
  assert.ok(
    mismatch.stderr.includes(`hypothesis file "${hyp}" has 3 lines but reference file "${short}" has 1`),
  );

  const unknown = run(["--hyp", hyp, "--ref", ref1, "--metrics", "bleu,meteor"]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown metric "meteor" \(valid: bleu, chrf, ter, wer, cer, per, exact/);

  const noRef = run(["--hyp", hyp]);
  assert.equal(noRef.status, 1);
  assert.match(noRef.stderr, /required option '--ref <file>' not specified/);

  const noSrc = run(["--hyp", hyp, "--ref", ref1, "--by-length"]);
  assert.equal(noSrc.status, 1);
  assert.match(noSrc.stderr, /--by-length needs --src/);

  const emptyRef = file("empty-ref.txt", ["a", "", "c"]);
  const empty = run(["--hyp", hyp, "--ref", emptyRef]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /line 2 is empty in every reference file/);
  assert.equal(empty.stdout, "");
});
