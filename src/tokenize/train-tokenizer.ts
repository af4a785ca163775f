// One entry point to train any of our tokenizers from a typed config (what a config file's
// "tokenizer" section holds), dispatching to the char, word, BPE and Unigram trainers.

import { trainCharTokenizer, trainWordTokenizer } from "./simple-tokenizers.ts";
import { trainBpeTokenizer, trainUnigramTokenizer } from "./subword-trainer.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface TokenizerConfig {
  /** char | word | bpe | unigram. */
  kind: "char" | "word" | "bpe" | "unigram";
  /** bpe/unigram: vocabulary size, 4 special tokens included (max 30004 / 8004). char/word: a cap, 0 = none. */
  vocabSize: number;
  /** char/word: drop symbols seen fewer times. */
  minCount: number;
  lowercase: boolean;
  /** Unicode NFC normalisation. */
  nfc: boolean;
  /** word: split punctuation off words. */
  splitPunctuation: boolean;
  /** bpe: "byte" (byte-level, never <unk>) or "char" (characters seen in training, "▁" marks words). */
  alphabet: "byte" | "char";
  /** Tokenizer pairs: one tokenizer trained on both sides (true) or one per side (false). */
  joint: boolean;
}

export const tokenizerConfigDefaults: Readonly<TokenizerConfig> = {
  kind: "bpe",
  vocabSize: 8000,
  minCount: 1,
  lowercase: false,
  nfc: true,
  splitPunctuation: true,
  alphabet: "byte",
  joint: true,
};

const KINDS = ["char", "word", "bpe", "unigram"] as const;

/** Trains the tokenizer `config` describes (missing keys take tokenizerConfigDefaults) on `texts`. */
export async function trainTokenizer(
  texts: readonly string[],
  config: Partial<TokenizerConfig> = {},
): Promise<Tokenizer> {
  const c = { ...tokenizerConfigDefaults, ...config };
  const common = { lowercase: c.lowercase, nfc: c.nfc };
  const cap = { ...common, minCount: c.minCount, maxVocabSize: c.vocabSize > 0 ? c.vocabSize : undefined };
  switch (c.kind) {
    case "char":
      return trainCharTokenizer(texts, cap);
    case "word":
      return trainWordTokenizer(texts, { ...cap, splitPunctuation: c.splitPunctuation });
    case "bpe":
      return trainBpeTokenizer(texts, { ...common, vocabSize: c.vocabSize, alphabet: c.alphabet });
    case "unigram":
      return trainUnigramTokenizer(texts, { ...common, vocabSize: c.vocabSize });
    default:
      throw new Error(`tokenizer.kind must be one of ${KINDS.join(", ")}, got ${JSON.stringify(c.kind)}`);
  }
}
