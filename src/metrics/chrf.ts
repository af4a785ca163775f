// chrF (Popović 2015) and chrF++ (Popović 2017) exactly as sacreBLEU 2.x computes them: character
// n-grams without whitespace, optional word n-grams, best reference by sentence F-score.
import { groupReferences } from "./references.ts";
import { formatSignature } from "./signature.ts";
import { codePoints, pySplit } from "./tokenizers.ts";

/** chrF options; every field has sacreBLEU's default. Word order 2 gives chrF++. */
export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF, 2 for chrF++. Default 0. */
  wordOrder?: number;
  /** Recall weight. Default 2. */
  beta?: number;
  /** Lowercase first (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams. Default false. */
  whitespace?: boolean;
  /** chrF++.py-style epsilon smoothing instead of effective-order averaging (signature `eff:no`). Default false. */
  epsSmoothing?: boolean;
}

/** A chrF score, e.g. name "chrF2" or "chrF2++". */
export interface ChrfScore {
  /** chrF in [0, 100]. */
  score: number;
  name: string;
  charOrder: number;
  wordOrder: number;
  beta: number;
  signature: string;
}

type ResolvedChrfOptions = Required<ChrfOptions>;

function resolveOptions(options: ChrfOptions): ResolvedChrfOptions {
  return {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
}

/** The chrF signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.x-local`. */
export function chrfSignature(nrefs: number | "var", options: ChrfOptions = {}): string {
  const o = resolveOptions(options);
  return formatSignature([
    ["nrefs", nrefs],
    ["case", o.lowercase ? "lc" : "mixed"],
    ["eff", !o.epsSmoothing],
    ["nc", o.charOrder],
    ["nw", o.wordOrder],
    ["space", o.whitespace],
  ]);
}

// Python's string.punctuation, split off word edges for chrF++'s word n-grams.
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

/** chrF++'s primitive tokenization: splits one leading or trailing ASCII punctuation mark off each word. */
export function separatePunctuation(sentence: string): string[] {
  const words: string[] = [];
  for (const word of pySplit(sentence)) {
    const chars = codePoints(word);
    if (chars.length === 1) {
      words.push(word);
    } else if (PUNCTUATION.has(chars[chars.length - 1]!)) {
      words.push(chars.slice(0, -1).join(""), chars[chars.length - 1]!);
    } else if (PUNCTUATION.has(chars[0]!)) {
      words.push(chars[0]!, chars.slice(1).join(""));
    } else {
      words.push(word);
    }
  }
  return words;
}

function countSequences(units: readonly string[], n: number, separator: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(separator);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** All n-gram counters of a sentence: character orders 1..charOrder, then word orders 1..wordOrder. */
function extractNgrams(sentence: string, o: ResolvedChrfOptions): Map<string, number>[] {
  const text = o.whitespace ? sentence : pySplit(sentence).join("");
  const chars = codePoints(text);
  const result: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) result.push(countSequences(chars, n, ""));
  if (o.wordOrder > 0) {
    const words = separatePunctuation(sentence);
    for (let n = 1; n <= o.wordOrder; n++) result.push(countSequences(words, n, " "));
  }
  return result;
}

/** [hyp count (0 if the reference has none of this order), ref count, matches] for one order. */
function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let hypCount = 0;
  let matches = 0;
  for (const [ngram, count] of hyp) {
    hypCount += count;
    matches += Math.min(count, ref.get(ngram) ?? 0);
  }
  let refCount = 0;
  for (const count of ref.values()) refCount += count;
  return [ref.size > 0 ? hypCount : 0, refCount, matches];
}

/** The F-beta score in [0, 100] from flattened [hyp, ref, match] triples (sacreBLEU's _compute_f_score). */
function fScore(stats: readonly number[], o: ResolvedChrfOptions): number {
  const eps = 1e-16;
  const factor = o.beta ** 2;
  const order = o.charOrder + o.wordOrder;
  let epsScore = 0;
  let avgPrec = 0;
  let avgRec = 0;
  let effectiveOrder = 0;
  for (let i = 0; i < order; i++) {
    const [nHyp, nRef, nMatch] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!];
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    epsScore += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * epsScore) / order;
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
}

/** Statistics of one segment against the reference with the best sentence-level F-score (first wins ties). */
function segmentStats(hyp: string, refs: readonly string[], o: ResolvedChrfOptions): number[] {
  const hypNgrams = extractNgrams(hyp, o);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const refNgrams = extractNgrams(ref, o);
    const stats = hypNgrams.flatMap((counts, k) => matchStats(counts, refNgrams[k]!));
    const f = fScore(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/**
 * Corpus chrF / chrF++ as sacreBLEU's `corpus_chrf`.
 * @param hypotheses one string per segment
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: ChrfOptions = {},
): ChrfScore {
  const o = resolveOptions(options);
  const { perSegment, nrefs } = groupReferences(hypotheses.length, references);
  const prep = (s: string): string => (o.lowercase ? s.toLowerCase() : s);
  const sum = new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
  hypotheses.forEach((hyp, i) => {
    const stats = segmentStats(prep(hyp), perSegment[i]!.map(prep), o);
    stats.forEach((value, j) => {
      sum[j]! += value;
    });
  });
  return {
    score: fScore(sum, o),
    name: `chrF${o.beta}${"+".repeat(o.wordOrder)}`,
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
    signature: chrfSignature(nrefs, options),
  };
}

/** Sentence chrF as sacreBLEU's `sentence_chrf`. */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ChrfScore {
  return corpusChrf(
    [hypothesis],
    references.map((ref) => [ref]),
    options,
  );
}
