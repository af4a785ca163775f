// The metrics front door: metric-name parsing and evaluate() dispatching with shared options.
import assert from "node:assert/strict";
import { test } from "node:test";
import { corpusBleu, evaluate, evaluateByLength, parseMetricNames } from "../../src/metrics/index.ts";

test("parseMetricNames accepts a comma list and rejects unknown names with a suggestion", () => {
  assert.deepEqual(parseMetricNames("bleu, CHRF,ter,bleu"), ["bleu", "chrf", "ter"]);
  assert.throws(() => parseMetricNames("bleu,cherf"), /unknown metric "cherf" .*did you mean "chrf"\?/);
  assert.throws(() => parseMetricNames(" , "), /no metric names given/);
});

test("evaluate computes each metric with the shared options", () => {
  const hyps = ["The cat sat on the mat.", "A dog barked."];
  const refs = [["the cat sat on the mat.", "A dog barked loudly."]];
  const result = evaluate(hyps, refs, ["bleu", "chrf", "ter", "wer", "exact"], {
    lowercase: true,
    tokenize: "intl",
    chrf: { wordOrder: 2 },
  });
  assert.deepEqual(Object.keys(result), ["bleu", "chrf", "ter", "wer", "exact"]);
  assert.equal(result.bleu!.score, corpusBleu(hyps, refs, { lowercase: true, tokenize: "intl" }).score);
  assert.equal(result.bleu!.signature, "nrefs:1|case:lc|eff:no|tok:intl|smooth:exp|version:2.x-local");
  assert.equal(result.chrf!.name, "chrF2++");
  assert.equal(result.exact!.score, 50);
  assert.equal(result.wer!.signature, "nrefs:1|case:lc|unit:word|version:2.x-local");
});

test("evaluateByLength scores every bucket", () => {
  const breakdown = evaluateByLength(["a b", "a b c d e f g h i j k"], ["x", "y"], [["x", "z"]], ["exact"]);
  assert.deepEqual(
    breakdown.map((b) => [b.label, b.result.exact!.score]),
    [
      ["0-9", 100],
      ["10-19", 0],
    ],
  );
});
