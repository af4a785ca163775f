// What greedy, beam and sampling searches share: the narrow step interface they run on (Seq2SeqRunner
// satisfies it; tests pass a fake model) and the hypothesis every search returns.

import type { ConstraintOptions } from "./processors.ts";

/** One decoder step's result for `rows` rows. */
export interface StepResult<S> {
  /** Log-probabilities of the next token: [rows * vocab]. */
  logProbs: Float32Array;
  /** Cross-attention weights of this step: [rows * srcLen] (srcLen: the padded source length). */
  attention: Float32Array;
  state: S;
}

/**
 * The model as the searches see it: `step` feeds one token per row and advances the state; `reorder`
 * returns the state whose row i is row indices[i] (to follow beams, expand rows or drop finished ones).
 */
export interface StepModel<S> {
  step(state: S, tokens: readonly number[]): Promise<StepResult<S>>;
  reorder(state: S, indices: readonly number[]): S;
}

/** One decoded output sequence. */
export interface Hypothesis {
  /** Generated ids, ending with EOS (no BOS). */
  tokens: number[];
  /** The (constrained) log-probability of each token: [tokens]. */
  tokenLogProbs: number[];
  /** Sum of tokenLogProbs. */
  logProb: number;
  /** The ranking score: logProb for greedy and sampling, logProb / length penalty for beam search. */
  score: number;
  /** Cross-attention of each token over the sentence's own source positions: [tokens][srcLen]. */
  attention: Float32Array[];
}

/** Options of every search: the constraints plus the decoder's start token and the source lengths. */
export interface SearchOptions extends ConstraintOptions {
  /** The decoder's first input (BOS / decoder_start_token_id). */
  bos: number;
  /** Source length in tokens (EOS included) of each sentence of the state: [sentences]. */
  srcLengths: readonly number[];
}

/** Row `row`'s attention [srcLen] trimmed to the sentence's `srcLength` (drops padding positions). */
export function attentionRow(
  attention: Float32Array,
  rows: number,
  row: number,
  srcLength: number,
): Float32Array {
  const padded = attention.length / rows;
  return attention.slice(row * padded, row * padded + Math.min(srcLength, padded));
}

/** An empty hypothesis (what a sentence gets when every path was banned). */
export function emptyHypothesis(): Hypothesis {
  return {
    tokens: [],
    tokenLogProbs: [],
    logProb: Number.NEGATIVE_INFINITY,
    score: Number.NEGATIVE_INFINITY,
    attention: [],
  };
}

/**
 * When a sentence that has `beam` finished hypotheses stops, as Hugging Face's `early_stopping`. true: at once
 * (fairseq's rule: unfinished beams, however probable, are dropped). false (default): when the best candidate of
 * the step, scored at its current length, cannot beat the k-th best finished one. "never": when no live beam can
 * beat it at any length up to the limit (exact under the length penalty; may run to the limit).
 */
export type EarlyStopping = boolean | "never";
