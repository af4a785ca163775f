// Validation during training: the teacher-forced loss (perplexity) from a loss-only graph, and the task
// metric from greedy decoding with the current weights; plus the best-so-far / patience bookkeeping.

import { makeBatches, padBatch, type TokenizedPair } from "../data/batching.ts";
import { greedyDecode } from "../decode/greedy.ts";
import { generateFromIds } from "../decode/hf-generate.ts";
import { Seq2SeqRunner } from "../decode/runner.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { computeMetric, g2pScore, type MetricName } from "../metrics/index.ts";
import type { GenerationConfig } from "../models/hf-generation.ts";
import { IO, type Seq2SeqModel } from "../models/seq2seq.ts";
import { OrtSession, type SessionOptions } from "../runtime/ort.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { SPECIAL_IDS } from "../tokenize/tokenizer.ts";
import { buildLossGraph, type FlatLayout, STEP_IO } from "./step-graph.ts";
import { unflatten } from "./step-runner.ts";
import { type LossVariant, lossVariants, pickVariant } from "./stepper.ts";

/** A metric the trainer can validate on: "loss", "g2p" (word error rate, any reference) or a corpus metric. */
export type ValidationMetric = "loss" | "g2p" | MetricName;

/** Whether larger values of `metric` are better. */
export function higherIsBetter(metric: ValidationMetric): boolean {
  return metric === "bleu" || metric === "chrf" || metric === "exact" || metric === "regex";
}

/** The validation data: pairs for the loss, distinct sources with all their references for the metric. */
export interface ValidationSet {
  pairs: TokenizedPair[];
  /** Source id rows as the encoder sees them (e.g. ending in EOS) to decode, their text and every reference. */
  sources: number[][];
  sourceTexts: string[];
  references: string[][];
}

export interface ValidationResult {
  /** Token-mean cross-entropy (no label smoothing) and its exponential. */
  loss: number;
  perplexity: number;
  metric: ValidationMetric;
  /** The metric's value (the loss when the metric is "loss"). */
  value: number;
  examples: Array<{ source: string; hypothesis: string; reference: string }>;
}

export interface ValidatorOptions {
  metric: ValidationMetric;
  /** Longest decoded output. */
  maxLength: number;
  /** Padded tokens per loss batch. */
  maxTokens: number;
  target: Tokenizer;
  session?: SessionOptions;
  /** Padding, decoder start and EOS ids (default this project's SPECIAL_IDS). */
  ids?: FeedIds & { eos: number };
  /** Decode as Hugging Face's generate does with this config (a run started from a Hugging Face folder). */
  generation?: GenerationConfig;
}

/** The ids teacher-forced feeds are built with: padding and the decoder's first input. */
export interface FeedIds {
  pad: number;
  decoderStart: number;
}

const OWN_FEED_IDS = { pad: SPECIAL_IDS.pad, decoderStart: SPECIAL_IDS.bos, eos: SPECIAL_IDS.eos };

function ids(rows: readonly ArrayLike<number>[], pad: number, prepend?: number): HostTensor {
  const p = padBatch(rows, pad, { dtype: "int64", prepend });
  return { dtype: "int64", dims: p.dims, data: p.data };
}

/**
 * The teacher-forced batch feeds of `pairs` (each tgt ending in EOS): src_ids, tgt_in = decoder start + y,
 * tgt_out = y + EOS, all padded with `feedIds.pad` (default: BOS and pad 0 of SPECIAL_IDS).
 */
export function batchFeeds(
  pairs: readonly TokenizedPair[],
  feedIds: FeedIds = OWN_FEED_IDS,
): Record<string, HostTensor> {
  const { pad, decoderStart } = feedIds;
  return {
    [IO.src]: ids(
      pairs.map((p) => p.src),
      pad,
    ),
    [IO.tgtIn]: ids(
      pairs.map((p) => Array.from(p.tgt).slice(0, -1)),
      pad,
      decoderStart,
    ),
    [IO.tgtOut]: ids(
      pairs.map((p) => p.tgt),
      pad,
    ),
  };
}

/** The default longest decoded output: twice the longest validation source plus 10, within the model's positions. */
export function decodeLimit(set: ValidationSet, modelConfig: Readonly<Record<string, unknown>>): number {
  const longest = Math.max(1, ...set.sources.map((s) => s.length));
  const positions = modelConfig["maxPositions"];
  // A decoder of maxPositions positions can take maxPositions − 1 generated tokens after its start token.
  return Math.min(2 * longest + 10, typeof positions === "number" ? positions - 1 : Number.POSITIVE_INFINITY);
}

/** Scores hypotheses against each source's references. */
export function scoreHypotheses(metric: ValidationMetric, hyps: string[], refs: string[][]): number {
  if (metric === "g2p") return g2pScore(hyps, refs).wordErrorRate;
  if (metric === "loss") throw new Error("the loss is not computed from hypotheses");
  const streams = Array.from({ length: Math.max(...refs.map((r) => r.length)) }, (_, k) =>
    refs.map((r) => r[k] ?? ""),
  );
  return computeMetric(metric, hyps, streams).score;
}

/** Runs validations of one model over one validation set; holds the loss graphs' sessions. */
export class Validator {
  private readonly sessions = new Map<number, OrtSession>();
  private readonly variants: readonly LossVariant[];

  constructor(
    private readonly model: Seq2SeqModel,
    private readonly layout: FlatLayout,
    private readonly set: ValidationSet,
    private readonly options: ValidatorOptions,
  ) {
    this.variants = lossVariants(model, { training: false, labelSmoothing: 0 });
  }

  private async lossSession(variant: number): Promise<OrtSession> {
    let session = this.sessions.get(variant);
    if (!session) {
      const graph = buildLossGraph(this.layout, this.variants[variant]!.build);
      session = await OrtSession.create(graph, this.options.session);
      this.sessions.set(variant, session);
    }
    return session;
  }

  /** The token-mean validation loss with flat parameters `params`. */
  async loss(params: Float32Array): Promise<number> {
    const plan = makeBatches(this.set.pairs, {
      maxTokens: this.options.maxTokens,
      seed: 0,
      epoch: 0,
      shuffle: false,
    });
    let total = 0;
    let tokens = 0;
    const P: HostTensor = { dtype: "float32", dims: [this.layout.total], data: params };
    for (const batch of plan.batches) {
      const variant = pickVariant(this.variants, batch.srcLen, batch.tgtLen);
      if (variant < 0) continue;
      const pairs = batch.indices.map((i) => this.set.pairs[i]!);
      const session = await this.lossSession(variant);
      const out = await session.run({ ...batchFeeds(pairs, this.options.ids), [STEP_IO.params]: P });
      const n = pairs.reduce((s, p) => s + p.tgt.length, 0);
      total += (out[STEP_IO.loss]!.data as Float32Array)[0]! * n;
      tokens += n;
    }
    if (tokens === 0) {
      throw new Error(
        `no validation pair fits a batch of train.maxTokens (${this.options.maxTokens}) or the model's lengths`,
      );
    }
    return total / tokens;
  }

  /** Greedy outputs (text) for every validation source, decoded in chunks of similar length. */
  async decode(params: Float32Array): Promise<string[]> {
    const runner = await Seq2SeqRunner.create(
      this.model,
      unflatten(this.layout, params),
      this.options.session,
    );
    try {
      const order = this.set.sources
        .map((_, i) => i)
        .sort((a, b) => this.set.sources[a]!.length - this.set.sources[b]!.length);
      const hyps = new Array<string>(order.length);
      for (let start = 0; start < order.length; start += 64) {
        const chunk = order.slice(start, start + 64);
        const out = await this.decodeRows(
          runner,
          chunk.map((i) => this.set.sources[i]!),
        );
        chunk.forEach((i, k) => {
          hyps[i] = this.options.target.decode(out[k]!, { skipSpecial: true });
        });
      }
      return hyps;
    } finally {
      await runner.release();
    }
  }

  /** Output ids (EOS left out) of source rows: greedy from the decoder start, or the generation config's search. */
  private async decodeRows(runner: Seq2SeqRunner, rows: number[][]): Promise<number[][]> {
    const { generation, maxLength } = this.options;
    if (!generation) {
      const { decoderStart, eos } = this.options.ids ?? OWN_FEED_IDS;
      return greedyDecode(runner, rows, { bos: decoderStart, eos, maxLength });
    }
    const { hypotheses } = await generateFromIds(runner, rows, generation);
    return hypotheses.map(([best]) =>
      best!.tokens.at(-1) === generation.eosTokenId ? best!.tokens.slice(0, -1) : best!.tokens,
    );
  }

  /** Validation loss, and the metric by greedy decoding (unless the metric is the loss). */
  async run(params: Float32Array): Promise<ValidationResult> {
    const loss = await this.loss(params);
    const { metric } = this.options;
    if (metric === "loss" || this.set.sources.length === 0) {
      return { loss, perplexity: Math.exp(loss), metric, value: loss, examples: [] };
    }
    const hyps = await this.decode(params);
    const value = scoreHypotheses(metric, hyps, this.set.references);
    const examples = hyps.slice(0, 3).map((hypothesis, i) => ({
      source: this.set.sourceTexts[i]!,
      hypothesis,
      reference: this.set.references[i]![0]!,
    }));
    return { loss, perplexity: Math.exp(loss), metric, value, examples };
  }

  async release(): Promise<void> {
    for (const session of this.sessions.values()) await session.release();
    this.sessions.clear();
  }
}

/**
 * Tracks the best value of a metric and how many validations have passed without improving on it. A tie
 * on the metric (common early on, e.g. exact match 0) is broken by the validation loss.
 */
export class MetricTracker {
  constructor(
    readonly metric: ValidationMetric,
    public best: number | null = null,
    public bestStep = 0,
    public bad = 0,
    public bestLoss = Number.POSITIVE_INFINITY,
  ) {}

  /** Records a validation; returns whether it is a new best. */
  update(value: number, loss: number, step: number): boolean {
    const strictlyBetter = (a: number, b: number) => (higherIsBetter(this.metric) ? a > b : a < b);
    const better =
      Number.isFinite(value) &&
      (this.best === null ||
        strictlyBetter(value, this.best) ||
        (value === this.best && loss < this.bestLoss));
    if (better) {
      this.best = value;
      this.bestLoss = loss;
      this.bestStep = step;
      this.bad = 0;
    } else {
      this.bad += 1;
    }
    return better;
  }
}
