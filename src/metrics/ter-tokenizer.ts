// The Tercom normaliser as sacreBLEU 2.x's TercomTokenizer applies it before TER: lowercasing,
// optional punctuation tokenization (Western and CJK), optional punctuation removal.
import { pySplit } from "./tokenizers.ts";

/** TER preprocessing options; every field has sacreBLEU's default. */
export interface TerTokenizerOptions {
  /** Keep case (signature `case:mixed`); by default TER lowercases (`case:lc`). */
  caseSensitive?: boolean;
  /** Tokenize punctuation and unescape XML entities like Tercom's normaliser (`norm:yes`). Default false. */
  normalized?: boolean;
  /** Remove punctuation (`punct:no`). Default false. */
  noPunct?: boolean;
  /** Split CJK characters (with `normalized`) and remove CJK punctuation (with `noPunct`). Default false. */
  asianSupport?: boolean;
}

const ASIAN_PUNCT = /([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])/gu;
const FULL_WIDTH_PUNCT = /([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])/gu;

// Tercom's general and Western normalisation, in order (after padding the sentence with spaces).
const WESTERN_RULES: readonly [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@/])/gu, " $1 "],
  [/'s /gu, " 's "],
  [/'s$/gu, " 's"],
  [/([^0-9])([.,])/gu, "$1 $2 "],
  [/([.,])([^0-9])/gu, " $1 $2"],
  [/([0-9])(-)/gu, "$1 $2 "],
];

// CJK splitting; the kana rules only fire when the whole sentence is one kana run, as in sacreBLEU.
const ASIAN_RULES: readonly [RegExp, string][] = [
  [/([\u4e00-\u9fff\u3400-\u4dbf])/gu, " $1 "],
  [/([\u31c0-\u31ef\u2e80-\u2eff])/gu, " $1 "],
  [/([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])/gu, " $1 "],
  [/([\u3200-\u3f22])/gu, " $1 "],
  [/(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])/gu, "$1 $2 "],
  [/(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])/gu, "$1 $2 "],
  [/(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])/gu, "$1 $2 "],
  [ASIAN_PUNCT, " $1 "],
  [FULL_WIDTH_PUNCT, " $1 "],
];

function applyRules(text: string, rules: readonly [RegExp, string][]): string {
  let result = text;
  for (const [pattern, replacement] of rules) result = result.replace(pattern, replacement);
  return result;
}

function normalizeWestern(sentence: string): string {
  const text = sentence
    .replaceAll("\n-", "")
    .replaceAll("\n", " ")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">");
  return applyRules(` ${text} `, WESTERN_RULES);
}

/** Applies sacreBLEU's TercomTokenizer to one sentence: words separated by single spaces. */
export function tokenizeTercom(sentence: string, options: TerTokenizerOptions = {}): string {
  if (sentence === "") return "";
  let text = options.caseSensitive ? sentence : sentence.toLowerCase();
  if (options.normalized) {
    text = normalizeWestern(text);
    if (options.asianSupport) text = applyRules(text, ASIAN_RULES);
  }
  if (options.noPunct) {
    text = text.replace(/[.,?:;!"()]/gu, "");
    if (options.asianSupport) text = text.replace(ASIAN_PUNCT, "").replace(FULL_WIDTH_PUNCT, "");
  }
  return pySplit(text).join(" ");
}
