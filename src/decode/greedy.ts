// Greedy decoding, and the one-token-per-row loop it shares with sampling: every step the logits
// processors constrain each row's log-probabilities and a chooser picks the next token; finished rows leave.

import { applyProcessors, buildProcessors } from "./processors.ts";
import type { DecoderState, Seq2SeqRunner } from "./runner.ts";
import { attentionRow, type Hypothesis, type SearchOptions, type StepModel } from "./search.ts";

/** Picks the next token of sentence `sentence` from its constrained log-probabilities [vocab]. */
export type TokenChooser = (scores: Float32Array, sentence: number) => number;

/** Index of the largest value (the first one on ties). */
export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let v = 1; v < scores.length; v++) if (scores[v]! > scores[best]!) best = v;
  return best;
}

/**
 * Decodes one hypothesis per row of `state` (row i = sentence i), choosing each token with `choose`.
 * A row ends at EOS (the max-length processor forces it); a row whose every token is banned ends with EOS.
 */
export async function decodeEachRow<S>(
  model: StepModel<S>,
  state: S,
  options: SearchOptions,
  choose: TokenChooser,
): Promise<Hypothesis[]> {
  const processors = buildProcessors(options);
  const hyps: Hypothesis[] = options.srcLengths.map(() => ({
    tokens: [],
    tokenLogProbs: [],
    logProb: 0,
    score: 0,
    attention: [],
  }));
  let active = hyps.map((_, i) => i); // the sentence of each state row
  let previous = active.map(() => options.bos); // [rows]
  while (active.length > 0) {
    const out = await model.step(state, previous);
    const rows = active.length;
    const vocab = out.logProbs.length / rows;
    const scores = out.logProbs; // [rows * vocab], constrained in place
    applyProcessors(processors, scores, {
      generated: active.map((s) => hyps[s]!.tokens),
      srcLengths: active.map((s) => options.srcLengths[s]!),
    });
    const keep: number[] = [];
    previous = [];
    active.forEach((s, row) => {
      const rowScores = scores.subarray(row * vocab, (row + 1) * vocab); // [vocab]
      let token = choose(rowScores, s);
      if (rowScores[token] === Number.NEGATIVE_INFINITY) token = options.eos;
      const h = hyps[s]!;
      h.tokens.push(token);
      h.tokenLogProbs.push(rowScores[token]!);
      h.logProb += rowScores[token]!;
      h.attention.push(attentionRow(out.attention, rows, row, options.srcLengths[s]!)); // [srcLen]
      if (token !== options.eos) {
        keep.push(row);
        previous.push(token);
      }
    });
    if (keep.length === 0) break;
    state = keep.length === rows ? out.state : model.reorder(out.state, keep);
    active = keep.map((row) => active[row]!);
  }
  for (const h of hyps) h.score = h.logProb;
  return hyps;
}

/** Greedy search: the most probable (constrained) token at every step, one hypothesis per sentence. */
export function greedySearch<S>(
  model: StepModel<S>,
  state: S,
  options: SearchOptions,
): Promise<Hypothesis[]> {
  return decodeEachRow(model, state, options, argmax);
}

export interface GreedyOptions {
  bos: number;
  eos: number;
  maxLength: number;
}

/**
 * Greedy decoding of source id rows through a runner; returns output ids without BOS/EOS. Outputs stop at
 * maxLength tokens, or sooner where a prefix LM's source leaves fewer positions (its sharedPositions).
 */
export async function greedyDecode(
  runner: Seq2SeqRunner,
  sources: readonly (readonly number[])[],
  options: GreedyOptions,
): Promise<number[][]> {
  const state: DecoderState = await runner.encode(sources);
  const hyps = await greedySearch(runner, state, {
    ...options,
    srcLengths: sources.map((s) => s.length),
    sharedPositions: runner.model.sharedPositions,
  });
  return hyps.map((h) => (h.tokens.at(-1) === options.eos ? h.tokens.slice(0, -1) : h.tokens));
}
