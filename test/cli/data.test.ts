// `seq2seq data speech` run as a user runs it: the real bin script, checking files, exit codes and error messages.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-data-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const espeakMissing = spawnSync("espeak-ng", ["--version"]).error
  ? "espeak-ng is not installed (Debian package espeak-ng)"
  : false;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [path.join(repoRoot, "bin/seq2seq.js"), "data", "speech", ...args],
    {
      cwd: repoRoot,
      encoding: "utf8",
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("data speech writes WAV files and train/valid/test manifests", { skip: espeakMissing }, () => {
  const out = path.join(dir, "corpus");
  const { status, stdout, stderr } = run(["--out", out, "--count", "4", "--seed", "3", "--noise", "0.5"]);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /train 2, valid 1, test 1 utterances \(4 synthesized, 0 already there\)/);
  assert.match(stdout, /held-out voice variants: test f2 Annie/);
  const train = readFileSync(path.join(out, "train.tsv"), "utf8").trim().split("\n");
  assert.equal(train.length, 3);
  for (const line of train.slice(1)) assert.ok(existsSync(path.join(out, line.split("\t")[0]!)), line);
  const again = run(["--out", out, "--count", "4", "--seed", "3", "--noise", "0.5"]);
  assert.match(again.stdout, /\(0 synthesized, 4 already there\)/);
});

test("data speech --list-voices names the accents and the variants of each split", {
  skip: espeakMissing,
}, () => {
  const { status, stdout } = run(["--list-voices"]);
  assert.equal(status, 0);
  assert.match(stdout, /accents \(all splits\): en-us en-gb/);
  assert.match(stdout, /variants, test: f2 Annie linda/);
});

test("data speech: bad flags are one clear line and exit status 1", () => {
  const cases: [string[], RegExp][] = [
    [["--count", "3"], /--out <dir> is required/],
    [["--out", dir], /--count <n> is required/],
    [["--out", dir, "--count", "0"], /--count must be an integer ≥ 1, got "0"/],
    [["--out", dir, "--count", "3", "--noise", "2"], /--noise must be a number from 0 to 1, got "2"/],
    [["--out", dir, "--count", "3", "--snr", "20:5"], /--snr must be LOW:HIGH in dB/],
    [["--out", dir, "--count", "3", "--texts", path.join(dir, "missing.txt")], /missing\.txt": no such file/],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = run(args);
    assert.equal(status, 1, args.join(" "));
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  }
});
