// `seq2seq eval --metrics regex` run as a user runs it: semantic accuracy of regular expressions next to
// exact match, in the table (with its breakdown line) and as JSON.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalCli } from "../helpers/eval-cli.ts";

const { file, run } = evalCli("eval-regex");

const ref = file("ref.txt", [
  "( [ <VOW> ] ) | ( [ <NUM> ] )",
  ". * ( <M0> ) . *",
  "( [ <LOW> ] ) { 2 , }",
  "~ ( . * [ <CAP> ] . * )",
]);
const hyp = file("hyp.txt", [
  "( [ <NUM> ] ) | ( [ <VOW> ] )", // equivalent
  ". * ( <M0> ) . *", // exact
  "( [ <LOW> ] ) { 3 , }", // different
  "~ ( . * [ <CAP> ]", // unparsable
]);

test("--metrics exact,regex --json: semantic accuracy counts the equivalent prediction", () => {
  const { status, stdout, stderr } = run(["--hyp", hyp, "--ref", ref, "--metrics", "exact,regex", "--json"]);
  assert.equal(status, 0, stderr);
  const out = JSON.parse(stdout) as Record<string, { score: number; verdicts?: string[] }>;
  assert.equal(out.exact!.score, 25);
  assert.equal(out.regex!.score, 50);
  assert.deepEqual(out.regex!.verdicts, ["equivalent", "exact", "different", "unparsable"]);
});

test("the table shows SemAcc and a line with the exact, unparsable and undecided counts", () => {
  const { status, stdout, stderr } = run(["--hyp", hyp, "--ref", ref, "--metrics", "regex"]);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^SemAcc\s+50\.00\s+placeholders:deep-regex\|equiv:derivatives\|version:2\.x-local$/m);
  assert.match(
    stdout,
    /SemAcc: 2\/4 equivalent to a reference, 1 exact \(25\.00%\), 1 unparsable, 0 undecided/,
  );
});

test("a reference that is not a regex is an error naming its line", () => {
  const bad = file("bad-ref.txt", ["[ <VOW> ]", "( [ <VOW> ]", "a", "b"]);
  const { status, stderr } = run(["--hyp", hyp, "--ref", bad, "--metrics", "regex"]);
  assert.notEqual(status, 0);
  assert.match(stderr, /reference 2: cannot parse regex/);
});
