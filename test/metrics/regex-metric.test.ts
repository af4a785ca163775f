// The "regex" metric behind evaluate() and `seq2seq eval --metrics regex`: semantic accuracy with exact
// match inside it, several references, unparsable predictions, and budgets that bound a pathological pair.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareRegex,
  corpusSemanticAccuracy,
  evaluate,
  METRIC_NAMES,
  parseMetricNames,
  type SemanticAccuracyScore,
} from "../../src/metrics/index.ts";

/** `.*a.{n}` needs 2^(n+1) derivative states; written two ways, every pair of them must be visited. */
const EXPONENTIAL = [". * \\ a . { 1 5 }", "( [ ^ \\ a ] * \\ a ? ) * \\ a . { 1 5 }"] as const;

function regexScore(hyps: string[], refs: string[][], options = {}): SemanticAccuracyScore {
  const score = evaluate(hyps, refs, ["regex"], { regex: options }).regex;
  assert.ok(score !== undefined && "verdicts" in score, "evaluate returns a semantic accuracy score");
  return score;
}

test('"regex" is a metric name: parseMetricNames accepts it, METRIC_NAMES lists it', () => {
  assert.ok(METRIC_NAMES.includes("regex"));
  assert.deepEqual(parseMetricNames("exact,REGEX"), ["exact", "regex"]);
  assert.throws(() => parseMetricNames("regx"), /did you mean "regex"\?/);
});

test("equivalent but different predictions count; exact match is reported beside", () => {
  const refs = [
    "( [ <VOW> ] ) | ( [ <NUM> ] )",
    ". * ( <M0> ) . *",
    "( [ <LOW> ] ) { 2 , }",
    "~ ( . * [ <CAP> ] . * )",
  ];
  const hyps = [
    "( [ <NUM> ] ) | ( [ <VOW> ] )", // union reordered
    ". * ( <M0> ) . *", // exact
    "[ <LOW> ] ( [ <LOW> ] ) +", // {2,} written as x x+
    "( [ ^ <CAP> ] ) *", // no capital anywhere, written as a class
  ];
  const score = regexScore(hyps, [refs]);
  assert.deepEqual(score.verdicts, ["equivalent", "exact", "equivalent", "equivalent"]);
  assert.equal(score.name, "SemAcc");
  assert.equal(score.score, 100);
  assert.equal(score.exactMatch, 1 / 4);
  assert.equal(evaluate(hyps, [refs], ["exact"]).exact!.score, 25, "exact match alone is the lower bound");
  assert.equal(score.signature, "placeholders:deep-regex|equiv:derivatives|version:2.x-local");
});

test("unparsable and different predictions count wrong", () => {
  const refs = ["( [ <VOW> ] ) { 3 , }", "( [ <VOW> ] ) { 3 , }", "( [ <VOW> ] ) { 3 , }", "<M0> . *"];
  const hyps = ["( [ <VOW> ] ) { 3 ,", "( [ <VOW> ] ) { 2 , }", "", "<M7> . *"];
  const score = regexScore(hyps, [refs]);
  assert.deepEqual(score.verdicts, ["unparsable", "different", "unparsable", "unparsable"]);
  assert.equal(score.correct, 0);
  assert.equal(score.score, 0);
  assert.equal(score.unparsable, 3);
});

test("with several references a prediction is right when it matches any of them", () => {
  const hyps = ["[ <NUM> ] | [ <LET> ]", "[ <NUM> ]", "[ <CAP> ]"];
  const first = ["[ <VOW> ]", "[ <NUM> ]", "[ <LOW> ]"];
  const second = ["( [ <LET> ] ) | ( [ <NUM> ] )", "", "[ <NUM> ]"];
  const score = regexScore(hyps, [first, second]);
  assert.deepEqual(score.verdicts, ["equivalent", "exact", "different"]);
  assert.equal(score.correct, 2);
  assert.throws(() => corpusSemanticAccuracy(["a"], [["( a"]]), /reference 1: cannot parse regex/);
});

test("a blow-up is bounded: past the state budget the pair is undecided and wrong", () => {
  const score = regexScore([EXPONENTIAL[1]], [[EXPONENTIAL[0]]], { maxStates: 300 });
  assert.deepEqual(score.verdicts, ["unknown"]);
  assert.equal(score.unknown, 1);
  assert.equal(score.correct, 0);
});

test("a blow-up is bounded in time: a timeout answers 'unknown' while exploring or compiling", () => {
  const unbounded = { maxStates: 10_000_000, maxTerms: 10_000_000, timeoutMs: 1 };
  const exploring = compareRegex(EXPONENTIAL[0], EXPONENTIAL[1], unbounded);
  assert.equal(exploring.verdict, "unknown");
  assert.match(exploring.reason!, /no answer within 1 ms/);
  // Compiling nested counted repeats alone makes a million terms.
  const nested = "( ( [ <VOW> ] ) { 1000 } ) { 1000 }";
  const compiling = compareRegex(nested, "[ <VOW> ]", { ...unbounded, timeoutMs: 5 });
  assert.equal(compiling.verdict, "unknown");
  assert.match(compiling.reason!, /no answer within 5 ms/);
  const score = regexScore([nested], [["[ <VOW> ]"]], { timeoutMs: 5, maxTerms: 10_000_000 });
  assert.deepEqual(score.verdicts, ["unknown"]);
  assert.equal(score.score, 0);
  // The data's pairs are far inside the default budgets.
  assert.equal(
    compareRegex("( [ <VOW> ] ) { 7 , }", "( [ <VOW> ] ) { 6 , } [ <VOW> ] +").verdict,
    "equivalent",
  );
});
