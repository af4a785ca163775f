// Models for the decoding tests: a fake step model over a hand-written distribution (so tests know every
// sequence's probability), and a tiny random-weight Transformer, bare or saved as a model folder.

import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import type { StepModel, StepResult } from "../../src/decode/search.ts";
import { saveModelFolder } from "../../src/models/folder.ts";
import type { ModelConfig } from "../../src/models/registry.ts";
import type { TransformerConfig } from "../../src/models/transformer.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { tinyTransformer } from "../helpers/model-checks.ts";

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;

/** Next-token probabilities of a sentence after `prefix` (generated tokens, no BOS); unlisted ids get 0. */
export type ToyDistribution = (
  sentence: number,
  prefix: readonly number[],
) => Record<number, number | undefined>;

export interface FakeState {
  rows: ReadonlyArray<{ sentence: number; fed: readonly number[] }>;
}

/** Initial state of a fake model: one row per sentence, nothing fed yet. */
export function fakeState(sentences: number): FakeState {
  return { rows: Array.from({ length: sentences }, (_, sentence) => ({ sentence, fed: [] })) };
}

/**
 * A StepModel over `distribution` with `vocab` ids. Its attention over `srcLen` source positions is
 * one-hot at (tokens generated so far) mod srcLen, so tests can check attention follows the beams.
 */
export function fakeModel(
  distribution: ToyDistribution,
  vocab: number,
  srcLen = 3,
): StepModel<FakeState> & { rowsPerStep: number[] } {
  return {
    rowsPerStep: [],
    async step(state: FakeState, tokens: readonly number[]): Promise<StepResult<FakeState>> {
      this.rowsPerStep.push(tokens.length);
      const rows = state.rows.map((row, i) => ({ sentence: row.sentence, fed: [...row.fed, tokens[i]!] }));
      const logProbs = new Float32Array(rows.length * vocab).fill(Number.NEGATIVE_INFINITY); // [rows * vocab]
      const attention = new Float32Array(rows.length * srcLen); // [rows * srcLen]
      rows.forEach((row, r) => {
        const prefix = row.fed.slice(1);
        for (const [id, p] of Object.entries(distribution(row.sentence, prefix)))
          if (p !== undefined) logProbs[r * vocab + Number(id)] = Math.log(p);
        attention[r * srcLen + (prefix.length % srcLen)] = 1;
      });
      return { logProbs, attention, state: { rows } };
    },
    reorder(state: FakeState, indices: readonly number[]): FakeState {
      return { rows: indices.map((i) => state.rows[i]!) };
    },
  };
}

export const A = 3;
export const B = 4;

/**
 * The toy where greedy goes wrong: greedy takes A (0.6) then A (0.4) then EOS: p = 0.24, while B EOS has
 * p = 0.36. All sequences: B$ .36, AA$ .24, A$ .21, AB$ .15, BA$ .04.
 */
export const GREEDY_TRAP: ToyDistribution = (_sentence, prefix) => {
  const key = prefix.join(",");
  if (key === "") return { [A]: 0.6, [B]: 0.4 };
  if (key === `${A}`) return { [A]: 0.4, [EOS]: 0.35, [B]: 0.25 };
  if (key === `${B}`) return { [EOS]: 0.9, [A]: 0.1 };
  return { [EOS]: 1 };
};

/** A tiny random-weight Transformer (vocabulary 20) and a runner over it. */
export async function tinyRunner(seed = 5): Promise<Seq2SeqRunner> {
  const { model, weights } = tinyTransformer({}, seed);
  return Seq2SeqRunner.create(model, weights);
}

/**
 * Saves a tiny random-weight Transformer with character tokenizers (letters a-h and space) in `dir`; folders
 * of different `seed`s share the tokenizers (ensemble members).
 */
export async function saveTinyModelFolder(
  dir: string,
  overrides: Partial<TransformerConfig> = {},
  seed = 7,
): Promise<void> {
  const source = trainCharTokenizer(["abcdefgh "]);
  const target = trainCharTokenizer(["abcdefgh "]);
  const { model, weights } = tinyTransformer(
    { shareEmbeddings: false, srcVocabSize: source.vocabSize, tgtVocabSize: target.vocabSize, ...overrides },
    seed,
  );
  await saveModelFolder(dir, {
    config: { architecture: "transformer", ...model.config } as ModelConfig,
    model,
    weights,
    tokenizers: { source, target, joint: false },
  });
}
