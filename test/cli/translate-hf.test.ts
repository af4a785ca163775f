// `seq2seq translate --model DIR` on a local Hugging Face folder, run as a user runs it: the fixture's input
// rows as text print the tokens of the ids transformers generated (flags = its generate kwargs); folders
// without tokenizer.json or with pickled weights are refused with one clear line.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { buildProgram } from "../../src/cli/main.ts";
import {
  buildHfFolder,
  EOS,
  fixturesMissing,
  generatedIds,
  kwargsToFlags,
  sourceTexts,
  textOf,
} from "../decode/hf-translate-fixtures.ts";
import { readExpected } from "../models/hf-fixtures.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const root = mkdtempSync(join(tmpdir(), "s2s-hf-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));

function run(model: string, args: string[], stdin: string) {
  const result = spawnSync(
    process.execPath,
    [join(repoRoot, "bin/seq2seq.js"), "translate", "--model", model, ...args],
    { cwd: repoRoot, encoding: "utf8", input: stdin },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface JsonLine {
  text: string;
  translations: Array<{ text: string; ids: number[]; score: number }>;
}

for (const family of ["bart", "marian", "t5_v1_1", "m2m100"] as const) {
  describe(`seq2seq translate on a Hugging Face ${family} folder`, { skip: fixturesMissing(family) }, () => {
    const dir = join(root, family);
    const input = () => `${sourceTexts(family).join("\n")}\n`;

    test("greedy: one line per input, the tokens transformers generated (special tokens left out)", () => {
      buildHfFolder(family, dir);
      const expected = readExpected(family).generation.greedy!;
      const { status, stdout, stderr } = run(dir, kwargsToFlags(family, expected.kwargs), input());
      assert.equal(status, 0, stderr);
      assert.equal(stderr, "");
      const want = expected.sequences.map((s) => textOf(family, generatedIds(s, EOS[family])));
      assert.deepEqual(stdout.split("\n"), [...want, ""]);
    });

    for (const mode of ["beam", "no_repeat_ngram"]) {
      test(`${mode} (--json): every returned sequence's ids, text and score`, () => {
        buildHfFolder(family, dir);
        const expected = readExpected(family).generation[mode]!;
        const flags = [...kwargsToFlags(family, expected.kwargs), "--json"];
        const { status, stdout, stderr } = run(dir, flags, input());
        assert.equal(status, 0, stderr);
        const lines = stdout
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as JsonLine);
        const got = lines.flatMap((line) => line.translations);
        assert.equal(got.length, expected.sequences.length);
        got.forEach((h, i) => {
          const ids = generatedIds(expected.sequences[i]!, EOS[family]);
          assert.deepEqual(h.ids, ids, `sequence ${i}`);
          assert.equal(h.text, textOf(family, ids));
          const score = expected.sequencesScores?.[i];
          if (score !== undefined) assert.ok(Math.abs(h.score - score) < 1e-4, `${h.score} vs ${score}`);
        });
      });
    }
  });
}

describe("Hugging Face folders refused or misused", { skip: fixturesMissing("t5_v1_1") }, () => {
  test("a SentencePiece-only folder: one line saying tokenizer.json is missing and how to write it", () => {
    const dir = buildHfFolder("t5_v1_1", join(root, "spm"), { tokenizer: false });
    writeFileSync(join(dir, "spiece.model"), "not read");
    const { status, stdout, stderr } = run(dir, [], "t5\n");
    assert.equal(status, 1);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      /^seq2seq: .*spm has no tokenizer\.json, only SentencePiece model file\(s\) spiece\.model, which seq2seq-ts does not read\. Write a tokenizer\.json/,
    );
    assert.match(stderr, /AutoTokenizer/);
  });

  test("pytorch_model.bin: refused with why and how to convert", () => {
    const dir = join(root, "pickle");
    buildHfFolder("t5_v1_1", dir);
    rmSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "pytorch_model.bin"), "not read");
    const { status, stderr } = run(dir, [], "t5\n");
    assert.equal(status, 1);
    assert.match(
      stderr,
      /^seq2seq: .*pytorch_model\.bin: pickled PyTorch weights are not read: loading a pickle can run arbitrary code/,
    );
    assert.match(stderr, /save_pretrained\(.*safe_serialization=True\)/);
  });

  test("flags a Hugging Face folder cannot honour are errors naming them (in-process)", async () => {
    const dir = buildHfFolder("t5_v1_1", join(root, "flags"));
    const cases: Array<[string[], RegExp]> = [
      [["--nbest", "2"], /--nbest 2 is more than the beam size 1; raise --beam/],
      [["--sample"], /sampling is not supported with a Hugging Face model's generation config/],
      [["--beam", "2", "--length-penalty-form", "gnmt"], /rank beams by logProb \/ length\^α \("power"\)/],
      [["--max-length-ratio", "1"], /relativeMaxLength .* set maxLength \(--max-length\) instead/],
    ];
    const input = join(root, "one-line.txt");
    writeFileSync(input, "t5 t6\n");
    for (const [args, message] of cases) {
      await assert.rejects(
        buildProgram().parseAsync(["translate", "--model", dir, "--input", input, ...args], { from: "user" }),
        message,
        args.join(" "),
      );
    }
  });
});
