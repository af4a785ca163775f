// Exact-match accuracy: the share of hypotheses equal to one of their references, after collapsing
// whitespace (used for code generation such as NL-RX, where it lower-bounds semantic accuracy).
import { groupReferences } from "./references.ts";
import { formatSignature } from "./signature.ts";
import { pySplit } from "./tokenizers.ts";

/** Exact-match options. */
export interface ExactMatchOptions {
  /** Compare case-insensitively (signature `case:lc`). Default false. */
  lowercase?: boolean;
}

/** Exact-match accuracy in percent. */
export interface ExactMatchScore {
  name: "Exact";
  /** 100 × correct / total. */
  score: number;
  correct: number;
  total: number;
  signature: string;
}

/** The form compared: whitespace runs collapsed to one space, ends trimmed, optionally lowercased. */
export function normalizeForMatch(sentence: string, lowercase = false): string {
  const collapsed = pySplit(sentence).join(" ");
  return lowercase ? collapsed.toLowerCase() : collapsed;
}

/** The exact-match signature, e.g. `nrefs:1|case:mixed|version:2.x-local`. */
export function exactMatchSignature(nrefs: number | "var", options: ExactMatchOptions = {}): string {
  return formatSignature([
    ["nrefs", nrefs],
    ["case", options.lowercase ? "lc" : "mixed"],
  ]);
}

/**
 * Exact-match accuracy: a hypothesis is correct when it equals ANY of its references.
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function exactMatch(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: ExactMatchOptions = {},
): ExactMatchScore {
  const { perSegment, nrefs } = groupReferences(hypotheses.length, references);
  const norm = (s: string): string => normalizeForMatch(s, options.lowercase);
  let correct = 0;
  hypotheses.forEach((hyp, i) => {
    const h = norm(hyp);
    if (perSegment[i]!.some((ref) => norm(ref) === h)) correct++;
  });
  const total = hypotheses.length;
  return {
    name: "Exact",
    score: total > 0 ? (100 * correct) / total : 0,
    correct,
    total,
    signature: exactMatchSignature(nrefs, options),
  };
}
