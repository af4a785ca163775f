// The public API of src/tokenize: one Tokenizer interface, trainers, tokenizer.json loading, source/target pairs.

export { byteLevelToText } from "./byte-level.ts";
export { JsonTokenizer, type JsonTokenizerOptions } from "./json-tokenizer.ts";
export {
  type LoadTokenizerOptions,
  loadTokenizer,
  parseTokenizerJson,
  tokenizerFromJson,
} from "./load-tokenizer.ts";
export {
  type SimpleTokenizerOptions,
  trainCharTokenizer,
  trainWordTokenizer,
  type WordTokenizerOptions,
} from "./simple-tokenizers.ts";
export { type SpecialTokenNames, tokenizerConfigJson } from "./special-tokens.ts";
export {
  type BpeOptions,
  MAX_BPE_VOCAB,
  MAX_UNIGRAM_VOCAB,
  type SubwordOptions,
  trainBpeTokenizer,
  trainUnigramTokenizer,
} from "./subword-trainer.ts";
export {
  type DecodeOptions,
  SPECIAL_IDS,
  SPECIAL_TOKENS,
  type SpecialTokenIds,
  type Tokenizer,
  type TokenizerJson,
  type TokenizerKind,
} from "./tokenizer.ts";
export {
  JOINT_TOKENIZER_FILE,
  jointPair,
  loadTokenizerPair,
  SOURCE_TOKENIZER_FILE,
  saveTokenizerPair,
  TARGET_TOKENIZER_FILE,
  type TokenizerPair,
  trainTokenizerPair,
} from "./tokenizer-pair.ts";
export { type TokenizerConfig, tokenizerConfigDefaults, trainTokenizer } from "./train-tokenizer.ts";
