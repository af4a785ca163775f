// Semantic accuracy: equivalent predictions count, exact matches are a subset, unparsable ones are wrong.
import assert from "node:assert/strict";
import { test } from "node:test";
import { semanticAccuracy } from "../../src/metrics/regex/semantic-accuracy.ts";

test("exact, equivalent, different and unparsable predictions", () => {
  const references = [
    "( [ <VOW> ] ) | ( [ <NUM> ] )",
    "( [ <VOW> ] ) | ( [ <NUM> ] )",
    ". * ( <M0> ) . *",
    "( [ <CAP> ] ) { 2 , }",
    "( ( <M0> ) & ( . ) ) . * ( [ <LOW> ] ) . *",
  ];
  const predictions = [
    "( [ <VOW> ] )   | ( [ <NUM> ] )", // exact after collapsing spaces
    "( [ <NUM> ] ) | ( [ <VOW> ] )", // equivalent
    ". * ( <M1> ) . *", // different
    "( [ <CAP> ] ) { 2 ,", // unparsable
    "[ <LOW> ] & [ <CAP> ]", // both empty languages: equivalent
  ];
  const score = semanticAccuracy(predictions, references);
  assert.deepEqual(score.verdicts, ["exact", "equivalent", "different", "unparsable", "equivalent"]);
  assert.equal(score.correct, 3);
  assert.equal(score.exactCorrect, 1);
  assert.equal(score.accuracy, 3 / 5);
  assert.equal(score.exactMatch, 1 / 5);
  assert.ok(Math.abs(score.score - 60) < 1e-9);
  assert.equal(score.unparsable, 1);
  assert.equal(score.unknown, 0);
  assert.equal(score.total, 5);
  assert.equal(score.signature, "placeholders:deep-regex|equiv:derivatives|version:2.x-local");
});

test("a prediction with an unknown placeholder is unparsable; an over-budget pair is unknown and wrong", () => {
  const unknownPlaceholder = semanticAccuracy(["<M9>"], ["<M0>"]);
  assert.deepEqual(unknownPlaceholder.verdicts, ["unparsable"]);
  const overBudget = semanticAccuracy(["( [ ^ \\ a ] * \\ a ? ) * \\ a . { 1 2 }"], [". * \\ a . { 1 2 }"], {
    maxStates: 100,
  });
  assert.deepEqual(overBudget.verdicts, ["unknown"]);
  assert.equal(overBudget.accuracy, 0);
});

test("bad input: length mismatch, a reference that does not parse (named by line), no pairs", () => {
  assert.throws(() => semanticAccuracy(["a"], []), /1 predictions but 0 references/);
  assert.throws(
    () => semanticAccuracy(["\\ a", "\\ a"], ["\\ a", "( \\ a"]),
    /reference 2: cannot parse regex/,
  );
  assert.throws(() => semanticAccuracy(["\\ a"], ["<M8>"]), /reference 1: no string for placeholder <M8>/);
  const empty = semanticAccuracy([], []);
  assert.equal(empty.accuracy, 0);
  assert.equal(empty.total, 0);
});
