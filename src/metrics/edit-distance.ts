// Levenshtein distance and the error rates built on it: WER (words), CER (characters) and PER (phonemes,
// i.e. whitespace-separated symbols), each summed edits over summed reference lengths across the corpus.
import { groupReferences } from "./references.ts";
import { formatSignature } from "./signature.ts";
import { codePoints, pySplit } from "./tokenizers.ts";

/** Unit compared by an error rate: whitespace-separated words, characters, or phoneme symbols. */
export type ErrorRateUnit = "word" | "char" | "phoneme";

/** Error-rate options. */
export interface ErrorRateOptions {
  /** Lowercase hypotheses and references first (signature `case:lc`). Default false. */
  lowercase?: boolean;
}

/** A corpus error rate: 100 × total edits / total length of the chosen references. */
export interface ErrorRateScore {
  /** "WER", "CER" or "PER". */
  name: string;
  /** The rate in percent; can exceed 100 when hypotheses are longer than references. */
  score: number;
  /** Total edits (insertions + deletions + substitutions) against the closest references. */
  edits: number;
  /** Total length of the closest references, in units. */
  refLength: number;
  signature: string;
}

/** Levenshtein distance between two sequences (unit costs), in O(|a|·|b|) time and O(|b|) memory. */
export function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let curr = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      curr[j] = Math.min(substitution, prev[j]! + 1, curr[j - 1]! + 1);
    }
    [prev, curr] = [curr, prev];
  }
  return prev[b.length]!;
}

/** Splits a sentence into units: words and phonemes on whitespace, characters as code points
 * of the sentence with whitespace runs collapsed to one space and the ends trimmed. */
export function splitUnits(sentence: string, unit: ErrorRateUnit): string[] {
  const tokens = pySplit(sentence);
  return unit === "char" ? codePoints(tokens.join(" ")) : tokens;
}

/**
 * The closest reference to a hypothesis: the fewest edits, the first in order on ties.
 * @returns its edit distance and its length
 */
export function closestReference<T>(
  hyp: readonly T[],
  refs: readonly (readonly T[])[],
): { edits: number; length: number } {
  let best = { edits: Number.POSITIVE_INFINITY, length: 0 };
  for (const ref of refs) {
    const edits = levenshtein(hyp, ref);
    if (edits < best.edits) best = { edits, length: ref.length };
  }
  return best;
}

const UNIT_NAMES: Record<ErrorRateUnit, string> = { word: "WER", char: "CER", phoneme: "PER" };

/** The error-rate signature, e.g. `nrefs:1|case:mixed|unit:word|version:2.x-local`. */
export function errorRateSignature(
  nrefs: number | "var",
  unit: ErrorRateUnit,
  options: ErrorRateOptions = {},
): string {
  return formatSignature([
    ["nrefs", nrefs],
    ["case", options.lowercase ? "lc" : "mixed"],
    ["unit", unit],
  ]);
}

/**
 * A corpus error rate over units; with several references each segment uses its closest one.
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function corpusErrorRate(
  hypotheses: readonly string[],
  references: readonly string[][],
  unit: ErrorRateUnit,
  options: ErrorRateOptions = {},
): ErrorRateScore {
  const { perSegment, nrefs } = groupReferences(hypotheses.length, references);
  const units = (s: string): string[] => splitUnits(options.lowercase ? s.toLowerCase() : s, unit);
  let edits = 0;
  let refLength = 0;
  hypotheses.forEach((hyp, i) => {
    const closest = closestReference(units(hyp), perSegment[i]!.map(units));
    edits += closest.edits;
    refLength += closest.length;
  });
  let score = 0;
  if (refLength > 0) score = (100 * edits) / refLength;
  else if (edits > 0) score = 100;
  return {
    name: UNIT_NAMES[unit],
    score,
    edits,
    refLength,
    signature: errorRateSignature(nrefs, unit, options),
  };
}

/** Word error rate: word edit distance over reference words, summed over the corpus. */
export function corpusWer(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: ErrorRateOptions = {},
): ErrorRateScore {
  return corpusErrorRate(hypotheses, references, "word", options);
}

/** Character error rate: character edit distance over reference characters, summed over the corpus. */
export function corpusCer(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: ErrorRateOptions = {},
): ErrorRateScore {
  return corpusErrorRate(hypotheses, references, "char", options);
}

/** Phoneme error rate: edit distance over space-separated phonemes / reference phonemes, summed over the corpus. */
export function corpusPer(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: ErrorRateOptions = {},
): ErrorRateScore {
  return corpusErrorRate(hypotheses, references, "phoneme", options);
}
