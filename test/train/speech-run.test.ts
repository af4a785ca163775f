// Fine-tuning the Hugging Face Whisper fixture: its EOS is its pad id (<|endoftext|>), so the loss must mask
// padding by row lengths and still learn EOS; a few steps lower the loss on a fixed batch; the run's folders.
// Resuming trainSpeech from a signal's or a checkpoint's state gives the losses of an uninterrupted run.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Rng } from "../../src/data/rng.ts";
import type { FeaturedExample } from "../../src/data/speech-dataset.ts";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { type HfWhisperModel, loadHfWhisper, saveHfWhisperFolder } from "../../src/models/hf-whisper.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { buildWhisperFullGraph } from "../../src/models/whisper-graphs.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import {
  IGNORE_TARGET,
  maskedTargetFeeds,
  type SpeechCheckpoint,
  type SpeechTrainOptions,
  type SpeechTrainResult,
  speechLossVariants,
  trainSpeech,
} from "../../src/train/speech-train.ts";
import { buildLossGraph, type FlatLayout, flatLayout, STEP_IO } from "../../src/train/step-graph.ts";
import { buildWhisperFolder, fixturesMissing } from "./speech-fixtures.ts";

const skip = fixturesMissing("whisper");
const root = mkdtempSync(join(tmpdir(), "speech-run-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Prompt <|en|><|transcribe|><|notimestamps|> + text ids: the targets of a fine-tuning row (before EOS). */
const ROWS = [
  [82, 85, 89, 5, 6, 7],
  [82, 85, 89, 9],
];
const IDS = { decoderStart: 81, eos: 80 };

function randomFeatures(rows: number, seed: number): HostTensor {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: rows * 80 * 32 }, () => rng.next() * 2 - 1);
  return { dtype: "float32", dims: [rows, 80, 32], data };
}

function flat(layout: FlatLayout, weights: ReadonlyMap<string, Float32Array>): HostTensor {
  const data = new Float32Array(layout.total);
  for (const slot of layout.slots) data.set(weights.get(slot.name)!, slot.offset);
  return { dtype: "float32", dims: [layout.total], data };
}

/** The training loss graph of `hf` run on `feeds` with `weights`: the loss and the number of targets it covers. */
async function lossOf(
  hf: HfWhisperModel,
  weights: ReadonlyMap<string, Float32Array>,
  feeds: Record<string, HostTensor>,
): Promise<{ loss: number; tokens: number }> {
  const { variants } = speechLossVariants(hf.model, { labelSmoothing: 0, eos: IDS.eos });
  const layout = flatLayout(hf.model.parameters());
  const session = await OrtSession.create(buildLossGraph(layout, variants[0]!.build));
  try {
    const out = await session.run({ ...feeds, [STEP_IO.params]: flat(layout, weights) });
    return { loss: Number(out[STEP_IO.loss]!.data[0]), tokens: Number(out.tokens!.data[0]) };
  } finally {
    await session.release();
  }
}

describe("fine-tuning a Hugging Face Whisper folder (EOS = pad)", { skip }, () => {
  let hf: HfWhisperModel;
  before(async () => {
    hf = await loadHfWhisper(buildWhisperFolder(join(root, "whisper")), { language: "en" });
  });

  test("targets end with EOS and padding is marked by length, not by the pad id", () => {
    assert.equal(hf.tokens.pad, hf.generation.eosTokenId, "the fixture pads with its EOS id");
    const feeds = maskedTargetFeeds(ROWS, IDS, IGNORE_TARGET);
    const out = [...(feeds[IO.tgtOut]!.data as BigInt64Array)].map(Number);
    const tgtIn = [...(feeds[IO.tgtIn]!.data as BigInt64Array)].map(Number);
    assert.deepEqual(out, [82, 85, 89, 5, 6, 7, 80, 82, 85, 89, 9, 80, -100, -100]);
    assert.deepEqual(tgtIn.slice(0, 7), [81, 82, 85, 89, 5, 6, 7]);
  });

  test("the loss covers every EOS target and equals the mean −log p over the unpadded positions", async () => {
    const features = randomFeatures(2, 7);
    const feeds: Record<string, HostTensor> = {
      [IO.features]: features,
      ...maskedTargetFeeds(ROWS, IDS, IGNORE_TARGET),
    };
    const { loss, tokens } = await lossOf(hf, hf.weights, feeds);
    assert.equal(tokens, 7 + 5, "both EOS targets count; the 2 padded positions do not");
    const full = await OrtSession.create(buildWhisperFullGraph(hf.model, hf.weights));
    const logits = (await full.run({ [IO.features]: features, [IO.tgt]: feeds[IO.tgtIn]! }))[IO.logits]!;
    await full.release();
    const [, len, vocab] = logits.dims as [number, number, number];
    const targets = feeds[IO.tgtOut]!.data as BigInt64Array;
    let [sum, count] = [0, 0];
    for (let p = 0; p < 2 * len; p++) {
      const target = Number(targets[p]);
      if (target === IGNORE_TARGET) continue;
      const row = (logits.data as Float32Array).subarray(p * vocab, (p + 1) * vocab);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      sum += lse - row[target]!;
      count++;
    }
    assert.equal(count, 12);
    assert.ok(Math.abs(loss - sum / count) < 1e-4, `loss ${loss} vs reference ${sum / count}`);
  });

  test("a few fine-tuning steps lower the loss on a fixed batch; the saved folder keeps the conventions", async () => {
    const rng = new Rng(3);
    const examples: FeaturedExample[] = ROWS.map((_, i) => ({
      audio: `clip${i}.wav`,
      text: `row ${i}`,
      voice: "",
      features: {
        nMels: 80,
        nFrames: 32,
        data: Float32Array.from({ length: 80 * 32 }, () => rng.next() * 2 - 1),
      },
    }));
    const stacked = new Float32Array(2 * 80 * 32);
    for (const [i, e] of examples.entries()) stacked.set(e.features.data, i * 80 * 32);
    const feeds = {
      [IO.features]: { dtype: "float32", dims: [2, 80, 32], data: stacked } as HostTensor,
      ...maskedTargetFeeds(ROWS, IDS, IGNORE_TARGET),
    };
    const before = await lossOf(hf, hf.weights, feeds);
    const result = await trainSpeech({
      model: { architecture: "whisper", ...hf.config },
      start: { config: { architecture: "whisper", ...hf.config }, weights: hf.weights },
      examples,
      tokenizer: hf.tokenizer!,
      targets: ROWS,
      ids: IDS,
      steps: 6,
      lr: 3e-3,
      warmupSteps: 1,
      lrAt: () => 3e-3,
      batchFrames: 1000,
      weightDecay: 0,
      seed: 1,
    });
    assert.equal(result.steps, 6);
    const afterLoss = await lossOf(hf, result.weights, feeds);
    assert.ok(afterLoss.loss < 0.7 * before.loss, `loss ${before.loss} -> ${afterLoss.loss}`);
    const out = join(root, "tuned");
    await saveHfWhisperFolder(hf, result.weights, out);
    const reloaded = await loadHfWhisper(out);
    assert.deepEqual(
      [reloaded.generation.decoderStartTokenId, ...reloaded.generation.decoderPromptIds!],
      [81, 82, 85, 89],
      "the language given at load time is stored in generation_config.json",
    );
    const name = "model.decoder.embed_tokens.weight";
    assert.deepEqual(reloaded.weights.get(name), result.weights.get(name));
    assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).model_type, "whisper");
    assert.ok(reloaded.tokenizer, "tokenizer.json is copied");
  });
});

describe("resuming trainSpeech (dropout and SpecAugment on)", () => {
  const texts = ["ab", "ba", "abc", "cab", "bca", "ca"];
  const rng = new Rng(5);
  const examples: FeaturedExample[] = texts.map((text, i) => {
    const nFrames = 20 + 2 * i;
    const data = Float32Array.from({ length: 80 * nFrames }, () => rng.next() * 2 - 1);
    return { audio: `clip${i}.wav`, text, voice: "", features: { nMels: 80, nFrames, data } };
  });
  const base: SpeechTrainOptions = {
    model: {
      architecture: "whisper",
      dModel: 16,
      heads: 2,
      ffDim: 32,
      encoderLayers: 1,
      decoderLayers: 1,
      maxSourcePositions: 32,
      maxTargetPositions: 8,
      dropout: 0.1,
    },
    examples,
    tokenizer: trainCharTokenizer(texts),
    steps: 7,
    lr: 3e-3,
    warmupSteps: 2,
    batchFrames: 64,
    specAugment: { freqMasks: 1, freqWidth: 8, timeMasks: 1, timeWidth: 4 },
    seed: 3,
    checkpointEvery: 3,
  };

  /** Trains with `extra` options; returns the result, each step's loss and the checkpoints handed out. */
  async function trained(extra: Partial<SpeechTrainOptions>) {
    const losses = new Map<number, number>();
    const checkpoints: SpeechCheckpoint[] = [];
    const result: SpeechTrainResult = await trainSpeech({
      ...base,
      onStep: (r) => losses.set(r.step, r.loss),
      onCheckpoint: async (c) => {
        checkpoints.push(c);
        return true;
      },
      ...extra,
    });
    return { result, losses, checkpoints };
  }

  test("a run stopped by its signal, or taken from a checkpoint, continues with the same losses", async () => {
    const whole = await trained({});
    assert.deepEqual([...whole.losses.keys()], [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(whole.result.state.position.epoch >= 2, "the run crosses epochs");
    const controller = new AbortController();
    const part = await trained({
      signal: controller.signal,
      onStep: (r) => r.step === 5 && controller.abort(),
    });
    assert.equal(part.result.stopped, "signal");
    assert.deepEqual([part.result.steps, part.result.state.segment.step], [5, 3]);
    const fromSignal = await trained({
      resume: { optimizer: part.result.optimizer, state: part.result.state },
    });
    const atCheckpoint = whole.checkpoints.find((c) => c.step === 3)!;
    const fromCheckpoint = await trained({
      resume: { optimizer: atCheckpoint.optimizer, state: atCheckpoint.state },
    });
    for (const [name, run, first] of [
      ["signal", fromSignal, 6],
      ["checkpoint", fromCheckpoint, 4],
    ] as const) {
      assert.deepEqual([...run.losses.keys()][0], first, name);
      for (const [step, loss] of run.losses)
        assert.ok(Math.abs(loss - whole.losses.get(step)!) <= 1e-5, `${name}, step ${step}: ${loss}`);
      assert.deepEqual(run.result.optimizer.params, whole.result.optimizer.params, name);
    }
  });

  test("maxSeconds bounds the whole run: a resume counts the seconds its checkpoint recorded", async () => {
    const controller = new AbortController();
    // The schedule learns the fraction of the time budget spent before each step (none without a budget).
    const spentBefore = (into: (number | undefined)[]) => (_step: number, timeDone?: number) => {
      into.push(timeDone);
      return 1e-3;
    };
    const unbounded: (number | undefined)[] = [];
    const part = await trained({
      signal: controller.signal,
      onStep: (r) => r.step === 2 && controller.abort(),
      lrAt: spentBefore(unbounded),
    });
    assert.deepEqual(unbounded, [undefined, undefined]);
    const elapsed = part.result.state.elapsed!;
    assert.ok(
      elapsed > 0 && part.result.seconds === elapsed,
      `elapsed ${elapsed}, seconds ${part.result.seconds}`,
    );
    const resume = { optimizer: part.result.optimizer, state: part.result.state };
    const spent = await trained({ resume, maxSeconds: elapsed / 2 });
    assert.deepEqual([spent.result.stopped, spent.result.steps, spent.losses.size], ["seconds", 2, 0]);
    const fractions: (number | undefined)[] = [];
    const raised = await trained({ resume, maxSeconds: 3600, lrAt: spentBefore(fractions) });
    assert.equal(raised.result.steps, 7, "a raised budget trains on");
    assert.equal(fractions.length, 5);
    fractions.forEach((f, i) => {
      const floor = i === 0 ? elapsed / 3600 : fractions[i - 1]!;
      assert.ok(f !== undefined && f >= floor && f < 1, `step ${i + 3}: ${f}`);
    });
  });
});
