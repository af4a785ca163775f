// The regex metrics' public API: the NL-RX dialect's parser, the language-equivalence check and
// semantic accuracy (the score Locascio et al. 2016 report for English -> regex).
export { Alphabet, DEEP_REGEX_PLACEHOLDERS } from "./alphabet.ts";
export { RegexLimitError, type Term, TermTable } from "./derivatives.ts";
export {
  compareRegex,
  type EquivalenceOptions,
  type EquivalenceResult,
  type EquivalenceVerdict,
  regexEquivalent,
  regexMatches,
} from "./equivalence.ts";
export {
  CHAR_CLASS_NAMES,
  type CharClassName,
  parseRegex,
  printRegex,
  type RegexNode,
  RegexParseError,
  tokenizeRegex,
} from "./parse.ts";
export {
  corpusSemanticAccuracy,
  type SegmentVerdict,
  type SemanticAccuracyScore,
  semanticAccuracy,
  semanticAccuracySignature,
} from "./semantic-accuracy.ts";
