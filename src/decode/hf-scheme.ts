// Translating with a Hugging Face folder: sources wrapped in the special tokens its tokenizer's post-processor
// adds, and generation as its generation config says, the user's options overriding only what they set.

import { join } from "node:path";
import {
  type GenerationConfig,
  maxNewTokens,
  unsupportedGenerationSettings,
  withOverrides,
} from "../models/hf-generation.ts";
import type { HfModel } from "../models/hf-import.ts";
import { sourceWrapping } from "../models/hf-source.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { generate, overridesFromTranslateOptions } from "./hf-generate.ts";
import { lengthPenalty } from "./length-penalty.ts";
import { resolveTranslateOptions, type TranslateOptions } from "./translate-options.ts";
import type { TranslationScheme } from "./translate-scheme.ts";

/**
 * `g` with max_new_tokens capped at the model's positions: the decoder reads the start token and every
 * generated token but the last, one position each (BART's learned and Marian's sinusoidal tables end there).
 */
function capToPositions(g: GenerationConfig, positions: number): GenerationConfig {
  return maxNewTokens(g) > positions ? { ...g, maxNewTokens: positions } : g;
}

/**
 * The folder's generation config with the options the user set: lists (suppressed tokens, banned sequences)
 * are added to the folder's, every other option replaces the folder's value. Throws naming a bad option.
 */
export function generationFor(hf: HfModel, options: TranslateOptions): GenerationConfig {
  if (options.relativeMaxLength)
    throw new Error(
      "relativeMaxLength (--max-length-ratio / --max-length-offset) does not apply to a Hugging Face folder, " +
        "whose generation config limits the output length: set maxLength (--max-length) instead",
    );
  const base = hf.generation;
  const overrides = overridesFromTranslateOptions(options);
  const beam = overrides.numBeams ?? base.numBeams;
  const nbest = overrides.numReturnSequences ?? base.numReturnSequences;
  if (nbest > beam) {
    const from = options.beam === undefined ? " (num_beams of the folder's generation config)" : "";
    throw new Error(`nbest ${nbest} is more than the beam size ${beam}${from}; raise beam`);
  }
  const defaultMaxLength = Math.max(1, maxNewTokens(base) - 1);
  // Ranges and token ids, with the same messages as for every model.
  resolveTranslateOptions(
    { ...options, beam, nbest, maxLength: options.maxLength ?? defaultMaxLength },
    hf.config.tgtVocabSize,
  );
  const g = withOverrides(base, {
    ...overrides,
    suppressTokens: [...base.suppressTokens, ...(overrides.suppressTokens ?? [])],
    badWordsIds: [...base.badWordsIds, ...(overrides.badWordsIds ?? [])],
  });
  return capToPositions(g, hf.config.maxPositions);
}

/**
 * The scheme of a Hugging Face folder loaded with its tokenizer: source ids as the tokenizer's post-processor
 * gives them (BART `<s> x </s>`, T5 and Marian `x </s>`, NLLB `lang x </s>`), then transformers' generate
 * (decoder_start_token_id, forced BOS/EOS, suppressed and banned tokens, beams, lengths; src/decode/hf-generate.ts).
 */
export function hfScheme(hf: HfModel, tokenizer: Tokenizer): TranslationScheme {
  const wrapping = sourceWrapping(tokenizer, join(hf.dir, "tokenizer.json"));
  const capped = capToPositions(hf.generation, hf.config.maxPositions);
  const warnings = unsupportedGenerationSettings(hf.generationJson).map(
    (setting) => `${hf.dir}: generation setting ${setting} is not implemented here and is ignored`,
  );
  return {
    wrapping,
    defaults: { beam: hf.generation.numBeams, maxLength: Math.max(1, maxNewTokens(capped) - 1) },
    hfFamily: hf.family,
    warnings,
    plan(options) {
      const g = generationFor(hf, options);
      return {
        batchSize: options.batchSize ?? 32,
        rank: (logProb, length) =>
          g.numBeams === 1
            ? logProb
            : logProb / lengthPenalty(length, { form: "power", alpha: g.lengthPenalty }),
        search: async (model, state, srcLengths) => (await generate(model, state, srcLengths, g)).hypotheses,
      };
    },
  };
}
