// The decoder-only prefix LM: decoder steps with the prefix cache equal the teacher-forced forward, source
// padding never changes an output, a model folder round-trips exactly, and it learns to reverse sequences.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DECODER_ONLY_DEFAULTS, type DecoderOnlyConfig, PrefixLm } from "../../src/models/decoder-only.ts";
import { buildPrefixLmFullGraph } from "../../src/models/decoder-only-graphs.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import {
  assertCacheMatchesFull,
  assertFolderRoundTrip,
  assertLearns,
  assertSourcePaddingFree,
  evaluationLoss,
  LEARNER_SIZES,
  TINY_ATTENTION,
  withSeededWeights,
} from "../helpers/model-checks.ts";
import { toyTask } from "../helpers/toy-seq2seq.ts";

const tinyModel = (overrides: Partial<DecoderOnlyConfig> = {}) =>
  withSeededWeights(new PrefixLm({ ...DECODER_ONLY_DEFAULTS, ...TINY_ATTENTION, layers: 2, ...overrides }));

async function cacheMatchesFullForward(overrides: Partial<DecoderOnlyConfig>): Promise<void> {
  const { model, weights } = tinyModel(overrides);
  const sources = [
    [5, 6, 7, 8, 2],
    [3, 4, 2],
  ]; // the second row gets padded
  await assertCacheMatchesFull(model, weights, buildPrefixLmFullGraph(model, weights), sources);
}

describe("decoder step with the prefix cache == full teacher-forced forward (1e-4)", () => {
  test("bidirectional prefix, pre-LN, sinusoidal positions, shared tied vocabulary", () =>
    cacheMatchesFullForward({}));
  test("causal prefix, post-LN, learned positions, separate vocabularies, untied, RMSNorm, GELU", () =>
    cacheMatchesFullForward({
      prefixAttention: "causal",
      preNorm: false,
      positions: "learned",
      sharedVocabulary: false,
      tgtVocabSize: 23,
      tieOutput: false,
      norm: "rms",
      activation: "gelu",
    }));
  test("separate vocabularies with the output tied to the target rows", () =>
    cacheMatchesFullForward({ sharedVocabulary: false, srcVocabSize: 11, tgtVocabSize: 21 }));
});

describe("source padding never changes an output", () => {
  for (const prefixAttention of ["bidirectional", "causal"] as const) {
    test(`${prefixAttention} prefix: forward, decoder step and training loss`, async () => {
      const { model, weights } = tinyModel({ prefixAttention, positions: "learned" });
      await assertSourcePaddingFree(model, weights, buildPrefixLmFullGraph(model, weights), [5, 6, 7, 2]);
      // The same pair alone or next to a longer one (so padded) has the same loss.
      const { loss, release } = await evaluationLoss(model, weights);
      const pair = { src: [5, 6, 7, 2], tgt: [12, 13, 2] };
      const other = { src: [8, 9, 10, 11, 12, 13, 2], tgt: [14, 2] };
      const alone = await loss([pair]);
      const both = await loss([pair, other]);
      const otherAlone = await loss([other]);
      // Token-mean loss: (3·alone + 2·other) / 5 when padding changes nothing.
      assert.ok(
        Math.abs(both - (3 * alone + 2 * otherAlone) / 5) < 1e-5,
        `${both} vs ${alone}, ${otherAlone}`,
      );
      await release();
    });
  }
});

test("config -> model folder -> model round trip is exact", async () => {
  const config: ModelConfig = {
    architecture: "decoder-only",
    srcVocabSize: 12,
    tgtVocabSize: 12,
    dModel: 8,
    heads: 2,
    ffDim: 16,
    layers: 2,
    positions: "learned",
    prefixAttention: "causal",
  };
  const { model, weights, loaded } = await assertFolderRoundTrip(config, 1);
  assert.ok(model instanceof PrefixLm);
  assert.equal(loaded.config["prefixAttention"], "causal");
  assert.equal(loaded.config["sharedVocabulary"], true, "defaults are filled in");
  assert.ok(weights.has("model.decoder.layers.1.self_attn.q_proj.weight"), "OPT-style names");
});

test("a shared vocabulary with different sizes is a clear error", () => {
  assert.throws(
    () => buildModel({ architecture: "decoder-only", srcVocabSize: 10, tgtVocabSize: 12 }),
    /sharedVocabulary needs srcVocabSize == tgtVocabSize \(got 10 and 12\)/,
  );
});

test("learns to reverse 3-6 symbols (>= 99% exact match on held-out sequences, greedy)", async () => {
  const task = await toyTask("reverse", { count: 3000, testCount: 200, minLength: 3, maxLength: 6, seed: 1 });
  const vocab = { srcVocabSize: task.vocabSize, tgtVocabSize: task.vocabSize };
  const model = new PrefixLm({ ...DECODER_ONLY_DEFAULTS, ...LEARNER_SIZES, ...vocab, layers: 3 });
  await assertLearns(model, task.train, task.test, 600);
});
