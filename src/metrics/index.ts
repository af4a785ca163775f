// The metrics library's front door: every metric under one name, `evaluate()` for the CLI and the server,
// and re-exports of the individual metrics.
import { type BleuScore, corpusBleu, type SmoothMethod } from "./bleu.ts";
import { breakdownByLength, type LengthBreakdown, type LengthBucketOptions } from "./by-length.ts";
import { type ChrfScore, corpusChrf } from "./chrf.ts";
import { corpusErrorRate, type ErrorRateScore, levenshtein } from "./edit-distance.ts";
import { type ExactMatchScore, exactMatch } from "./exact-match.ts";
import type { EquivalenceOptions } from "./regex/equivalence.ts";
import { corpusSemanticAccuracy, type SemanticAccuracyScore } from "./regex/semantic-accuracy.ts";
import { corpusTer, type TerOptions, type TerScore } from "./ter.ts";
import type { BleuTokenizerName } from "./tokenizers.ts";

export * from "./bleu.ts";
export * from "./by-length.ts";
export * from "./chrf.ts";
export * from "./edit-distance.ts";
export * from "./exact-match.ts";
export * from "./g2p.ts";
export * from "./references.ts";
export * from "./regex/index.ts";
export * from "./signature.ts";
export * from "./ter.ts";
export * from "./ter-tokenizer.ts";
export * from "./tokenizers.ts";

/**
 * Names accepted by `evaluate()` and `seq2seq eval --metrics`. "regex" is semantic accuracy for English ->
 * regex (NL-RX): the share of predictions accepting the same language as a reference (exact match inside).
 */
export type MetricName = "bleu" | "chrf" | "ter" | "wer" | "cer" | "per" | "exact" | "regex";

/** All metric names, in display order. */
export const METRIC_NAMES: readonly MetricName[] = [
  "bleu",
  "chrf",
  "ter",
  "wer",
  "cer",
  "per",
  "exact",
  "regex",
];

/** Any metric's score: each has a display `name`, a `score` and a `signature`, plus its own details. */
export type MetricScore =
  | BleuScore
  | ChrfScore
  | TerScore
  | ErrorRateScore
  | ExactMatchScore
  | SemanticAccuracyScore;

/**
 * The "regex" metric's wall-clock budget per comparison when none is given: a pathological prediction
 * (e.g. nested counted repeats from an untrained model) counts as wrong after this long instead of
 * stalling a validation. The data's own pairs take milliseconds.
 */
export const REGEX_TIMEOUT_MS = 1000;

/** Options shared by `evaluate()`; each metric reads the ones that apply to it. */
export interface EvaluateOptions {
  /** Lowercase for BLEU, chrF, WER/CER/PER and exact match (TER lowercases unless `ter.caseSensitive`). */
  lowercase?: boolean;
  /** BLEU tokenizer. Default "13a". */
  tokenize?: BleuTokenizerName;
  /** BLEU smoothing. Default "exp". */
  smoothMethod?: SmoothMethod;
  /** BLEU smoothing value for floor / add-k. */
  smoothValue?: number;
  /** chrF settings (word order 2 = chrF++). */
  chrf?: {
    charOrder?: number;
    wordOrder?: number;
    beta?: number;
    whitespace?: boolean;
    epsSmoothing?: boolean;
  };
  /** TER tokenizer settings. */
  ter?: TerOptions;
  /** Semantic accuracy ("regex"): placeholder words and budgets; timeoutMs defaults to REGEX_TIMEOUT_MS. */
  regex?: EquivalenceOptions;
}

/** Splits "bleu,chrf" into metric names; an unknown name throws, naming the valid ones and the nearest. */
export function parseMetricNames(list: string): MetricName[] {
  const names = list
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new Error(`no metric names given (valid: ${METRIC_NAMES.join(", ")})`);
  for (const name of names) {
    if (!(METRIC_NAMES as readonly string[]).includes(name)) {
      const nearest = [...METRIC_NAMES].sort(
        (a, b) => levenshtein([...name], [...a]) - levenshtein([...name], [...b]),
      )[0];
      throw new Error(
        `unknown metric "${name}" (valid: ${METRIC_NAMES.join(", ")}; did you mean "${nearest}"?)`,
      );
    }
  }
  return [...new Set(names)] as MetricName[];
}

/** Computes one metric over a corpus. references[k][i] is the k-th reference of segment i. */
export function computeMetric(
  metric: MetricName,
  hypotheses: readonly string[],
  references: readonly string[][],
  options: EvaluateOptions = {},
): MetricScore {
  const lowercase = options.lowercase ?? false;
  switch (metric) {
    case "bleu":
      return corpusBleu(hypotheses, references, {
        lowercase,
        tokenize: options.tokenize,
        smoothMethod: options.smoothMethod,
        smoothValue: options.smoothValue,
      });
    case "chrf":
      return corpusChrf(hypotheses, references, { ...options.chrf, lowercase });
    case "ter":
      return corpusTer(hypotheses, references, options.ter);
    case "wer":
      return corpusErrorRate(hypotheses, references, "word", { lowercase });
    case "cer":
      return corpusErrorRate(hypotheses, references, "char", { lowercase });
    case "per":
      return corpusErrorRate(hypotheses, references, "phoneme", { lowercase });
    case "exact":
      return exactMatch(hypotheses, references, { lowercase });
    case "regex":
      return corpusSemanticAccuracy(hypotheses, references, {
        ...options.regex,
        timeoutMs: options.regex?.timeoutMs ?? REGEX_TIMEOUT_MS,
      });
  }
}

/** Scores keyed by metric name, in the order asked for. */
export type EvaluationResult = Partial<Record<MetricName, MetricScore>>;

/**
 * Computes several metrics over one corpus.
 * @param hypotheses one string per segment
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function evaluate(
  hypotheses: readonly string[],
  references: readonly string[][],
  metrics: readonly MetricName[],
  options: EvaluateOptions = {},
): EvaluationResult {
  const result: EvaluationResult = {};
  for (const metric of metrics) result[metric] = computeMetric(metric, hypotheses, references, options);
  return result;
}

/** Computes several metrics per source-length bucket (see `bucketBySourceLength`). */
export function evaluateByLength(
  sources: readonly string[],
  hypotheses: readonly string[],
  references: readonly string[][],
  metrics: readonly MetricName[],
  options: EvaluateOptions = {},
  buckets: LengthBucketOptions = {},
): LengthBreakdown<EvaluationResult>[] {
  return breakdownByLength(
    sources,
    hypotheses,
    references,
    (hyps, refs) => evaluate(hyps, refs, metrics, options),
    buckets,
  );
}
