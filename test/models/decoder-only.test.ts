// The decoder-only prefix LM: decoder steps with the prefix cache equal the teacher-forced forward, source
// padding never changes an output, outputs stop where the shared positions end, a model folder round-trips
// exactly, and it learns to reverse sequences.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { beamSearch } from "../../src/decode/beam.ts";
import { greedyDecode } from "../../src/decode/greedy.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { loadTranslator } from "../../src/decode/translate.ts";
import { DECODER_ONLY_DEFAULTS, type DecoderOnlyConfig, PrefixLm } from "../../src/models/decoder-only.ts";
import { buildPrefixLmFullGraph } from "../../src/models/decoder-only-graphs.ts";
import { saveModelFolder } from "../../src/models/folder.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
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

describe("outputs stop where the source leaves no positions (maxPositions covers source + output)", () => {
  const EOS = 2;
  /** A tiny prefix LM of 12 positions that never ends on its own: EOS's (tied) embedding row is zero, so its logit is 0 while the best other logit is positive. */
  const neverEnding = (vocab = 20) => {
    const tiny = tinyModel({
      positions: "learned",
      maxPositions: 12,
      srcVocabSize: vocab,
      tgtVocabSize: vocab,
    });
    const d = tiny.model.config.dModel;
    tiny.weights.get("model.decoder.embed_tokens.weight")!.fill(0, EOS * d, (EOS + 1) * d);
    return tiny;
  };
  // Sources of 4 and 9 tokens leave 12 − 4 − 1 = 7 and 12 − 9 − 1 = 2 output tokens before EOS.
  const sources = [
    [5, 6, 7, EOS],
    [5, 6, 7, 8, 9, 10, 11, 12, EOS],
  ];

  test("greedy (validation's decoding) and beam search, per sentence", async () => {
    const { model, weights } = neverEnding();
    const runner = await Seq2SeqRunner.create(model, weights);
    try {
      const greedy = await greedyDecode(runner, sources, { bos: 1, eos: EOS, maxLength: 50 });
      assert.deepEqual(
        greedy.map((ids) => ids.length),
        [7, 2],
      );
      const state = await runner.encode(sources);
      const beams = await beamSearch(runner, state, {
        beam: 3,
        bos: 1,
        eos: EOS,
        maxLength: 50,
        srcLengths: sources.map((s) => s.length),
        sharedPositions: model.sharedPositions,
      });
      assert.deepEqual(
        beams.map(([best]) => best!.tokens.length),
        [8, 3],
        "7 and 2 tokens + the forced EOS",
      );
    } finally {
      await runner.release();
    }
  });

  test("translate on a model folder", async () => {
    const tokenizer = trainCharTokenizer(["abcdefgh"]);
    const { model, weights } = neverEnding(tokenizer.vocabSize);
    const root = mkdtempSync(join(tmpdir(), "s2s-prefix-lm-"));
    const config = { ...model.config, architecture: "decoder-only" } as ModelConfig;
    await saveModelFolder(root, {
      config,
      model,
      weights,
      tokenizers: { source: tokenizer, target: tokenizer, joint: true },
    });
    const translator = await loadTranslator(root);
    try {
      for (const beam of [1, 3]) {
        const out = await translator.translate(["abc", "abcdefgh"], { beam, maxLength: 50 });
        assert.deepEqual(
          out.map((t) => t.hypotheses[0]!.ids.length),
          [8, 3],
          `beam ${beam}: 7 and 2 tokens + EOS`,
        );
      }
    } finally {
      await translator.release();
      rmSync(root, { recursive: true, force: true });
    }
  });
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
