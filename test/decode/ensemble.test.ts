// Ensemble decoding: the next-token distribution is the mean of the members' probabilities, the searches run on
// it unchanged (states follow beams and finished rows in every member), and loadTranslator builds one from
// several folders only when they share tokenizers, text task and positions.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NO_TEXT_TASK } from "../../src/data/text-task.ts";
import { beamSearch } from "../../src/decode/beam.ts";
import { EnsembleRunner, meanOfProbabilities } from "../../src/decode/ensemble.ts";
import { argmax, greedySearch } from "../../src/decode/greedy.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { loadTranslator } from "../../src/decode/translate.ts";
import { saveModelFolder, writeTextTaskFile } from "../../src/models/folder.ts";
import type { ModelConfig } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { maxAbsDiff, tinyTransformer } from "../helpers/model-checks.ts";
import { BOS, EOS, saveTinyModelFolder, tinyRunner } from "./toy-models.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-ensemble-"));
const runners: Seq2SeqRunner[] = [];
let first: Seq2SeqRunner;
let second: Seq2SeqRunner;

before(async () => {
  first = await tinyRunner(5);
  second = await tinyRunner(6);
  runners.push(first, second);
  await saveTinyModelFolder(join(root, "a"), {}, 7);
  await saveTinyModelFolder(join(root, "b"), {}, 8);
});
after(async () => {
  for (const r of runners) await r.release();
  rmSync(root, { recursive: true, force: true });
});

const SOURCES = [
  [3, 4, 5, EOS],
  [6, 7, EOS],
];

test("meanOfProbabilities is the log of the members' mean probability, -Infinity only where all are", () => {
  const a = Float32Array.of(Math.log(0.5), Math.log(0.5), Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY);
  const b = Float32Array.of(Math.log(0.9), Math.log(0.1), Math.log(1), Number.NEGATIVE_INFINITY);
  const mean = meanOfProbabilities([a, b]);
  assert.ok(maxAbsDiff(mean.subarray(0, 3), [Math.log(0.7), Math.log(0.3), Math.log(0.5)]) < 1e-6);
  assert.equal(mean[3], Number.NEGATIVE_INFINITY);
  const tiny = Float32Array.of(-1000, -1001); // far below exp's range: computed relative to the largest
  assert.ok(Math.abs(meanOfProbabilities([tiny])[0]! + 1000) < 1e-3);
  assert.ok(Number.isFinite(meanOfProbabilities([tiny, tiny])[1]!));
});

test("each step's distribution is the mean of the members' (one distribution per row, rows summing to 1)", async () => {
  const ensemble = new EnsembleRunner([first, second]);
  const state = await ensemble.encode(SOURCES);
  const out = await ensemble.step(state, [BOS, BOS]);
  const a = await first.step(await first.encode(SOURCES), [BOS, BOS]);
  const b = await second.step(await second.encode(SOURCES), [BOS, BOS]);
  assert.ok(maxAbsDiff(out.logProbs, meanOfProbabilities([a.logProbs, b.logProbs])) < 1e-6);
  const vocab = first.model.tgtVocabSize;
  for (let row = 0; row < 2; row++) {
    const p = out.logProbs.subarray(row * vocab, (row + 1) * vocab).reduce((s, x) => s + Math.exp(x), 0);
    assert.ok(Math.abs(p - 1) < 1e-5, `row ${row} sums to ${p}`);
  }
  assert.ok(
    maxAbsDiff(
      out.attention,
      a.attention.map((x, i) => (x + b.attention[i]!) / 2),
    ) < 1e-6,
  );
  assert.ok(maxAbsDiff(out.logProbs, a.logProbs) > 1e-3, "the members differ, so the mean is not the first");
});

test("greedy search on an ensemble follows the argmax of the mean distribution at every step", async () => {
  const options = { bos: BOS, eos: EOS, maxLength: 6, srcLengths: [SOURCES[0]!.length] };
  const ensemble = new EnsembleRunner([first, second]);
  const [hyp] = await greedySearch(ensemble, await ensemble.encode([SOURCES[0]!]), options);
  // The same search written out by hand, stepping each member's own state (EOS is forced after 6 tokens).
  let [sa, sb] = [await first.encode([SOURCES[0]!]), await second.encode([SOURCES[0]!])];
  const expected: number[] = [];
  while (expected.at(-1) !== EOS) {
    const fed = expected.at(-1) ?? BOS;
    const [a, b] = [await first.step(sa, [fed]), await second.step(sb, [fed])];
    const token = expected.length === 6 ? EOS : argmax(meanOfProbabilities([a.logProbs, b.logProbs]));
    expected.push(token);
    [sa, sb] = [a.state, b.state];
  }
  assert.deepEqual(hyp!.tokens, expected);
});

test("an ensemble of a model with itself decodes exactly as the model (beams and finished rows followed)", async () => {
  const options = {
    bos: BOS,
    eos: EOS,
    maxLength: 7,
    srcLengths: SOURCES.map((s) => s.length),
    beam: 3,
    nbest: 3,
  };
  const single = await beamSearch(first, await first.encode(SOURCES), options);
  const twice = new EnsembleRunner([first, first]);
  const doubled = await beamSearch(twice, await twice.encode(SOURCES), options);
  assert.deepEqual(
    doubled.map((hyps) => hyps.map((h) => h.tokens)),
    single.map((hyps) => hyps.map((h) => h.tokens)),
  );
  doubled.flat().forEach((h, i) => {
    assert.ok(Math.abs(h.logProb - single.flat()[i]!.logProb) < 1e-4);
  });
});

test("members with different target vocabularies are refused", async () => {
  const { model, weights } = tinyTransformer({ shareEmbeddings: false, tgtVocabSize: 24 }, 5);
  const other = await Seq2SeqRunner.create(model, weights);
  runners.push(other);
  assert.throws(
    () => new EnsembleRunner([first, other]),
    /member 2 has a target vocabulary of 24, member 1 of 20/,
  );
  assert.throws(() => new EnsembleRunner([]), /at least one model/);
});

test("loadTranslator with several folders decodes their ensemble; one folder twice is that folder", async () => {
  const [a, b] = [join(root, "a"), join(root, "b")];
  const texts = ["abc", "cab hag", "h"];
  const options = { beam: 3, nbest: 2, maxLength: 8 };
  const single = await loadTranslator(a);
  const same = await loadTranslator([a, a]);
  const both = await loadTranslator([a, b]);
  const other = await loadTranslator(b);
  try {
    const [s, twice, ens, o] = await Promise.all(
      [single, same, both, other].map((t) => t.translate(texts, options)),
    );
    assert.deepEqual(
      twice!.map((t) => t.hypotheses.map((h) => h.text)),
      s!.map((t) => t.hypotheses.map((h) => h.text)),
    );
    const scores = (ts: typeof s) => ts!.flatMap((t) => t.hypotheses.map((h) => h.logProb));
    assert.notDeepEqual(scores(ens), scores(s), "the ensemble is not its first member");
    assert.notDeepEqual(scores(ens), scores(o), "nor its second");
    for (const t of ens!) assert.deepEqual(t.sourceTokens, [...t.source, "</s>"]);
  } finally {
    for (const t of [single, same, both, other]) await t.release();
  }
});

test("folders that cannot form an ensemble are refused, naming the member and why", async () => {
  const a = join(root, "a");
  const wider = join(root, "wider-target");
  const source = trainCharTokenizer(["abcdefgh "]);
  const target = trainCharTokenizer(["abcdefghij "]);
  const { model, weights } = tinyTransformer(
    { shareEmbeddings: false, srcVocabSize: source.vocabSize, tgtVocabSize: target.vocabSize },
    9,
  );
  await saveModelFolder(wider, {
    config: { architecture: "transformer", ...model.config } as ModelConfig,
    model,
    weights,
    tokenizers: { source, target, joint: false },
  });
  await assert.rejects(
    loadTranslator([a, wider]),
    /ensemble member 2 \(.*wider-target\) cannot join the ensemble: its target tokenizer differs/,
  );
  const prefixed = join(root, "prefixed");
  await saveTinyModelFolder(prefixed, {}, 10);
  await writeTextTaskFile(prefixed, { ...NO_TEXT_TASK, prefix: "g2p: ", format: 1, tasks: [] });
  await assert.rejects(loadTranslator([a, prefixed]), /member 2 .* its text task .* differs/);
  const shorter = join(root, "shorter");
  await saveTinyModelFolder(shorter, { maxPositions: 16 }, 11);
  await assert.rejects(loadTranslator([a, shorter]), /member 2 .* it has 16 maxPositions/);
  await assert.rejects(loadTranslator([]), /no model folder/);
});
