// Training the character and word tokenizers from texts. Both are saved as plain tokenizer.json files:
// char = BPE with no merges, no pre-tokenizer and a Fuse decoder; word = WordLevel after a whitespace split.

import { Tokenizer as RustTokenizer } from "tokenizers";
import { JsonTokenizer } from "./json-tokenizer.ts";
import { specialAddedTokens } from "./special-tokens.ts";
import { type ComponentJson, SPECIAL_TOKEN_LIST, SPECIAL_TOKENS, type TokenizerJson } from "./tokenizer.ts";

export interface SimpleTokenizerOptions {
  /** Lowercase the text before tokenizing. Default false. */
  lowercase?: boolean;
  /** Unicode NFC normalisation (composes "a" + combining diaeresis into "ä"). Default true. */
  nfc?: boolean;
  /** Keep only symbols seen at least this often. Default 1. */
  minCount?: number;
  /** Largest vocabulary, the 4 special tokens included; the most frequent symbols are kept. Default: no cap. */
  maxVocabSize?: number;
}

export interface WordTokenizerOptions extends SimpleTokenizerOptions {
  /** Split punctuation off words ("Hund." -> "Hund", "."), runs of punctuation stay together. Default true. */
  splitPunctuation?: boolean;
}

/** The normalizer of our trained tokenizers: NFC and/or lowercase, or none. */
export function normalizerJson(options: { nfc?: boolean; lowercase?: boolean }): ComponentJson | null {
  const parts: ComponentJson[] = [];
  if (options.nfc ?? true) parts.push({ type: "NFC" });
  if (options.lowercase ?? false) parts.push({ type: "Lowercase" });
  return parts.length === 0 ? null : { type: "Sequence", normalizers: parts };
}

function baseJson(
  normalizer: ComponentJson | null,
  preTokenizer: ComponentJson | null,
  decoder: ComponentJson | null,
): Omit<TokenizerJson, "model"> {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialAddedTokens(),
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder,
  };
}

/** Vocabulary: specials at 0-3, then symbols by falling count (ties in code-point order), filtered and capped. */
function selectVocab(counts: Map<string, number>, options: SimpleTokenizerOptions): Record<string, number> {
  const minCount = options.minCount ?? 1;
  const max = options.maxVocabSize;
  if (max !== undefined && max <= SPECIAL_TOKEN_LIST.length) {
    throw new Error(
      `maxVocabSize must be larger than the ${SPECIAL_TOKEN_LIST.length} special tokens, got ${max}`,
    );
  }
  const specials = new Set<string>(SPECIAL_TOKEN_LIST);
  const symbols = [...counts]
    .filter(([symbol, count]) => count >= minCount && !specials.has(symbol))
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .map(([symbol]) => symbol);
  const kept = max === undefined ? symbols : symbols.slice(0, max - SPECIAL_TOKEN_LIST.length);
  const vocab: Record<string, number> = {};
  [...SPECIAL_TOKEN_LIST, ...kept].forEach((token, id) => {
    vocab[token] = id;
  });
  return vocab;
}

/** Normalizer and pre-tokenizer of `json`, run by the Rust binding exactly as encode() will run them. */
function pieceSplitter(json: TokenizerJson): (text: string) => string[] {
  const rust = RustTokenizer.fromString(JSON.stringify(json));
  const normalizer = rust.getNormalizer();
  const preTokenizer = rust.getPreTokenizer();
  return (text) => {
    const normalized = normalizer ? normalizer.normalizeString(text) : text;
    return preTokenizer ? preTokenizer.preTokenizeString(normalized).map(([p]) => p) : [normalized];
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * A character tokenizer (Unicode code points) trained on `texts`.
 * Special tokens <pad> <s> </s> <unk> have ids 0-3; unseen characters encode as <unk>.
 */
export function trainCharTokenizer(
  texts: readonly string[],
  options: SimpleTokenizerOptions = {},
): JsonTokenizer {
  const json: TokenizerJson = {
    ...baseJson(normalizerJson(options), null, { type: "Fuse" }),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: SPECIAL_TOKENS.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: {},
      merges: [],
    },
  };
  const split = pieceSplitter(json);
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of split(text)) for (const ch of piece) increment(counts, ch);
  }
  json.model.vocab = selectVocab(counts, options);
  return new JsonTokenizer(json);
}

/**
 * A word tokenizer trained on `texts`: whitespace split (and punctuation split unless turned off),
 * words below `minCount` or beyond `maxVocabSize` encode as <unk>. Decoding joins words with spaces.
 */
export function trainWordTokenizer(
  texts: readonly string[],
  options: WordTokenizerOptions = {},
): JsonTokenizer {
  const split: ComponentJson = { type: "WhitespaceSplit" };
  const preTokenizer: ComponentJson =
    (options.splitPunctuation ?? true)
      ? { type: "Sequence", pretokenizers: [split, { type: "Punctuation", behavior: "Contiguous" }] }
      : split;
  const json: TokenizerJson = {
    ...baseJson(normalizerJson(options), preTokenizer, null),
    model: { type: "WordLevel", vocab: { [SPECIAL_TOKENS.unk]: 0 }, unk_token: SPECIAL_TOKENS.unk },
  };
  const splitText = pieceSplitter(json);
  const counts = new Map<string, number>();
  for (const text of texts) for (const piece of splitText(text)) increment(counts, piece);
  json.model.vocab = selectVocab(counts, options);
  return new JsonTokenizer(json);
}
