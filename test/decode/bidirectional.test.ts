// Right-to-left models and reranking: teacher-forced scores are what the model's own search saw, a folder
// trained with data.reverseTarget translates in reading order, and a left-to-right model with a right-to-left
// one picks the candidate of either search with the best mean log-probability.

import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NO_TEXT_TASK } from "../../src/data/text-task.ts";
import { BidirectionalDecoder, type TextRunner } from "../../src/decode/bidirectional.ts";
import { forcedScores } from "../../src/decode/forced.ts";
import { greedySearch } from "../../src/decode/greedy.ts";
import type { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { loadTranslator } from "../../src/decode/translate.ts";
import type { SearchPlan } from "../../src/decode/translate-scheme.ts";
import { loadModelFolder, writeTextTaskFile } from "../../src/models/folder.ts";
import { JointSequenceModel } from "../../src/models/joint-sequence.ts";
import { ReversedTokenizer } from "../../src/tokenize/reversed-target.ts";
import {
  A,
  B,
  BOS,
  EOS,
  type FakeState,
  fakeModel,
  fakeState,
  GREEDY_TRAP,
  saveTinyModelFolder,
  type ToyDistribution,
  tinyRunner,
} from "./toy-models.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-bidirectional-"));
let runner: Seq2SeqRunner;

before(async () => {
  runner = await tinyRunner(5);
  await saveTinyModelFolder(join(root, "l2r"), {}, 7);
  await saveTinyModelFolder(join(root, "other"), {}, 8);
  cpSync(join(root, "l2r"), join(root, "same-weights-r2l"), { recursive: true });
  cpSync(join(root, "other"), join(root, "r2l"), { recursive: true });
  for (const dir of ["same-weights-r2l", "r2l"])
    await writeTextTaskFile(join(root, dir), { ...NO_TEXT_TASK, format: 1, tasks: [], reverseTarget: true });
});
after(async () => {
  await runner.release();
  rmSync(root, { recursive: true, force: true });
});

test("forced scores of greedy's own outputs are greedy's token log-probabilities and attention", async () => {
  const sources = [
    [3, 4, 5, EOS],
    [6, EOS],
  ];
  const srcLengths = sources.map((s) => s.length);
  const state = await runner.encode(sources);
  const maxLength = 6;
  const hyps = await greedySearch(runner, state, { bos: BOS, eos: EOS, maxLength, srcLengths });
  // Both outputs twice, in another order: rows follow sentenceOf, not their position.
  const sentenceOf = [1, 0, 0, 1];
  const outputs = sentenceOf.map((s) => hyps[s]!.tokens);
  const scores = await forcedScores(runner, state, sentenceOf, outputs, BOS, srcLengths);
  scores.forEach((score, i) => {
    const h = hyps[sentenceOf[i]!]!;
    assert.equal(score.tokenLogProbs.length, h.tokens.length);
    // An EOS the length limit forced cost the search nothing; the model's own log-probability is scored.
    const forcedEos = h.tokens.length > maxLength ? 1 : 0;
    for (let t = 0; t < h.tokens.length - forcedEos; t++)
      assert.ok(Math.abs(score.tokenLogProbs[t]! - h.tokenLogProbs[t]!) < 1e-5, `token ${t}`);
    if (forcedEos) assert.ok(score.tokenLogProbs.at(-1)! < 0 && h.tokenLogProbs.at(-1) === 0);
    else assert.ok(Math.abs(score.logProb - h.logProb) < 1e-4);
    assert.deepEqual(
      score.attention.map((row) => row.length),
      h.attention.map((row) => row.length),
    );
    assert.deepEqual(score.attention.at(-1), h.attention.at(-1));
  });
  assert.notEqual(hyps[0]!.tokens.join(), hyps[1]!.tokens.join(), "the sentences decode differently");
});

/**
 * A right-to-left toy over A and B (its sequences are last token first): A$ .42, AA$ .21, B$ .15, BA$ .15,
 * AB$ .07. In reading order: A .42, AA .21, B .15, AB .15 (its BA), BA .07 (its AB).
 */
const BACKWARD: ToyDistribution = (_sentence, prefix) => {
  const key = prefix.join(",");
  if (key === "") return { [A]: 0.7, [B]: 0.3 };
  if (key === `${A}`) return { [EOS]: 0.6, [A]: 0.3, [B]: 0.1 };
  if (key === `${B}`) return { [EOS]: 0.5, [A]: 0.5 };
  return { [EOS]: 1 };
};

/** A fake model that also encodes (one row per source) and releases, as a Translator's runners do. */
function fakeRunner(distribution: ToyDistribution): TextRunner {
  const model = fakeModel(distribution, 5);
  return {
    step: (state, tokens) => model.step(state as FakeState, tokens),
    reorder: (state, indices) => model.reorder(state as FakeState, indices),
    encode: async (sources) => fakeState(sources.length),
    release: async () => {},
  };
}

const GREEDY_PLAN: SearchPlan = {
  batchSize: 8,
  rank: (logProb) => logProb,
  search: async (model, state, srcLengths) =>
    (await greedySearch(model, state, { bos: BOS, eos: EOS, maxLength: 5, srcLengths })).map((h) => [h]),
};

test("the two directions rerank each other's candidates by their mean log-probability", async () => {
  const decoder = new BidirectionalDecoder(fakeRunner(GREEDY_TRAP), fakeRunner(BACKWARD), {
    bos: BOS,
    eos: EOS,
  });
  // Forward greedy writes AA (p .24; backward .21), backward greedy writes A (forward .21, backward .42).
  const [hyps] = await decoder.decode([[3, EOS]], GREEDY_PLAN, [0]);
  assert.deepEqual(
    hyps!.map((h) => h.tokens),
    [
      [A, EOS],
      [A, A, EOS],
    ],
  );
  const [a, aa] = hyps!;
  assert.ok(Math.abs(a!.score - (Math.log(0.21) + Math.log(0.42)) / 2) < 1e-6);
  assert.ok(Math.abs(aa!.score - (Math.log(0.24) + Math.log(0.21)) / 2) < 1e-6);
  // Token log-probabilities, logProb and attention are the forward model's.
  assert.ok(Math.abs(a!.tokenLogProbs[0]! - Math.log(0.6)) < 1e-6);
  assert.ok(Math.abs(a!.tokenLogProbs[1]! - Math.log(0.35)) < 1e-6);
  assert.ok(Math.abs(a!.logProb - Math.log(0.21)) < 1e-6);
  assert.equal(a!.attention.length, 2);
});

test("a third scorer joins the mean with its weight and can overturn the two models' choice", async () => {
  const seen: number[][] = [];
  const scorer = {
    weight: 2,
    logProb: (source: readonly number[], candidate: readonly number[]) => {
      seen.push([...source]);
      return candidate.length === 3 ? 0 : -1; // prefers AA$ over A$
    },
  };
  const decoder = new BidirectionalDecoder(
    fakeRunner(GREEDY_TRAP),
    fakeRunner(BACKWARD),
    { bos: BOS, eos: EOS },
    scorer,
  );
  const [hyps] = await decoder.decode([[3, EOS]], GREEDY_PLAN, [0]);
  // Without it A wins by (ln .21 + ln .42) / 2 against (ln .24 + ln .21) / 2; with it A loses 2 * 1 / 2.
  assert.deepEqual(
    hyps!.map((h) => h.tokens),
    [
      [A, A, EOS],
      [A, EOS],
    ],
  );
  const [aa, a] = hyps!;
  assert.ok(Math.abs(aa!.score - (Math.log(0.24) + Math.log(0.21)) / 2) < 1e-6);
  assert.ok(Math.abs(a!.score - (Math.log(0.21) + Math.log(0.42) - 2) / 2) < 1e-6);
  assert.deepEqual(seen, [
    [3, EOS],
    [3, EOS],
  ]);
});

test("a candidate both searches find is scored once", async () => {
  const decoder = new BidirectionalDecoder(fakeRunner(GREEDY_TRAP), fakeRunner(GREEDY_TRAP), {
    bos: BOS,
    eos: EOS,
  });
  // Read backwards, the forward greedy output AA is AA again: one candidate.
  const [hyps] = await decoder.decode([[3, EOS]], GREEDY_PLAN, [0]);
  assert.deepEqual(
    hyps!.map((h) => h.tokens),
    [[A, A, EOS]],
  );
  assert.ok(Math.abs(hyps![0]!.score - Math.log(0.24)) < 1e-6);
});

test("a right-to-left folder translates in reading order: its ids are last first, its text is not", async () => {
  const loaded = await loadModelFolder(join(root, "same-weights-r2l"));
  assert.ok(loaded.tokenizers.target instanceof ReversedTokenizer);
  const l2r = await loadTranslator(join(root, "l2r"));
  const r2l = await loadTranslator(join(root, "same-weights-r2l"));
  try {
    const texts = ["abc", "hag bed"];
    const options = { beam: 1, minLength: 3, maxLength: 6 }; // random weights: no EOS for 3 tokens
    const [forward, backward] = [await l2r.translate(texts, options), await r2l.translate(texts, options)];
    forward.forEach((f, i) => {
      const b = backward[i]!;
      // Same weights, so the same ids; the right-to-left folder reads them backwards.
      assert.deepEqual(b.hypotheses[0]!.ids, f.hypotheses[0]!.ids);
      assert.equal(b.text, [...f.text].reverse().join(""));
      assert.ok(f.text.length > 1, "outputs long enough to tell the directions apart");
    });
  } finally {
    await l2r.release();
    await r2l.release();
  }
});

test("loadTranslator with folders of both directions reranks: the best candidate of either search wins", async () => {
  const [l2rDir, r2lDir] = [join(root, "l2r"), join(root, "r2l")];
  const options = { beam: 3, nbest: 3, minLength: 2, maxLength: 8 };
  const texts = ["abc", "cab hag", "h"];
  const forward = await loadTranslator(l2rDir);
  const backward = await loadTranslator(r2lDir);
  const both = await loadTranslator([r2lDir, l2rDir]); // the order of the folders does not matter
  try {
    const [f, b, fb] = [
      await forward.translate(texts, options),
      await backward.translate(texts, options),
      await both.translate(texts, options),
    ];
    fb.forEach((t, i) => {
      const candidates = new Set([...f[i]!.hypotheses, ...b[i]!.hypotheses].map((h) => h.text));
      for (const h of t.hypotheses) assert.ok(candidates.has(h.text), `"${h.text}" comes from a search`);
      assert.equal(t.hypotheses.length, Math.min(3, candidates.size));
      const scores = t.hypotheses.map((h) => h.score);
      assert.deepEqual(
        scores,
        [...scores].sort((x, y) => y - x),
      );
      // Each hypothesis carries the forward model's log-probability of its text.
      const own = f[i]!.hypotheses.find((h) => h.text === t.hypotheses[0]!.text);
      if (own) assert.ok(Math.abs(own.logProb - t.hypotheses[0]!.logProb) < 1e-4);
      assert.deepEqual(t.sourceTokens, [...t.source, "</s>"]);
    });
    assert.ok(
      fb.some((t, i) => t.text !== f[i]!.text || t.text !== b[i]!.text),
      "the directions disagree somewhere, so reranking had a choice",
    );
  } finally {
    for (const t of [forward, backward, both]) await t.release();
  }
});

test("a joint-sequence model needs folders of both directions to rerank", async () => {
  const jointSequence = JointSequenceModel.train([{ letters: ["a"], phones: ["AH"] }], { order: 2 });
  await assert.rejects(
    loadTranslator(join(root, "l2r"), {}, { jointSequence, weight: 0.5 }),
    /reranks the candidates of left-to-right and right-to-left folders together/,
  );
});
