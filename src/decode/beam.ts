// Batched beam search with the beams folded into the rows (rows = sentences × beam), n-best lists, length
// penalty and early stopping. It depends only on StepModel's step/reorder; constraints are logits processors.

import { DEFAULT_LENGTH_PENALTY, type LengthPenalty, lengthPenalty } from "./length-penalty.ts";
import { applyProcessors, buildProcessors, MaxLengthProcessor } from "./processors.ts";
import {
  attentionRow,
  type EarlyStopping,
  emptyHypothesis,
  type Hypothesis,
  type SearchOptions,
  type StepModel,
} from "./search.ts";

export interface BeamOptions extends SearchOptions {
  /** Beam size k (≥ 1). */
  beam: number;
  /** Hypotheses returned per sentence (1 ≤ nbest ≤ beam; default 1). */
  nbest?: number;
  lengthPenalty?: LengthPenalty;
  /** When a sentence with `beam` finished hypotheses stops (Hugging Face's `early_stopping`); see EarlyStopping. */
  earlyStopping?: EarlyStopping;
  /**
   * At the length limit: "eos" (default) forces EOS after maxLength tokens; "truncate" ends the search at
   * maxLength tokens, the best `beam` candidates of that step finishing as they are (Hugging Face generate).
   */
  atMaxLength?: "eos" | "truncate";
}

interface SentenceBeams {
  /** k live hypotheses (a dead one has logProb -Infinity); their score is unused until they finish. */
  live: Hypothesis[];
  finished: Hypothesis[];
  /** The longest output (EOS included) the max-length processor allows this sentence. */
  maxOutput: number;
}

const dead = (): Hypothesis => emptyHypothesis();

function extend(h: Hypothesis, token: number, logProb: number, attention: Float32Array): Hypothesis {
  return {
    tokens: [...h.tokens, token],
    tokenLogProbs: [...h.tokenLogProbs, logProb],
    logProb: h.logProb + logProb,
    score: h.logProb + logProb,
    attention: [...h.attention, attention],
  };
}

/** Indices of the `count` largest finite values, largest first (the lower index first on ties). */
export function topIndices(values: Float64Array, count: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === Number.NEGATIVE_INFINITY) continue;
    if (best.length === count && v <= values[best[count - 1]!]!) continue;
    let pos = best.length;
    while (pos > 0 && values[best[pos - 1]!]! < v) pos--;
    best.splice(pos, 0, i);
    if (best.length > count) best.pop();
  }
  return best;
}

/**
 * Whether a sentence is finished after a step (see EarlyStopping); `bestCandidate` is the best cumulative
 * log-probability among that step's candidates, finished or not.
 */
function isDone(beams: SentenceBeams, bestCandidate: number, options: BeamOptions): boolean {
  const k = options.beam;
  const bestLive = Math.max(...beams.live.map((h) => h.logProb));
  if (bestLive === Number.NEGATIVE_INFINITY) return true;
  if (beams.finished.length < k) return false;
  const mode = options.earlyStopping ?? false;
  if (mode === true) return true;
  const penalty = options.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
  const length = beams.live[0]!.tokens.length; // tokens of every live beam, this step's included
  const kth = beams.finished.map((h) => h.score).sort((a, b) => b - a)[k - 1]!;
  if (mode === false) return bestCandidate / lengthPenalty(length, penalty) <= kth;
  // Log-probabilities only fall as a hypothesis grows, so its best reachable score uses the largest lp ahead.
  const lp = Math.max(lengthPenalty(length + 1, penalty), lengthPenalty(beams.maxOutput, penalty));
  return bestLive / lp <= kth;
}

/**
 * Advances one sentence by a step: scores [k * vocab] are its beams' constrained log-probabilities.
 * Returns, for each new live beam, the local index of the beam it extends and its new token, and the
 * best cumulative log-probability among the step's candidates.
 */
function advance(
  beams: SentenceBeams,
  scores: Float32Array,
  attentionOf: (beam: number) => Float32Array,
  options: BeamOptions,
): { next: Array<{ parent: number; token: number }>; bestCandidate: number } {
  const k = options.beam;
  const vocab = scores.length / k;
  const total = new Float64Array(scores.length); // [k * vocab]
  for (let i = 0; i < total.length; i++) total[i] = beams.live[Math.floor(i / vocab)]!.logProb + scores[i]!;
  const penalty = options.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
  const truncate = options.atMaxLength === "truncate" && beams.live[0]!.tokens.length + 2 >= beams.maxOutput;
  const live: Hypothesis[] = [];
  const next: Array<{ parent: number; token: number }> = [];
  const candidates = topIndices(total, 2 * k);
  candidates.forEach((index, rank) => {
    const parent = Math.floor(index / vocab);
    const token = index % vocab;
    const finishes = token === options.eos || truncate;
    if (finishes && rank >= k) return;
    if (!finishes && live.length === k) return;
    const h = extend(beams.live[parent]!, token, scores[index]!, attentionOf(parent));
    if (finishes) {
      beams.finished.push({ ...h, score: h.logProb / lengthPenalty(h.tokens.length, penalty) });
    } else {
      live.push(h);
      next.push({ parent, token });
    }
  });
  while (live.length < k) {
    live.push(dead());
    next.push({ parent: 0, token: options.eos });
  }
  beams.live = live;
  const bestCandidate = candidates.length > 0 ? total[candidates[0]!]! : Number.NEGATIVE_INFINITY;
  return { next, bestCandidate };
}

/** The n-best list of a sentence: finished hypotheses first, then (if too few) live ones, best first. */
function nbestOf(beams: SentenceBeams, n: number, penalty: LengthPenalty): Hypothesis[] {
  const byScore = (a: Hypothesis, b: Hypothesis) => b.score - a.score;
  const finished = [...beams.finished].sort(byScore);
  const live = beams.live
    .filter((h) => h.logProb > Number.NEGATIVE_INFINITY)
    .map((h) => ({ ...h, score: h.logProb / lengthPenalty(h.tokens.length, penalty) }))
    .sort(byScore);
  const list = [...finished, ...live].slice(0, n);
  return list.length > 0 ? list : [emptyHypothesis()];
}

/**
 * Beam search over the sentences of `state` (row i = sentence i, already encoded). Each sentence's beams
 * become `beam` consecutive rows; a finished sentence's rows are dropped. Returns the n-best lists.
 */
export async function beamSearch<S>(
  model: StepModel<S>,
  state: S,
  options: BeamOptions,
): Promise<Hypothesis[][]> {
  const k = options.beam;
  const nbest = options.nbest ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new Error(`beam must be an integer ≥ 1, got ${k}`);
  if (!Number.isInteger(nbest) || nbest < 1 || nbest > k)
    throw new Error(`nbest must be an integer from 1 to the beam size ${k}, got ${nbest}`);
  const processors = buildProcessors(options);
  const { eos, relativeMaxLength, sharedPositions } = options;
  const maxLength = new MaxLengthProcessor(options.maxLength, eos, relativeMaxLength, sharedPositions);
  const sentences: SentenceBeams[] = options.srcLengths.map((srcLength) => ({
    live: [{ ...emptyHypothesis(), logProb: 0, score: 0 }, ...Array.from({ length: k - 1 }, dead)],
    finished: [],
    maxOutput: maxLength.limit(srcLength) + 1,
  }));
  let active = sentences.map((_, s) => s); // the sentence of each group of k rows
  let rowsState = model.reorder(
    state,
    active.flatMap((s) => Array<number>(k).fill(s)),
  );
  let tokens = Array<number>(active.length * k).fill(options.bos); // [rows]
  while (active.length > 0) {
    const out = await model.step(rowsState, tokens);
    const rows = active.length * k;
    const vocab = out.logProbs.length / rows;
    applyProcessors(processors, out.logProbs, {
      generated: active.flatMap((s) => sentences[s]!.live.map((h) => h.tokens)),
      srcLengths: active.flatMap((s) => Array<number>(k).fill(options.srcLengths[s]!)),
    });
    const keepRows: number[] = [];
    const stillActive: number[] = [];
    tokens = [];
    active.forEach((s, group) => {
      const beams = sentences[s]!;
      const scores = out.logProbs.subarray(group * k * vocab, (group + 1) * k * vocab); // [k * vocab]
      const attentionOf = (beam: number) =>
        attentionRow(out.attention, rows, group * k + beam, options.srcLengths[s]!); // [srcLen]
      const { next, bestCandidate } = advance(beams, scores, attentionOf, options);
      if (isDone(beams, bestCandidate, options)) return;
      stillActive.push(s);
      for (const { parent, token } of next) {
        keepRows.push(group * k + parent);
        tokens.push(token);
      }
    });
    active = stillActive;
    if (active.length > 0) rowsState = model.reorder(out.state, keepRows);
  }
  const penalty = options.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
  return sentences.map((beams) => nbestOf(beams, nbest, penalty));
}
