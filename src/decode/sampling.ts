// Ancestral sampling with temperature, top-k and top-p (nucleus, Holtzman et al. 2020) from a seeded PRNG:
// each sentence (and each of its samples) draws from its own generator, so results do not depend on batching.

import { mixSeed, Rng } from "../data/rng.ts";
import { decodeEachRow } from "./greedy.ts";
import type { Hypothesis, SearchOptions, StepModel } from "./search.ts";

/** How the sampling distribution is shaped; the reported log-probabilities stay the model's (constrained) ones. */
export interface SamplingWarp {
  /** Divides log-probabilities before the softmax (default 1; > 0). */
  temperature?: number;
  /** Keep only the k most probable tokens (default: all). */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability reaches p (default 1: all). */
  topP?: number;
}

export interface SamplingOptions extends SearchOptions, SamplingWarp {
  seed: number;
  /** Samples per sentence (default 1); each sentence's samples come back best score first. */
  samples?: number;
  /**
   * A stable id per sentence of the state (default: its index), mixed into its generator's seed so a
   * sentence gets the same samples whatever batch it is decoded in.
   */
  sentenceIds?: readonly number[];
}

/** Draws a token from constrained log-probabilities [vocab] after temperature, top-k and top-p. */
export function sampleToken(scores: Float32Array, rng: Rng, warp: SamplingWarp = {}): number {
  const temperature = warp.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  const candidates: number[] = [];
  for (let v = 0; v < scores.length; v++) if (scores[v]! > Number.NEGATIVE_INFINITY) candidates.push(v);
  if (candidates.length === 0) return 0; // every token banned: the caller ends the row
  candidates.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const kept = candidates.slice(0, Math.max(1, warp.topK ?? candidates.length));
  const top = scores[kept[0]!]! / temperature;
  const weights = kept.map((v) => Math.exp(scores[v]! / temperature - top));
  const total = weights.reduce((a, w) => a + w, 0);
  let size = kept.length;
  const topP = warp.topP ?? 1;
  if (topP < 1) {
    let cumulative = 0;
    for (size = 0; size < kept.length && cumulative < topP * total; size++) cumulative += weights[size]!;
  }
  const mass = weights.slice(0, size).reduce((a, w) => a + w, 0);
  let r = rng.next() * mass;
  for (let i = 0; i < size; i++) {
    r -= weights[i]!;
    if (r < 0) return kept[i]!;
  }
  return kept[size - 1]!;
}

/**
 * Samples `samples` hypotheses per sentence of `state` (rows = sentences), returned per sentence best
 * score first; a hypothesis's score is its log-probability.
 */
export async function sampleSearch<S>(
  model: StepModel<S>,
  state: S,
  options: SamplingOptions,
): Promise<Hypothesis[][]> {
  const samples = options.samples ?? 1;
  const sentences = options.srcLengths.length;
  const rowSentence = Array.from({ length: sentences * samples }, (_, row) => Math.floor(row / samples));
  const rngs = rowSentence.map(
    (s, row) => new Rng(mixSeed(options.seed, options.sentenceIds?.[s] ?? s, row % samples)),
  );
  const expanded = samples === 1 ? state : model.reorder(state, rowSentence);
  const hyps = await decodeEachRow(
    model,
    expanded,
    { ...options, srcLengths: rowSentence.map((s) => options.srcLengths[s]!) },
    (scores, row) => sampleToken(scores, rngs[row]!, options),
  );
  return Array.from({ length: sentences }, (_, s) =>
    hyps.slice(s * samples, (s + 1) * samples).sort((a, b) => b.score - a.score),
  );
}
