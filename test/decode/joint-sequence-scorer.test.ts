// A joint-sequence model scores a pair's candidates from token ids: the source's characters are the letters,
// the candidate's words the phonemes, special tokens dropped, as the model read them from a TSV file.

import assert from "node:assert/strict";
import { test } from "node:test";
import { jointSequenceScorer } from "../../src/decode/joint-sequence-scorer.ts";
import { JointSequenceModel } from "../../src/models/joint-sequence.ts";
import { trainCharTokenizer, trainWordTokenizer } from "../../src/tokenize/simple-tokenizers.ts";

const WORDS: [string, string][] = [
  ["shot", "SH AA T"],
  ["dash", "D AE SH"],
  ["box", "B AA K S"],
  ["tax", "T AE K S"],
  ["shad", "SH AE D"],
  ["dot", "D AA T"],
];

test("the scorer is the model's ln P of the decoded letters and phonemes, its weight kept apart", () => {
  const model = JointSequenceModel.train(
    WORDS.map(([w, p]) => ({ letters: [...w], phones: p.split(" ") })),
    { order: 2 },
  );
  const source = trainCharTokenizer(WORDS.map(([w]) => w));
  const target = trainWordTokenizer(
    WORDS.map(([, p]) => p),
    { splitPunctuation: false },
  );
  const scorer = jointSequenceScorer(model, 0.5, { source, target, joint: false });
  assert.equal(scorer.weight, 0.5);
  const sourceIds = [...source.encode("shot"), source.specials.eos];
  const candidate = [...target.encode("SH AA T"), target.specials.eos];
  assert.equal(scorer.logProb(sourceIds, candidate), model.logProb([..."shot"], ["SH", "AA", "T"]));
  assert.ok(scorer.logProb(sourceIds, candidate) > scorer.logProb(sourceIds, target.encode("SH AE T")));
  assert.throws(
    () => jointSequenceScorer(model, -1, { source, target, joint: false }),
    /weight must be >= 0/,
  );
});
