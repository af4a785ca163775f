// `seq2seq graphones` and `translate --joint-sequence` run as a user runs them: the real bin script, the file it
// writes, and one clear line for bad input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { saveTinyModelFolder } from "../decode/toy-models.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-graphones-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, "bin/seq2seq.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TSV = [
  "shot\tSH AA T",
  "dash\tD AE SH",
  "box\tB AA K S",
  "tax\tT AE K S",
  "dot\tD AA T",
  "tab\tT AE B",
];

test("graphones trains on a TSV file and writes the model", () => {
  const [tsv, out] = [path.join(dir, "train.tsv"), path.join(dir, "model", "joint-sequence.json")];
  writeFileSync(tsv, `${TSV.join("\n")}\n`);
  const { status, stdout, stderr } = run(["graphones", "--tsv", tsv, "--out", out, "--order", "3"]);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /graphones over 6 pronunciations, 3-gram, in [\d.]+ s: wrote .*joint-sequence\.json/);
  const json = JSON.parse(readFileSync(out, "utf8")) as {
    format: string;
    order: number;
    segmentations: unknown[];
  };
  assert.equal(json.format, "seq2seq-ts joint-sequence model");
  assert.equal(json.order, 3);
  assert.equal(json.segmentations.length, 6);
});

test("graphones: a malformed line or a bad order is one clear line and exit status 1", () => {
  const tsv = path.join(dir, "bad.tsv");
  writeFileSync(tsv, `${TSV[0]}\nno-tab-here\n`);
  const bad = run(["graphones", "--tsv", tsv, "--out", path.join(dir, "x.json")]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.tsv:2: 1 tab-separated column\(s\), need 2/);
  const order = run(["graphones", "--tsv", tsv, "--out", path.join(dir, "x.json"), "--order", "0"]);
  assert.equal(order.status, 1);
  assert.match(order.stderr, /--order must be an integer >= 1, got "0"/);
});

test("translate --joint-sequence needs folders of both directions", async () => {
  const model = path.join(dir, "l2r");
  await saveTinyModelFolder(model, {}, 3);
  const file = path.join(dir, "model", "joint-sequence.json");
  const { status, stderr } = run(["translate", "--model", model, "--joint-sequence", file, "--input", file]);
  assert.equal(status, 1);
  assert.match(stderr, /reranks the candidates of left-to-right and right-to-left folders together/);
  const weight = run([
    "translate",
    "--model",
    model,
    "--joint-sequence",
    file,
    "--joint-sequence-weight",
    "-1",
  ]);
  assert.match(weight.stderr, /--joint-sequence-weight must be a number >= 0, got "-1"/);
});
