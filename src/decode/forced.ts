// Teacher-forced scoring: the log-probability a model gives outputs it did not choose itself, as reranking
// needs (a right-to-left model scoring a left-to-right model's candidates, and back).

import { attentionRow, type StepModel } from "./search.ts";

/** What a model makes of one given output. */
export interface ForcedScore {
  /** The log-probability of each output token given the ones before it: [tokens]. */
  tokenLogProbs: number[];
  /** Sum of tokenLogProbs. */
  logProb: number;
  /** Cross-attention of each token over its sentence's source positions: [tokens][srcLen]. */
  attention: Float32Array[];
}

/**
 * Scores `outputs` under `model`: output i (ids ending with EOS, no BOS) continues sentence sentenceOf[i] of
 * `state`, whose source has srcLengths[sentence] tokens. Every output is fed BOS and then its own tokens; the
 * log-probabilities are the model's own (no constraints apply). Rows leave the batch as their output ends.
 */
export async function forcedScores<S>(
  model: StepModel<S>,
  state: S,
  sentenceOf: readonly number[],
  outputs: readonly (readonly number[])[],
  bos: number,
  srcLengths: readonly number[],
): Promise<ForcedScore[]> {
  const scores: ForcedScore[] = outputs.map(() => ({ tokenLogProbs: [], logProb: 0, attention: [] }));
  let active = outputs.map((_, i) => i).filter((i) => outputs[i]!.length > 0); // the output of each row
  if (active.length === 0) return scores;
  let rows = model.reorder(
    state,
    active.map((i) => sentenceOf[i]!),
  );
  let previous = active.map(() => bos); // [rows]
  for (let t = 0; ; t++) {
    const out = await model.step(rows, previous);
    const vocab = out.logProbs.length / active.length;
    const keep: number[] = [];
    previous = [];
    active.forEach((i, row) => {
      const token = outputs[i]![t]!;
      const logProb = out.logProbs[row * vocab + token]!;
      const s = scores[i]!;
      s.tokenLogProbs.push(logProb);
      s.logProb += logProb;
      s.attention.push(attentionRow(out.attention, active.length, row, srcLengths[sentenceOf[i]!]!));
      if (t + 1 < outputs[i]!.length) {
        keep.push(row);
        previous.push(token);
      }
    });
    if (keep.length === 0) break;
    rows = keep.length === active.length ? out.state : model.reorder(out.state, keep);
    active = keep.map((row) => active[row]!);
  }
  return scores;
}
