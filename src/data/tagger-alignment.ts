// How a pair looks to an encoder-only tagger (label i at source position i, src/models/encoder-only.ts):
// the labels it trains on, the best output it can decode, and how much of a data set it can represent.

import { SPECIAL_IDS } from "../tokenize/tokenizer.ts";

/** One pair as the token head sees it. Rows are ids ending in EOS (the project's convention). */
export interface TaggerView {
  /**
   * The label of each source position, [srcLen]: tgt[i] while the target lasts, then pad (untrained).
   * Targets past the source are dropped. The same as TransformerEncoderClassifier.alignedTargets.
   */
  labels: number[];
  /**
   * What a tagger that predicts every label right decodes (EOS left out): the labels up to the first EOS.
   * Decoding emits EOS itself once the source's positions run out, so a target one token longer than the
   * source (its EOS falls off the end) still comes out whole.
   */
  output: number[];
  /** |tgt| == |src|: every position, EOS included, is trained (the model's misaligned_rows counts the rest). */
  aligned: boolean;
  /** `output` is the whole target: |y| <= |src|, i.e. tgt (y + EOS) is at most one token longer than src. */
  representable: boolean;
}

/**
 * The tagger's view of one pair.
 * @param src source ids ending in EOS, [srcLen] (no padding)
 * @param tgt target ids y + EOS, [tgtLen]
 */
export function taggerView(
  src: readonly number[],
  tgt: readonly number[],
  ids: { pad: number; eos: number } = SPECIAL_IDS,
): TaggerView {
  const labels = src.map((token, i) => (token === ids.pad || i >= tgt.length ? ids.pad : tgt[i]!));
  const end = labels.findIndex((label) => label === ids.eos || label === ids.pad);
  const output = end < 0 ? labels : labels.slice(0, end);
  const y = tgt.at(-1) === ids.eos ? tgt.slice(0, -1) : tgt;
  return {
    labels,
    output,
    aligned: tgt.length === src.length,
    representable: y.length <= src.length && output.length === y.length,
  };
}

/** An example to score a tagger on: a source row and every reference row (each ending in EOS). */
export interface TaggerExample {
  src: readonly number[];
  refs: readonly (readonly number[])[];
}

/** How many examples a tagger can align or represent; an example counts when any of its references does. */
export interface TaggerCoverage {
  examples: number;
  aligned: number;
  representable: number;
}

/** Counts the examples whose references the tagger can align exactly / output whole (see TaggerView). */
export function taggerCoverage(examples: readonly TaggerExample[]): TaggerCoverage {
  const coverage: TaggerCoverage = { examples: examples.length, aligned: 0, representable: 0 };
  for (const { src, refs } of examples) {
    const views = refs.map((ref) => taggerView(src, ref));
    if (views.some((v) => v.aligned)) coverage.aligned++;
    if (views.some((v) => v.representable)) coverage.representable++;
  }
  return coverage;
}

/**
 * The best a perfect tagger can output for an example (EOS left out): the first reference it can represent
 * whole, else the first reference cut to the source's length. Scoring these gives the family's ceiling.
 */
export function taggerOracle(example: TaggerExample): number[] {
  const views = example.refs.map((ref) => taggerView(example.src, ref));
  if (views.length === 0) throw new Error("taggerOracle: an example needs at least one reference");
  return (views.find((v) => v.representable) ?? views[0]!).output;
}
