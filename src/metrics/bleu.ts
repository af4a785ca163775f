// BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.x computes it: corpus and sentence level,
// 13a/intl/none tokenization, exp/floor/add-k/none smoothing, several references.
import { groupReferences } from "./references.ts";
import { formatSignature } from "./signature.ts";
import { type BleuTokenizerName, getBleuTokenizer, pyRstrip, pySplit } from "./tokenizers.ts";

/** sacreBLEU's smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (2), exp (3, NIST). */
export type SmoothMethod = "exp" | "floor" | "add-k" | "none";

/** All smoothing method names, for validation. */
export const SMOOTH_METHODS: readonly SmoothMethod[] = ["exp", "floor", "add-k", "none"];

/** Default smoothing values; `null` where the method takes none. */
const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = {
  exp: null,
  floor: 0.1,
  "add-k": 1,
  none: null,
};

/** BLEU options; every field has sacreBLEU's default. */
export interface BleuOptions {
  /** Lowercase hypotheses and references first (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Tokenizer applied after lowercasing. Default "13a". */
  tokenize?: BleuTokenizerName;
  /** Default "exp". */
  smoothMethod?: SmoothMethod;
  /** Value for floor (default 0.1) and add-k (default 1); ignored by exp and none. */
  smoothValue?: number;
  /** Highest n-gram order. Default 4. */
  maxOrder?: number;
  /** Average only over orders with n-grams in the hypothesis (sentence BLEU). Default false. */
  effectiveOrder?: boolean;
}

/** A BLEU score and its sufficient statistics, named like sacreBLEU's BLEUScore. */
export interface BleuScore {
  name: "BLEU";
  /** BLEU in [0, 100]. */
  score: number;
  /** Matched n-grams per order (add-k smoothing adds k for orders > 1, as sacreBLEU does). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Precisions in [0, 100] per order, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** Closest-reference length in tokens. */
  refLen: number;
  signature: string;
}

/** Sufficient statistics of one or more segments: [sysLen, refLen, correct[1..N], total[1..N]]. */
type BleuStats = number[];

interface ResolvedBleuOptions {
  lowercase: boolean;
  tokenize: BleuTokenizerName;
  smoothMethod: SmoothMethod;
  smoothValue: number | null;
  maxOrder: number;
  effectiveOrder: boolean;
}

function resolveOptions(options: BleuOptions): ResolvedBleuOptions {
  const smoothMethod = options.smoothMethod ?? "exp";
  if (!SMOOTH_METHODS.includes(smoothMethod)) {
    throw new Error(`unknown BLEU smoothing "${smoothMethod}" (valid: ${SMOOTH_METHODS.join(", ")})`);
  }
  return {
    lowercase: options.lowercase ?? false,
    tokenize: options.tokenize ?? "13a",
    smoothMethod,
    smoothValue: options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod],
    maxOrder: options.maxOrder ?? 4,
    effectiveOrder: options.effectiveOrder ?? false,
  };
}

/** The BLEU signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x-local`. */
export function bleuSignature(nrefs: number | "var", options: BleuOptions = {}): string {
  const o = resolveOptions(options);
  const smooth = o.smoothValue === null ? o.smoothMethod : `${o.smoothMethod}[${o.smoothValue.toFixed(2)}]`;
  return formatSignature([
    ["nrefs", nrefs],
    ["case", o.lowercase ? "lc" : "mixed"],
    ["eff", o.effectiveOrder],
    ["tok", o.tokenize],
    ["smooth", smooth],
  ]);
}

/** Counts the n-grams of orders 1..maxOrder of a token list: result[n - 1] maps "tok1 tok2 ..." to counts. */
export function countNgrams(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const byOrder: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    byOrder.push(counts);
  }
  return byOrder;
}

/** The reference length closest to the hypothesis length; ties go to the shorter reference. */
export function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let bestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && refLen < bestLen)) {
      bestDiff = diff;
      bestLen = refLen;
    }
  }
  return bestLen;
}

/** Statistics of one preprocessed segment against its preprocessed references (max counts over refs). */
function segmentStats(hyp: string, refs: readonly string[], maxOrder: number): BleuStats {
  const refNgrams = Array.from({ length: maxOrder }, () => new Map<string, number>());
  const refLens: number[] = [];
  for (const ref of refs) {
    const tokens = pySplit(ref);
    refLens.push(tokens.length);
    countNgrams(tokens, maxOrder).forEach((counts, order) => {
      const merged = refNgrams[order]!;
      for (const [ngram, count] of counts) merged.set(ngram, Math.max(merged.get(ngram) ?? 0, count));
    });
  }
  const hypTokens = pySplit(hyp);
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  countNgrams(hypTokens, maxOrder).forEach((counts, order) => {
    for (const [ngram, count] of counts) {
      total[order]! += count;
      correct[order]! += Math.min(count, refNgrams[order]!.get(ngram) ?? 0);
    }
  });
  return [hypTokens.length, closestRefLength(hypTokens.length, refLens), ...correct, ...total];
}

/** sacreBLEU's my_log: log, with log(0) floored to -9999999999. */
function flooredLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** Computes BLEU from summed statistics with smoothing (sacreBLEU's BLEU.compute_bleu). */
function computeBleu(stats: BleuStats, o: ResolvedBleuOptions, signature: string): BleuScore {
  const [sysLen, refLen] = [stats[0]!, stats[1]!];
  const counts = stats.slice(2, 2 + o.maxOrder);
  const totals = stats.slice(2 + o.maxOrder);
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(o.maxOrder).fill(0);
  const result: BleuScore = {
    name: "BLEU",
    score: 0,
    counts,
    totals,
    precisions,
    bp,
    sysLen,
    refLen,
    signature,
  };
  if (!counts.some((c) => c !== 0)) return result;

  const smoothValue = o.smoothValue ?? 0;
  let mtevalFactor = 1;
  let effOrder = o.maxOrder;
  for (let n = 1; n <= o.maxOrder; n++) {
    if (o.smoothMethod === "add-k" && n > 1) {
      counts[n - 1]! += smoothValue;
      totals[n - 1]! += smoothValue;
    }
    if (totals[n - 1] === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (counts[n - 1] === 0) {
      if (o.smoothMethod === "exp") {
        mtevalFactor *= 2;
        precisions[n - 1] = 100 / (mtevalFactor * totals[n - 1]!);
      } else if (o.smoothMethod === "floor") {
        precisions[n - 1] = (100 * smoothValue) / totals[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * counts[n - 1]!) / totals[n - 1]!;
    }
  }
  const logSum = precisions.slice(0, effOrder).reduce((sum, p) => sum + flooredLog(p), 0);
  result.score = bp * Math.exp(logSum / effOrder);
  return result;
}

function preprocess(sentence: string, o: ResolvedBleuOptions, tokenize: (line: string) => string): string {
  return tokenize(pyRstrip(o.lowercase ? sentence.toLowerCase() : sentence));
}

/**
 * Corpus BLEU as sacreBLEU's `corpus_bleu`.
 * @param hypotheses one string per segment
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: BleuOptions = {},
): BleuScore {
  const o = resolveOptions(options);
  const tokenize = getBleuTokenizer(o.tokenize);
  const { perSegment, nrefs } = groupReferences(hypotheses.length, references);
  const sum = new Array<number>(2 + 2 * o.maxOrder).fill(0);
  hypotheses.forEach((hyp, i) => {
    const refs = perSegment[i]!.map((ref) => preprocess(ref, o, tokenize));
    const stats = segmentStats(preprocess(hyp, o, tokenize), refs, o.maxOrder);
    stats.forEach((value, j) => {
      sum[j]! += value;
    });
  });
  return computeBleu(sum, o, bleuSignature(nrefs, options));
}

/**
 * Sentence BLEU as sacreBLEU's `sentence_bleu`: effective order on by default (signature `eff:yes`).
 * @param hypothesis one segment
 * @param references its references (one string each)
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): BleuScore {
  const merged: BleuOptions = { ...options, effectiveOrder: options.effectiveOrder ?? true };
  return corpusBleu(
    [hypothesis],
    references.map((ref) => [ref]),
    merged,
  );
}
