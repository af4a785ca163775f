// Hugging Face folders for the translate tests: a fixture family's config, generation config and weights
// plus a tokenizer.json written here (WordLevel "t0".."t95", the family's special tokens and post-processor).

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TranslateOptions } from "../../src/decode/translate.ts";
import { specialAddedToken } from "../../src/tokenize/special-tokens.ts";
import { FIXTURES, type FixtureFamily, readExpected, unpadded } from "../models/hf-fixtures.ts";

export { FIXTURES, fixturesMissing } from "../models/hf-fixtures.ts";

/** The families the translate tests run (Whisper needs the speech front end). */
export const TRANSLATE_FAMILIES = [
  "bart",
  "mbart",
  "marian",
  "m2m100",
  "t5_v1_1",
  "t5_original",
] as const satisfies readonly FixtureFamily[];

const VOCAB = 96;

/** Special tokens by id, as expected.json's special_tokens name them; language codes get `__lN__`. */
const SPECIALS: Record<FixtureFamily, Record<number, string>> = {
  bart: { 0: "<s>", 1: "<pad>", 2: "</s>" },
  mbart: {
    0: "<s>",
    1: "<pad>",
    2: "</s>",
    3: "<unk>",
    92: "__l92__",
    93: "__l93__",
    94: "__l94__",
    95: "__l95__",
  },
  marian: { 0: "</s>", 1: "<unk>", 95: "<pad>" },
  m2m100: {
    0: "<s>",
    1: "<pad>",
    2: "</s>",
    3: "<unk>",
    92: "__l92__",
    93: "__l93__",
    94: "__l94__",
    95: "__l95__",
  },
  t5_v1_1: { 0: "<pad>", 1: "</s>" },
  t5_original: { 0: "<pad>", 1: "</s>" },
};

/** The post-processor template of a single text: BART `<s> $A </s>`, T5/Marian `$A </s>`, mBART/NLLB `lang $A </s>`. */
const TEMPLATES: Record<FixtureFamily, string[]> = {
  bart: ["<s>", "$A", "</s>"],
  mbart: ["__l92__", "$A", "</s>"],
  marian: ["$A", "</s>"],
  m2m100: ["__l92__", "$A", "</s>"],
  t5_v1_1: ["$A", "</s>"],
  t5_original: ["$A", "</s>"],
};

/** The token of `id` in the test tokenizer of `family`. */
export function tokenName(family: FixtureFamily, id: number): string {
  return SPECIALS[family][id] ?? `t${id}`;
}

/** Whether `id` is a special token of the test tokenizer (left out of decoded text). */
export function isSpecial(family: FixtureFamily, id: number): boolean {
  return SPECIALS[family][id] !== undefined;
}

/** tokenizer.json: WordLevel over the 96 ids, whitespace pre-tokenizer, the family's TemplateProcessing. */
export function tokenizerJson(family: FixtureFamily): Record<string, unknown> {
  const specials = SPECIALS[family];
  const vocab: Record<string, number> = {};
  for (let id = 0; id < VOCAB; id++) vocab[tokenName(family, id)] = id;
  const idOf = (token: string) => vocab[token]!;
  const template = TEMPLATES[family].map((piece) =>
    piece === "$A" ? { Sequence: { id: "A", type_id: 0 } } : { SpecialToken: { id: piece, type_id: 0 } },
  );
  const templateSpecials = TEMPLATES[family].filter((p) => p !== "$A");
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.entries(specials).map(([id, content]) => specialAddedToken(Number(id), content)),
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: {
      type: "TemplateProcessing",
      single: template,
      pair: template,
      special_tokens: Object.fromEntries(
        templateSpecials.map((t) => [t, { id: t, ids: [idOf(t)], tokens: [t] }]),
      ),
    },
    decoder: null,
    // WordLevel needs an unk token; families without one use pad (never looked up: every token is known).
    model: {
      type: "WordLevel",
      vocab,
      unk_token: Object.values(specials).includes("<unk>") ? "<unk>" : "<pad>",
    },
  };
}

/** Copies the fixture's config.json, generation_config.json and model.safetensors into `dir`, with a tokenizer.json. */
export function buildHfFolder(
  family: FixtureFamily,
  dir: string,
  options: { tokenizer?: boolean } = {},
): string {
  mkdirSync(dir, { recursive: true });
  for (const file of ["config.json", "generation_config.json", "model.safetensors"])
    copyFileSync(join(FIXTURES, family, file), join(dir, file));
  if (options.tokenizer ?? true)
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson(family), null, 1));
  return dir;
}

/** The source texts of the fixture's input rows: their ids as tokens, without the template's special tokens. */
export function sourceTexts(family: FixtureFamily): string[] {
  return unpadded(readExpected(family)).map((row) =>
    row
      .filter((id) => !isSpecial(family, id))
      .map((id) => tokenName(family, id))
      .join(" "),
  );
}

/** What a translation shows of transformers' sequence: ids after the start token, up to the first EOS. */
export function generatedIds(sequence: readonly number[], eos: number): number[] {
  const ids = sequence.slice(1);
  const end = ids.indexOf(eos);
  return end < 0 ? ids : ids.slice(0, end + 1);
}

/** The text of `ids`: their tokens, special tokens left out, joined by spaces. */
export function textOf(family: FixtureFamily, ids: readonly number[]): string {
  return ids
    .filter((id) => !isSpecial(family, id))
    .map((id) => tokenName(family, id))
    .join(" ");
}

/** The EOS id of each family (generation_config.json eos_token_id). */
export const EOS: Record<FixtureFamily, number> = {
  bart: 2,
  mbart: 2,
  marian: 0,
  m2m100: 2,
  t5_v1_1: 1,
  t5_original: 1,
};

/**
 * `seq2seq translate` flags for transformers' generate kwargs: max_new_tokens n -> --max-length n-1 (tokens
 * before EOS), num_beams, num_return_sequences, length_penalty, early_stopping, no_repeat_ngram_size,
 * forced_bos_token_id (by its token).
 */
export function kwargsToFlags(family: FixtureFamily, kwargs: Record<string, unknown>): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === "max_new_tokens") flags.push("--max-length", String((value as number) - 1));
    else if (key === "num_beams") flags.push("--beam", String(value));
    else if (key === "num_return_sequences") flags.push("--nbest", String(value));
    else if (key === "length_penalty") flags.push("--length-penalty", String(value));
    else if (key === "early_stopping") flags.push(value ? "--early-stopping" : "--no-early-stopping");
    else if (key === "no_repeat_ngram_size") flags.push("--no-repeat-ngram", String(value));
    else if (key === "forced_bos_token_id")
      flags.push("--forced-first-token", tokenName(family, value as number));
    else if (key !== "do_sample") throw new Error(`no translate flag for generate kwarg ${key}`);
  }
  return flags;
}

/** The library options for transformers' generate kwargs (as kwargsToFlags maps them to flags). */
export function kwargsToOptions(kwargs: Record<string, unknown>): TranslateOptions {
  const options: TranslateOptions = {};
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === "max_new_tokens") options.maxLength = (value as number) - 1;
    else if (key === "num_beams") options.beam = value as number;
    else if (key === "num_return_sequences") options.nbest = value as number;
    else if (key === "length_penalty") options.lengthPenalty = { alpha: value as number };
    else if (key === "early_stopping") options.earlyStopping = value as boolean;
    else if (key === "no_repeat_ngram_size") options.noRepeatNgram = value as number;
    else if (key === "forced_bos_token_id") options.forcedFirstToken = value as number;
    else if (key !== "do_sample") throw new Error(`no translate option for generate kwarg ${key}`);
  }
  return options;
}
