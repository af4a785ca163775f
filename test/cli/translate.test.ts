// `seq2seq translate` run as a user runs it: the real bin script on a model folder built in a temporary
// folder (tiny random Transformer, character tokenizers), checking outputs, files, exit codes and errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { buildProgram } from "../../src/cli/main.ts";
import { loadTranslator } from "../../src/decode/translate.ts";
import { saveTinyModelFolder } from "../decode/toy-models.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-translate-"));
const model = path.join(dir, "model");
before(() => saveTinyModelFolder(model));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], stdin = ""): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [path.join(repoRoot, "bin/seq2seq.js"), "translate", "--model", model, ...args],
    { cwd: repoRoot, encoding: "utf8", input: stdin },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const INPUT = "cab hag\n\nabc\nh\n";

test("stdin -> one output per line, in order; an empty line gives an empty line; --output is the same text", () => {
  const { status, stdout, stderr } = run(["--beam", "3", "--min-length", "2", "--max-length", "6"], INPUT);
  assert.equal(status, 0, stderr);
  const lines = stdout.split("\n");
  assert.equal(lines.length, 5, "4 lines + the final newline");
  assert.equal(lines[1], "");
  for (const i of [0, 2, 3]) {
    assert.ok(lines[i]!.length >= 2 && lines[i]!.length <= 6, `line ${i}: "${lines[i]}"`);
    assert.match(lines[i]!, /^[a-h ]+$/);
  }
  const input = path.join(dir, "input.txt");
  writeFileSync(input, INPUT);
  const output = path.join(dir, "output.txt");
  const toFile = run([
    "--beam",
    "3",
    "--min-length",
    "2",
    "--max-length",
    "6",
    "--input",
    input,
    "--output",
    output,
  ]);
  assert.equal(toFile.status, 0, toFile.stderr);
  assert.equal(toFile.stdout, "");
  assert.equal(readFileSync(output, "utf8"), stdout);
});

test("--nbest: `index<TAB>score<TAB>text` lines, best first; --json: one object per input line", () => {
  const nbest = run(["--beam", "3", "--nbest", "3", "--min-length", "1", "--max-length", "5"], "abc\nba\n");
  assert.equal(nbest.status, 0, nbest.stderr);
  const rows = nbest.stdout
    .trim()
    .split("\n")
    .map((line) => line.split("\t"));
  assert.deepEqual(
    rows.map((r) => r[0]),
    ["0", "0", "0", "1", "1", "1"],
  );
  for (const sentence of [rows.slice(0, 3), rows.slice(3)]) {
    const scores = sentence.map((r) => Number(r[1]));
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
      "best first",
    );
    assert.ok(scores.every((s) => s < 0));
  }
  const json = run(["--beam", "2", "--nbest", "2", "--json", "--max-length", "5"], "abc\n\n");
  assert.equal(json.status, 0, json.stderr);
  const objects = json.stdout
    .trim()
    .split("\n")
    .map(
      (line) =>
        JSON.parse(line) as {
          source: string;
          text: string;
          translations: Array<{ ids: number[]; score: number }>;
        },
    );
  assert.equal(objects.length, 2);
  assert.equal(objects[0]!.source, "abc");
  assert.equal(objects[0]!.translations.length, 2);
  assert.equal(objects[0]!.translations[0]!.ids.at(-1), 2, "ids end with EOS");
  assert.deepEqual(objects[1], { source: "", text: "", translations: [] });
});

test("sampling flags reach the library: the output equals translate() with the same options and seed", async () => {
  const a = run(
    [
      "--sample",
      "--top-k",
      "5",
      "--temperature",
      "1.5",
      "--min-length",
      "3",
      "--max-length",
      "8",
      "--seed",
      "11",
    ],
    INPUT,
  );
  assert.equal(a.status, 0, a.stderr);
  const translator = await loadTranslator(model);
  try {
    const options = { sample: true, topK: 5, temperature: 1.5, minLength: 3, maxLength: 8, seed: 11 };
    const expected = await translator.translate(INPUT.trim().split("\n"), options);
    assert.equal(a.stdout, expected.map((t) => `${t.text}\n`).join(""));
  } finally {
    await translator.release();
  }
});

test("--model repeated decodes the folders' ensemble, as loadTranslator does; a misfit member is named", async () => {
  const second = path.join(dir, "model-2");
  await saveTinyModelFolder(second, {}, 8);
  const both = run(["--model", second, "--beam", "3", "--max-length", "6"], INPUT);
  assert.equal(both.status, 0, both.stderr);
  const translator = await loadTranslator([model, second]);
  try {
    const expected = await translator.translate(INPUT.split("\n").slice(0, -1), { beam: 3, maxLength: 6 });
    assert.equal(both.stdout, expected.map((t) => `${t.text}\n`).join(""));
  } finally {
    await translator.release();
  }
  const shorter = path.join(dir, "model-short");
  await saveTinyModelFolder(shorter, { maxPositions: 16 }, 9);
  const misfit = run(["--model", shorter], INPUT);
  assert.equal(misfit.status, 1);
  assert.match(
    misfit.stderr,
    /ensemble member 2 \(.*model-short\) cannot join the ensemble: it has 16 maxPositions/,
  );
});

test("--attention-plot writes the first input's heat map (SVG, or PNG by extension)", () => {
  const svg = path.join(dir, "attention.svg");
  const png = path.join(dir, "attention.png");
  const one = run(
    ["--beam", "2", "--min-length", "3", "--max-length", "5", "--attention-plot", svg],
    "\nfade\nabc\n",
  );
  assert.equal(one.status, 0, one.stderr);
  const text = readFileSync(svg, "utf8");
  assert.match(text, /^<svg/);
  assert.ok(text.includes("attention: fade"), "the first non-empty input is plotted");
  assert.ok(text.includes("&lt;/s&gt;"), "the source's EOS is a column");
  const two = run(["--beam", "1", "--max-length", "4", "--attention-plot", png], "abc\n");
  assert.equal(two.status, 0, two.stderr);
  assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});

test("bad input as the user sees it: a missing model folder, a bad flag, a too-long line", () => {
  const missing = spawnSync(
    process.execPath,
    [path.join(repoRoot, "bin/seq2seq.js"), "translate", "--model", path.join(dir, "nope")],
    { cwd: repoRoot, encoding: "utf8", input: "abc\n" },
  );
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^seq2seq: model folder .*nope does not exist\n$/);
  const flag = run(["--top-p", "2"], "abc\n");
  assert.equal(flag.status, 1);
  assert.equal(flag.stderr, 'seq2seq: --top-p must be a number in (0, 1], got "2"\n');
  const long = run(["--beam", "1"], `ab\n${"a".repeat(40)}\n`);
  assert.equal(long.status, 1);
  assert.match(long.stderr, /line 2: has 41 source tokens/);
});

test("invalid flags are errors naming the flag (in-process, same program)", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--beam", "0"], /--beam must be an integer ≥ 1, got "0"/],
    [["--temperature", "-1"], /--temperature must be a number > 0/],
    [["--top-k", "1.5"], /--top-k must be an integer ≥ 1/],
    [["--beam", "2", "--nbest", "3"], /--nbest 3 is more than the beam size 2/],
    [["--sample", "--beam", "4"], /--sample .* cannot be combined with --beam 4/],
    [["--min-length", "9", "--max-length", "3"], /--min-length 9 is more than --max-length 3/],
    [["--no-repeat-ngram", "x"], /--no-repeat-ngram must be an integer ≥ 0, got "x"/],
    [["--length-penalty-form", "linear"], /--length-penalty-form must be gnmt or power/],
    [["--early-stopping", "sometimes"], /--early-stopping takes no value or "never", got "sometimes"/],
    [["--max-length-ratio", "-2"], /--max-length-ratio must be a number ≥ 0/],
    [
      ["--forced-first-token", "<fr>"],
      /--forced-first-token: "<fr>" is not in the model's target vocabulary/,
    ],
    [["--input", path.join(dir, "absent.txt")], /cannot read input file ".*absent\.txt": no such file/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(
      buildProgram().parseAsync(["translate", "--model", model, ...args], { from: "user" }),
      message,
      args.join(" "),
    );
  }
});

test("--early-stopping, --early-stopping never and --no-early-stopping all decode every line", () => {
  for (const flags of [["--early-stopping"], ["--early-stopping", "never"], ["--no-early-stopping"]]) {
    const { status, stdout, stderr } = run(["--beam", "3", ...flags], INPUT);
    assert.equal(status, 0, `${flags.join(" ")}: ${stderr}`);
    assert.equal(stdout.split("\n").length, INPUT.split("\n").length, flags.join(" "));
  }
});
