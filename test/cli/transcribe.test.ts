// `seq2seq transcribe` run as a user runs it: the real bin script on a tiny speech model trained on words
// synthesized by espeak-ng; files as arguments or a list on stdin, --json, and the errors users can hit.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import type { SpeechExample } from "../../src/data/speech-corpus.ts";
import { saveTinyModelFolder } from "../decode/toy-models.ts";
import { espeakMissing, synthesizeWords, trainTinySpeechModel } from "../helpers/speech-words.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const skip = await espeakMissing();

function run(args: string[], stdin = ""): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, "bin/seq2seq.js"), "transcribe", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    input: stdin,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("seq2seq transcribe", { skip }, () => {
  let dir: string;
  let model: string;
  let examples: SpeechExample[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "seq2seq-transcribe-"));
    examples = await synthesizeWords(join(dir, "wav"));
    model = join(dir, "model");
    await trainTinySpeechModel(examples, model);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("files as arguments: one transcript per file, in order", () => {
    const picked = [examples[3]!, examples[0]!, examples[10]!];
    const { status, stdout, stderr } = run(["--model", model, ...picked.map((e) => e.audio)]);
    assert.equal(status, 0, stderr);
    assert.equal(stdout, `${picked.map((e) => e.text).join("\n")}\n`);
  });

  test("a list of paths on stdin (blank lines skipped); --json and --beam", () => {
    const picked = [examples[5]!, examples[7]!];
    const stdin = `${picked[0]!.audio}\n\n${picked[1]!.audio}\n`;
    const { status, stdout, stderr } = run(["--model", model, "--json", "--beam", "3"], stdin);
    assert.equal(status, 0, stderr);
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.file, l.text]),
      picked.map((e) => [e.audio, e.text]),
    );
    assert.ok(lines.every((l) => l.seconds > 0.2 && l.seconds < 2));
  });

  test("errors name the file: missing, malformed; a text model folder is refused", async () => {
    const missing = run(["--model", model, join(dir, "nope.wav")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.wav: no such file/);
    const bad = join(dir, "bad.wav");
    await writeFile(bad, "RIFF\u0004\u0000\u0000\u0000WAVE");
    const malformed = run(["--model", model, bad]);
    assert.equal(malformed.status, 1);
    assert.match(malformed.stderr, /bad\.wav: /);
    const text = join(dir, "text-model");
    await saveTinyModelFolder(text);
    const refused = run(["--model", text, examples[0]!.audio]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /holds a text model .*seq2seq translate/);
    const flags = run(["--model", model, "--beam", "0", examples[0]!.audio]);
    assert.match(flags.stderr, /--beam must be an integer ≥ 1, got "0"/);
  });

  test("a Hugging Face Whisper folder: the language is needed, then the tokenizer", () => {
    const fixture = resolve(repoRoot, "../shared/fixtures/hf/whisper");
    const noLanguage = run(["--model", fixture, examples[0]!.audio]);
    assert.equal(noLanguage.status, 1);
    assert.match(noLanguage.stderr, /"language" is not set/);
    const noTokenizer = run(["--model", fixture, "--language", "en", examples[0]!.audio]);
    assert.match(noTokenizer.stderr, /has no tokenizer\.json/);
  });
});
