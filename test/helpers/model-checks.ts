// What the model families' golden tests share: seeded weights in which every parameter matters, tiny
// configs, and the checks "a decoder step with its cache == the teacher-forced forward" and "padding changes nothing".

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DecoderState, padIds, Seq2SeqRunner } from "../../src/decode/runner.ts";
import type { Graph } from "../../src/graph/ir.ts";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { type LoadedModel, loadModelFolder, saveModelFolder } from "../../src/models/folder.ts";
import { buildModel, type ModelConfig } from "../../src/models/registry.ts";
import { IO, type Seq2SeqModel } from "../../src/models/seq2seq.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "../../src/models/transformer.ts";
import { initialize } from "../../src/nn/init.ts";
import type { Module } from "../../src/nn/module.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { buildLossGraph, flatLayout } from "../../src/train/step-graph.ts";
import { batchFeeds, greedyExactMatch, type IdPair, trainOnPairs } from "./toy-seq2seq.ts";

/** Sizes of a tiny self-attention model (vocabulary 20); add the family's layer counts. */
export const TINY_ATTENTION = {
  srcVocabSize: 20,
  tgtVocabSize: 20,
  dModel: 16,
  heads: 2,
  ffDim: 32,
  maxPositions: 32,
  dropout: 0,
} as const;

/**
 * Seeded weights from each parameter's initialiser, except that zero- and one-initialised tensors (norms,
 * biases) get N(0, 0.3²) (+1 for the ones), so that every parameter changes the outputs.
 */
export function seededWeights(model: Module, seed: number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const p of model.parameters()) {
    const init =
      p.init.kind === "zeros" || p.init.kind === "ones" ? { kind: "normal" as const, std: 0.3 } : p.init;
    const data = initialize(init, p.shape, seed, p.name);
    if (p.init.kind === "ones") for (let i = 0; i < data.length; i++) data[i]! += 1;
    weights.set(p.name, data);
  }
  return weights;
}

/** The model with its seededWeights. */
export function withSeededWeights<M extends Module>(
  model: M,
  seed = 5,
): { model: M; weights: Map<string, Float32Array> } {
  return { model, weights: seededWeights(model, seed) };
}

/** A tiny Transformer (2 + 2 layers, see TINY_ATTENTION) with seeded weights. */
export function tinyTransformer(
  overrides: Partial<TransformerConfig> = {},
  seed = 5,
): { model: Transformer; weights: Map<string, Float32Array> } {
  const config = {
    ...TRANSFORMER_DEFAULTS,
    ...TINY_ATTENTION,
    encoderLayers: 2,
    decoderLayers: 2,
    ...overrides,
  };
  return withSeededWeights(new Transformer(config), seed);
}

/** The largest |a[i] - b[i]|; the lengths must match. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** log softmax of one row of logits. */
export function logSoftmax(row: Float32Array): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
  return Array.from(row, (x) => x - lse);
}

/** A float32 tensor's data. */
export const floats = (t: HostTensor): Float32Array => t.data as Float32Array;

/** What assertStepsMatch compares each step with, besides the teacher-forced logits [rows, T, V]. */
export interface StepReference {
  /** Teacher-forced attention over the source [rows, T, srcLen] (1e-5); padding must get exactly none. */
  attention?: Float32Array;
  /** Each row's real source length: every step's attention is then [rows, srcLen = the longest]. */
  srcLengths?: readonly number[];
}

/**
 * Steps `runner` from `state` through the rows of `tgt` ([rows][T], fed column by column) and checks each
 * step's log-probabilities against the log-softmax of the teacher-forced `logits` [rows, T, V] (1e-4), its
 * attention as `reference` says, and the state's length. Returns the state after the last step.
 */
export async function assertStepsMatch(
  runner: Seq2SeqRunner,
  state: DecoderState,
  tgt: readonly number[][],
  logits: Float32Array,
  reference: StepReference = {},
): Promise<DecoderState> {
  const [rows, T] = [tgt.length, tgt[0]!.length];
  const V = logits.length / (rows * T);
  const srcLen = reference.srcLengths ? Math.max(...reference.srcLengths) : undefined;
  for (let t = 0; t < T; t++) {
    const step = await runner.step(
      state,
      tgt.map((row) => row[t]!),
    );
    if (srcLen !== undefined) assert.equal(step.attention.length, rows * srcLen);
    for (let row = 0; row < rows; row++) {
      const at = row * T + t;
      const expected = logSoftmax(logits.subarray(at * V, (at + 1) * V));
      const diff = maxAbsDiff(step.logProbs.subarray(row * V, (row + 1) * V), expected);
      assert.ok(diff < 1e-4, `row ${row} position ${t}: ${diff}`);
      const { attention, srcLengths } = reference;
      if (!attention || !srcLengths || srcLen === undefined) continue;
      const got = step.attention.subarray(row * srcLen, (row + 1) * srcLen); // [srcLen]
      assert.ok(maxAbsDiff(got, attention.subarray(at * srcLen, (at + 1) * srcLen)) < 1e-5);
      assert.ok(
        got.subarray(srcLengths[row]).every((x) => x === 0),
        `row ${row}: padding got attention`,
      );
    }
    state = step.state;
    assert.equal(state.length, t + 1);
  }
  return state;
}

/**
 * The golden cache check of a text family over two sources (the second gets padded): decoder steps with the
 * cache give the teacher-forced logits of `fullGraph` (src_ids, tgt_ids -> logits [2, T, V], and, if it has
 * it, cross_attention [2, T, srcLen], then compared too); reordering rows follows them.
 */
export async function assertCacheMatchesFull(
  model: Seq2SeqModel,
  weights: ReadonlyMap<string, Float32Array>,
  fullGraph: Graph,
  sources: readonly number[][] = [
    [5, 6, 7, 8, 9],
    [3, 4, 11], // gets padded
  ],
): Promise<void> {
  const tgt = [
    [1, 12, 13, 14, 15, 16],
    [1, 17, 18, 19, 2, 3],
  ];
  const full = await OrtSession.create(fullGraph);
  const out = await full.run({ [IO.src]: padIds(sources, 0), [IO.tgt]: padIds(tgt, 0) });
  await full.release();
  const attention = out[IO.crossAttention] && floats(out[IO.crossAttention]);
  const runner = await Seq2SeqRunner.create(model, weights);
  const reference = { attention, srcLengths: sources.map((s) => s.length) };
  const state = await assertStepsMatch(
    runner,
    await runner.encode(sources),
    tgt,
    floats(out[IO.logits]!),
    reference,
  );
  // Reordering rows follows them: row 0 of the reordered state continues sentence 1.
  const a = await runner.step(state, [5, 6]);
  const b = await runner.step(runner.reorder(state, [1, 0]), [6, 5]);
  const V = model.tgtVocabSize;
  assert.ok(maxAbsDiff(a.logProbs.subarray(V, 2 * V), b.logProbs.subarray(0, V)) < 1e-6);
  await runner.release();
}

/**
 * Two pads after `source` change nothing: neither `fullGraph`'s logits (src_ids, tgt_ids -> logits; 1e-5) nor
 * the runner's first decoder step (log-probabilities 1e-5, attention 1e-6, and none at all on the pads).
 */
export async function assertSourcePaddingFree(
  model: Seq2SeqModel,
  weights: ReadonlyMap<string, Float32Array>,
  fullGraph: Graph,
  source: readonly number[],
): Promise<void> {
  const padded = [...source, 0, 0];
  const full = await OrtSession.create(fullGraph);
  const tgt = padIds([[1, 12, 13]], 0);
  const logits = async (src: readonly number[]) =>
    floats((await full.run({ [IO.src]: padIds([src], 0), [IO.tgt]: tgt }))[IO.logits]!);
  const diff = maxAbsDiff(await logits(source), await logits(padded));
  assert.ok(diff < 1e-5, `decoder logits differ by ${diff}`);
  await full.release();
  const runner = await Seq2SeqRunner.create(model, weights);
  const a = await runner.step(await runner.encode([source]), [1]);
  const b = await runner.step(await runner.encode([padded]), [1]);
  assert.ok(maxAbsDiff(a.logProbs, b.logProbs) < 1e-5);
  assert.ok(maxAbsDiff(a.attention, b.attention.subarray(0, source.length)) < 1e-6, "attention moved");
  assert.deepEqual([...b.attention.subarray(source.length)], [0, 0], "padding got attention");
  await runner.release();
}

/** The model's loss graph without dropout, its parameters set to `weights`: run a batch of pairs, read its outputs. */
export async function evaluationLoss(
  model: Seq2SeqModel,
  weights: ReadonlyMap<string, Float32Array>,
): Promise<{
  run(pairs: IdPair[]): Promise<Record<string, HostTensor>>;
  loss(pairs: IdPair[]): Promise<number>;
  release(): Promise<void>;
}> {
  const layout = flatLayout(model.parameters());
  const session = await OrtSession.create(buildLossGraph(layout, model.trainingLoss({ training: false })));
  const params = new Float32Array(layout.total);
  for (const slot of layout.slots) params.set(weights.get(slot.name)!, slot.offset);
  const run = (pairs: IdPair[]) =>
    session.run({ params: { dtype: "float32", dims: [layout.total], data: params }, ...batchFeeds(pairs) });
  return {
    run,
    loss: async (pairs) => floats((await run(pairs))["loss"]!)[0]!,
    release: () => session.release(),
  };
}

/**
 * Builds `config`'s model with N(0, std²) weights (seed 3), saves it as a model folder with a joint character
 * tokenizer pair, and loads it back: the architecture and every weight must come back exactly.
 */
export async function assertFolderRoundTrip(
  config: ModelConfig,
  std: number,
): Promise<{ model: Seq2SeqModel; weights: Map<string, Float32Array>; loaded: LoadedModel }> {
  const model = buildModel(config);
  const weights = new Map(
    model.parameters().map((p) => [p.name, initialize({ kind: "normal", std }, p.shape, 3, p.name)]),
  );
  const dir = join(mkdtempSync(join(tmpdir(), `s2s-${config.architecture}-`)), "model");
  const tokenizers = jointPair(trainCharTokenizer(["abcdefgh"]));
  await saveModelFolder(dir, { config, model, weights, tokenizers });
  const loaded = await loadModelFolder(dir);
  assert.equal(loaded.model.architecture, config.architecture);
  assert.deepEqual([...loaded.weights.keys()].sort(), [...weights.keys()].sort());
  for (const [name, data] of weights) assert.deepEqual(loaded.weights.get(name), data, name);
  return { model, weights, loaded };
}

/** Sizes at which the self-attention families learn the toy tasks (add the vocabulary and layer count). */
export const LEARNER_SIZES = { dModel: 64, heads: 4, ffDim: 128, maxPositions: 32, dropout: 0 } as const;

/**
 * Trains `model` on `train` through the real training step (batch 32, lr 3e-3 after `warmupSteps`, seed 1)
 * and asserts that greedy decoding gets at least 99% of `test` exactly right.
 */
export async function assertLearns(
  model: Seq2SeqModel,
  train: readonly IdPair[],
  test: readonly IdPair[],
  steps: number,
  warmupSteps = 50,
): Promise<void> {
  const weights = await trainOnPairs(model, train, { steps, batchSize: 32, lr: 3e-3, warmupSteps, seed: 1 });
  const accuracy = await greedyExactMatch(model, weights, test);
  assert.ok(accuracy >= 0.99, `exact match ${accuracy}`);
}
