// Semantic accuracy for English -> regex (NL-RX): the share of predicted expressions that accept the
// same language as their reference, as Locascio et al. (2016) report it, next to exact match.
import { normalizeForMatch } from "../exact-match.ts";
import { groupReferences } from "../references.ts";
import { formatSignature } from "../signature.ts";
import { Alphabet, DEEP_REGEX_PLACEHOLDERS } from "./alphabet.ts";
import { compareRegex, type EquivalenceOptions } from "./equivalence.ts";
import { parseRegex, type RegexNode } from "./parse.ts";

/** What happened to one prediction. */
export type SegmentVerdict = "exact" | "equivalent" | "different" | "unparsable" | "unknown";

/** Semantic accuracy over a corpus. `accuracy` and `exactMatch` are fractions; `score` is a percentage. */
export interface SemanticAccuracyScore {
  name: "SemAcc";
  /** 100 × accuracy (the form the other metrics use). */
  score: number;
  /** Share of predictions equivalent to their reference (exact matches included), in [0, 1]. */
  accuracy: number;
  /** Share of predictions equal to their reference as token strings (whitespace collapsed), in [0, 1]. */
  exactMatch: number;
  correct: number;
  exactCorrect: number;
  /** Predictions that did not parse (counted as wrong). */
  unparsable: number;
  /** Pairs the checker gave up on within its budget (counted as wrong). */
  unknown: number;
  total: number;
  /** One verdict per segment, for error analysis. */
  verdicts: SegmentVerdict[];
  signature: string;
}

/** The parsed reference; throws naming its line when it does not parse or uses an unknown placeholder. */
function parseReference(reference: string, index: number, options: EquivalenceOptions): RegexNode {
  try {
    const node = parseRegex(reference);
    Alphabet.forExpressions([node], options.placeholders ?? DEEP_REGEX_PLACEHOLDERS);
    return node;
  } catch (error) {
    throw new Error(`reference ${index + 1}: ${(error as Error).message}`);
  }
}

/** The prediction parsed, or null when it does not parse or names a placeholder without a word. */
function parsePrediction(prediction: string, options: EquivalenceOptions): RegexNode | null {
  try {
    const node = parseRegex(prediction);
    Alphabet.forExpressions([node], options.placeholders ?? DEEP_REGEX_PLACEHOLDERS);
    return node;
  } catch {
    return null;
  }
}

/** compareRegex's verdict; anything it throws on (not expected after parsing) counts as unparsable. */
function compare(predicted: RegexNode, reference: RegexNode, options: EquivalenceOptions): SegmentVerdict {
  try {
    return compareRegex(predicted, reference, options).verdict;
  } catch {
    return "unparsable";
  }
}

/** Verdicts from best to worst: when a segment has several references, the best one counts. */
const VERDICT_RANK: readonly SegmentVerdict[] = ["exact", "equivalent", "unknown", "different", "unparsable"];

/** Verdict for one segment against its references (parsed alongside their text). */
function judge(
  prediction: string,
  references: ReadonlyArray<{ text: string; node: RegexNode }>,
  options: EquivalenceOptions,
): SegmentVerdict {
  const normalized = normalizeForMatch(prediction);
  if (references.some((ref) => normalizeForMatch(ref.text) === normalized)) return "exact";
  const predicted = parsePrediction(prediction, options);
  if (predicted === null) return "unparsable";
  let best: SegmentVerdict = "unparsable";
  for (const ref of references) {
    const verdict = compare(predicted, ref.node, options);
    if (VERDICT_RANK.indexOf(verdict) < VERDICT_RANK.indexOf(best)) best = verdict;
    if (verdict === "equivalent") break;
  }
  return best;
}

/**
 * Semantic accuracy: prediction i is correct when it accepts the same strings as reference i
 * (decided by compareRegex, placeholders read as the published checker's words). Exact matches are
 * correct without a check; a prediction that does not parse, and a pair the checker gives up on within
 * its budgets (`maxStates`, `maxTerms`, `timeoutMs`), is wrong. Throws when the lengths differ or a
 * reference does not parse (naming its 1-based line).
 */
export function semanticAccuracy(
  predictions: readonly string[],
  references: readonly string[],
  options: EquivalenceOptions = {},
): SemanticAccuracyScore {
  if (predictions.length !== references.length) {
    throw new Error(`${predictions.length} predictions but ${references.length} references`);
  }
  return corpusSemanticAccuracy(predictions, [[...references]], options);
}

/**
 * Semantic accuracy with several references per segment: a prediction is correct when it is equivalent
 * to ANY of its non-empty references (as exact match counts a match with any).
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function corpusSemanticAccuracy(
  predictions: readonly string[],
  references: readonly string[][],
  options: EquivalenceOptions = {},
): SemanticAccuracyScore {
  const { perSegment } = groupReferences(predictions.length, references);
  const verdicts = predictions.map((prediction, i): SegmentVerdict => {
    const refs = perSegment[i]!.map((text) => ({ text, node: parseReference(text, i, options) }));
    return judge(prediction, refs, options);
  });
  const count = (...kinds: SegmentVerdict[]): number => verdicts.filter((v) => kinds.includes(v)).length;
  const total = verdicts.length;
  const correct = count("exact", "equivalent");
  const exactCorrect = count("exact");
  const accuracy = total > 0 ? correct / total : 0;
  return {
    name: "SemAcc",
    score: 100 * accuracy,
    accuracy,
    exactMatch: total > 0 ? exactCorrect / total : 0,
    correct,
    exactCorrect,
    unparsable: count("unparsable"),
    unknown: count("unknown"),
    total,
    verdicts,
    signature: semanticAccuracySignature(options),
  };
}

/** e.g. `placeholders:deep-regex|equiv:derivatives|version:2.x-local`. */
export function semanticAccuracySignature(options: EquivalenceOptions = {}): string {
  const custom = options.placeholders !== undefined && options.placeholders !== DEEP_REGEX_PLACEHOLDERS;
  return formatSignature([
    ["placeholders", custom ? "custom" : "deep-regex"],
    ["equiv", "derivatives"],
  ]);
}
