// The one interface every tokenizer (char, word, BPE, Unigram, loaded Hugging Face files) implements,
// and the fixed special tokens of the tokenizers this project trains.

/** What algorithm a tokenizer uses; "wordpiece" and "wordlevel" only come from loaded Hugging Face files. */
export type TokenizerKind = "char" | "word" | "bpe" | "unigram" | "wordpiece" | "wordlevel";

/** Ids of the four special tokens. `unk` is -1 for a loaded tokenizer that has none (byte-level BPE). */
export interface SpecialTokenIds {
  pad: number;
  bos: number;
  eos: number;
  unk: number;
}

/**
 * Special tokens of every tokenizer trained here, at fixed ids: pad=0, bos=1, eos=2, unk=3.
 * Models may rely on these ids for tokenizers they trained themselves.
 */
export const SPECIAL_TOKENS = { pad: "<pad>", bos: "<s>", eos: "</s>", unk: "<unk>" } as const;

/** The fixed ids of {@link SPECIAL_TOKENS}. */
export const SPECIAL_IDS: Readonly<SpecialTokenIds> = { pad: 0, bos: 1, eos: 2, unk: 3 };

/** Special tokens in id order (their id is their index). */
export const SPECIAL_TOKEN_LIST: readonly string[] = [
  SPECIAL_TOKENS.pad,
  SPECIAL_TOKENS.bos,
  SPECIAL_TOKENS.eos,
  SPECIAL_TOKENS.unk,
];

export interface DecodeOptions {
  /** Leave out special tokens (pad, bos, eos, unk and any other special added token). Default false. */
  skipSpecial?: boolean;
}

/**
 * A tokenizer: text <-> token ids, saved as a standard Hugging Face `tokenizer.json`.
 * `encode` returns ids WITHOUT bos/eos: the model adds them.
 */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** One more than the largest id (model vocabulary plus added tokens). */
  readonly vocabSize: number;
  readonly specials: Readonly<SpecialTokenIds>;
  /** Token ids of `text`, no bos/eos. */
  encode(text: string): number[];
  encodeBatch(texts: readonly string[]): number[][];
  /** Text of `ids`; throws on an id outside the vocabulary. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** Surface pieces of `text`, one per token id of `encode(text)` (byte-level pieces shown as text), for plots. */
  tokens(text: string): string[];
  /** The Hugging Face `tokenizer.json` object (a copy). */
  toJSON(): TokenizerJson;
  /** Writes `tokenizer.json` to `path` (parent folders are created). */
  save(path: string): void;
}

/** An entry of `added_tokens` in tokenizer.json. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A component (normalizer, pre-tokenizer, decoder, ...) of tokenizer.json: a `type` and its fields. */
export interface ComponentJson {
  type: string;
  [key: string]: unknown;
}

/** The `model` of tokenizer.json; the fields depend on `type` (BPE, Unigram, WordLevel, WordPiece). */
export interface ModelJson {
  type: string;
  [key: string]: unknown;
}

/** The Hugging Face `tokenizer.json` format (the parts this project reads and writes). */
export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: ComponentJson | null;
  pre_tokenizer: ComponentJson | null;
  post_processor: ComponentJson | null;
  decoder: ComponentJson | null;
  model: ModelJson;
}
