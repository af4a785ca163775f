// Tokenizers and string helpers that reproduce sacreBLEU 2.x preprocessing character for character.
// Python's str.split()/rstrip() use a wider whitespace set than JavaScript's \s; we mirror Python's.

/** The characters Python's `str.isspace()` accepts (also what Python's `re` `\s` matches). */
const PY_WHITESPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, "u");
const PY_TRAILING_WHITESPACE = new RegExp(`[${PY_WHITESPACE}]+$`, "u");

/** Python's `s.split()`: splits on runs of whitespace and drops empty pieces. */
export function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE_RUN).filter((piece) => piece.length > 0);
}

/** Python's `s.rstrip()`: removes trailing whitespace. */
export function pyRstrip(text: string): string {
  return text.replace(PY_TRAILING_WHITESPACE, "");
}

/** Splits a string into Unicode code points (Python's indexing unit), not UTF-16 code units. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/** Names of the BLEU tokenizers we implement (sacreBLEU's `--tokenize` values). */
export type BleuTokenizerName = "13a" | "intl" | "none";

/** All BLEU tokenizer names, for validation and help texts. */
export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ["13a", "intl", "none"];

// mteval-v13a's language-dependent part, applied in order (sacreBLEU's TokenizerRegexp).
const RULES_13A: readonly [RegExp, string][] = [
  // ASCII punctuation and symbols: { | } ~  [ \ ] ^ _ `  space ! " # $ % &  ( ) * +  : ; < = > ? @  /
  [/([{-~[-` -&(-+:-@/])/gu, " $1 "],
  // period and comma unless preceded by a digit
  [/([^0-9])([.,])/gu, "$1 $2 "],
  // period and comma unless followed by a digit
  [/([.,])([^0-9])/gu, " $1 $2"],
  // dash when preceded by a digit
  [/([0-9])(-)/gu, "$1 $2 "],
];

/** sacreBLEU's default `13a` tokenizer (mteval-v13a.pl): unescapes a few XML entities, splits punctuation. */
export function tokenize13a(line: string): string {
  let text = line
    .replaceAll("<skipped>", "")
    .replaceAll("-\n", "")
    .replaceAll("\n", " ")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">");
  text = ` ${text} `;
  for (const [pattern, replacement] of RULES_13A) text = text.replace(pattern, replacement);
  return pySplit(text).join(" ");
}

// mteval-v14's international tokenization on Unicode categories (sacreBLEU's TokenizerV14International).
const RULES_INTL: readonly [RegExp, string][] = [
  // punctuation preceded by a non-digit
  [/(\P{N})(\p{P})/gu, "$1 $2 "],
  // punctuation followed by a non-digit
  [/(\p{P})(\P{N})/gu, " $1 $2"],
  // every symbol
  [/(\p{S})/gu, " $1 "],
];

/** sacreBLEU's `intl` tokenizer: splits Unicode punctuation (except between digits) and symbols. */
export function tokenizeIntl(line: string): string {
  let text = line;
  for (const [pattern, replacement] of RULES_INTL) text = text.replace(pattern, replacement);
  return pySplit(text).join(" ");
}

/** sacreBLEU's `none` tokenizer: the line unchanged. */
export function tokenizeNone(line: string): string {
  return line;
}

/** Returns the BLEU tokenizer function for a name; throws naming the valid names otherwise. */
export function getBleuTokenizer(name: string): (line: string) => string {
  switch (name) {
    case "13a":
      return tokenize13a;
    case "intl":
      return tokenizeIntl;
    case "none":
      return tokenizeNone;
    default:
      throw new Error(`unknown tokenizer "${name}" (valid: ${BLEU_TOKENIZERS.join(", ")})`);
  }
}
