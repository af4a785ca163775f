// How a Translator turns a batch of sources into n-best lists: one search over one runner (a model or an
// ensemble), or a left-to-right and a right-to-left model that rerank each other's candidates (Liu et al.
// 2016, "Agreement on target-bidirectional neural machine translation"; Sennrich et al. 2016 rescore with an
// R2L model). Each direction searches on its own; both score every candidate of either search, and a
// candidate's score is the mean of the two log-probabilities, ranked as the search ranks its outputs. A third
// scorer may join them: a joint-sequence n-gram model for G2P (src/models/joint-sequence.ts).

import { reverseIds } from "../tokenize/reversed-target.ts";
import { forcedScores } from "./forced.ts";
import type { Hypothesis, StepModel } from "./search.ts";
import type { SearchPlan } from "./translate-scheme.ts";

/**
 * What decodes with one model or an ensemble: a Seq2SeqRunner or an EnsembleRunner. The state's type is the
 * runner's own business; it only passes from encode to the search.
 */
export interface TextRunner extends StepModel<unknown> {
  encode(sources: readonly (readonly number[])[]): Promise<unknown>;
  release(): Promise<void>;
}

/** Decodes encoder inputs (source ids with their special tokens) into each one's hypotheses, best first. */
export interface SentenceDecoder {
  /** Whether outputs are reranked candidates: each search's plan should then return its whole beam. */
  readonly reranks: boolean;
  decode(
    sources: readonly (readonly number[])[],
    plan: SearchPlan,
    sentenceIds: readonly number[],
  ): Promise<Hypothesis[][]>;
  release(): Promise<void>;
}

/** A third opinion on the candidates: ln P(candidate, source) under another model, added with `weight`. */
export interface CandidateScorer {
  readonly weight: number;
  /** `source` holds the encoder input's ids (with its special tokens), `candidate` the output's. */
  logProb(source: readonly number[], candidate: readonly number[]): number;
}

/** The search of `plan` over one runner. */
export class SearchDecoder implements SentenceDecoder {
  readonly reranks = false;

  constructor(readonly runner: TextRunner) {}

  async decode(
    sources: readonly (readonly number[])[],
    plan: SearchPlan,
    sentenceIds: readonly number[],
  ): Promise<Hypothesis[][]> {
    const state = await this.runner.encode(sources);
    return plan.search(
      this.runner,
      state,
      sources.map((s) => s.length),
      sentenceIds,
    );
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}

/**
 * A left-to-right runner and a right-to-left one (whose outputs are last token first) decoded together. The
 * hypotheses are in reading order with the forward model's token log-probabilities and attention; `score` is
 * plan.rank(mean of the two models' log-probabilities, length), or with a `scorer`,
 * plan.rank((forward + backward + scorer.weight * scorer's) / 2, length).
 */
export class BidirectionalDecoder implements SentenceDecoder {
  readonly reranks = true;

  constructor(
    readonly forward: TextRunner,
    readonly backward: TextRunner,
    private readonly ids: { bos: number; eos: number },
    readonly scorer?: CandidateScorer,
  ) {}

  async decode(
    sources: readonly (readonly number[])[],
    plan: SearchPlan,
    sentenceIds: readonly number[],
  ): Promise<Hypothesis[][]> {
    const { bos, eos } = this.ids;
    const srcLengths = sources.map((s) => s.length);
    const forwardState = await this.forward.encode(sources);
    const backwardState = await this.backward.encode(sources);
    const fromForward = await plan.search(this.forward, forwardState, srcLengths, sentenceIds);
    const fromBackward = await plan.search(this.backward, backwardState, srcLengths, sentenceIds);
    // The distinct candidates of each sentence, in reading order.
    const sentenceOf: number[] = [];
    const candidates: number[][] = [];
    sources.forEach((_, s) => {
      const seen = new Set<string>();
      const outputs = [
        ...fromForward[s]!.map((h) => h.tokens),
        ...fromBackward[s]!.map((h) => reverseIds(h.tokens, eos)),
      ];
      for (const tokens of outputs) {
        const key = tokens.join(",");
        if (tokens.length === 0 || seen.has(key)) continue;
        seen.add(key);
        sentenceOf.push(s);
        candidates.push(tokens);
      }
    });
    const forward = await forcedScores(this.forward, forwardState, sentenceOf, candidates, bos, srcLengths);
    const reversed = candidates.map((c) => reverseIds(c, eos));
    const backward = await forcedScores(this.backward, backwardState, sentenceOf, reversed, bos, srcLengths);
    const out: Hypothesis[][] = sources.map(() => []);
    candidates.forEach((tokens, i) => {
      const f = forward[i]!;
      const third = this.scorer
        ? this.scorer.weight * this.scorer.logProb(sources[sentenceOf[i]!]!, tokens)
        : 0;
      const agreed = (f.logProb + backward[i]!.logProb + third) / 2;
      out[sentenceOf[i]!]!.push({ tokens, ...f, score: plan.rank(agreed, tokens.length) });
    });
    for (const list of out) list.sort((a, b) => b.score - a.score);
    return out;
  }

  async release(): Promise<void> {
    await this.forward.release();
    await this.backward.release();
  }
}
