// What differs between kinds of model folder when translating (the special tokens around a source, how the
// user's options become a search), behind one narrow interface; and the scheme of this project's own folders.

import type { LoadedModel } from "../models/folder.ts";
import type { SpecialTokenIds } from "../tokenize/tokenizer.ts";
import { beamSearch } from "./beam.ts";
import { greedySearch } from "./greedy.ts";
import { lengthPenalty } from "./length-penalty.ts";
import { sampleSearch } from "./sampling.ts";
import type { Hypothesis, SearchOptions, StepModel } from "./search.ts";
import {
  DEFAULT_MAX_LENGTH,
  type ResolvedTranslateOptions,
  resolveTranslateOptions,
  type TranslateOptions,
} from "./translate-options.ts";

/** The search one translate() call runs: its batch size and how a batch of encoded sentences is decoded. */
export interface SearchPlan {
  /** Sentences encoded and decoded together. */
  batchSize: number;
  /**
   * The hypotheses of every sentence of `state`, best first. srcLengths: [sentences] source lengths in tokens
   * (special tokens included); sentenceIds: [sentences] each one's index in the texts given to translate().
   */
  search<S>(
    model: StepModel<S>,
    state: S,
    srcLengths: readonly number[],
    sentenceIds: readonly number[],
  ): Promise<Hypothesis[][]>;
  /** The score this search ranks a finished output by: its logProb, over the length penalty in beam search. */
  rank(logProb: number, length: number): number;
}

/** How a kind of model folder translates; the Translator does the rest (tokenize, batch, encode, detokenize). */
export interface TranslationScheme {
  /** Ids around a source text's own ids: prefix + text + suffix is what the encoder sees. */
  readonly wrapping: { prefix: readonly number[]; suffix: readonly number[] };
  /** What the options left out come to: the beam size and the output length (tokens before EOS). */
  readonly defaults: { beam: number; maxLength: number };
  /** The folder's Hugging Face model_type, when it is a Hugging Face folder. */
  readonly hfFamily?: string;
  /** Settings of the folder this project ignores (outputs may differ from its original framework's). */
  readonly warnings: readonly string[];
  /** Checks `options` and plans the search they ask for; throws an Error naming a bad option. */
  plan(options: TranslateOptions): SearchPlan;
}

/** The positions limit of a model config (its maxPositions), if it has one. */
export function maxPositionsOf(config: Readonly<Record<string, unknown>>): number | undefined {
  const value = config["maxPositions"];
  return typeof value === "number" ? value : undefined;
}

/** Target pad and BOS are never outputs (unless one of them is EOS or the forced first token). */
function neverGenerated(specials: Readonly<SpecialTokenIds>, forcedFirstToken: number | undefined): number[] {
  const { pad, bos, eos } = specials;
  return [pad, bos].filter((id) => id >= 0 && id !== eos && id !== forcedFirstToken);
}

/** Greedy, beam search or sampling, as the resolved options say. */
async function runSearch<S>(
  model: StepModel<S>,
  state: S,
  search: SearchOptions,
  o: ResolvedTranslateOptions,
  sentenceIds: readonly number[],
): Promise<Hypothesis[][]> {
  if (o.sample) {
    return sampleSearch(model, state, {
      ...search,
      temperature: o.temperature,
      topK: o.topK,
      topP: o.topP,
      seed: o.seed,
      samples: o.nbest,
      sentenceIds,
    });
  }
  if (o.beam === 1) return (await greedySearch(model, state, search)).map((h) => [h]);
  return beamSearch(model, state, {
    ...search,
    beam: o.beam,
    nbest: o.nbest,
    lengthPenalty: o.lengthPenalty,
    earlyStopping: o.earlyStopping,
  });
}

/**
 * This project's folders: sources end with the source EOS, the decoder starts with the target BOS, target
 * pad and BOS are suppressed on top of `suppressTokens`, and outputs are capped by the model's positions.
 */
export function ownScheme(loaded: LoadedModel): TranslationScheme {
  const { source, target } = loaded.tokenizers;
  const positions = maxPositionsOf(loaded.config);
  return {
    wrapping: { prefix: [], suffix: [source.specials.eos] },
    defaults: { beam: 5, maxLength: DEFAULT_MAX_LENGTH },
    warnings: [],
    plan(options) {
      const o = resolveTranslateOptions(options, target.vocabSize);
      const maxLength = positions === undefined ? o.maxLength : Math.min(o.maxLength, positions - 1);
      const suppressTokens = [
        ...(o.suppressTokens ?? []),
        ...neverGenerated(target.specials, o.forcedFirstToken),
      ];
      return {
        batchSize: o.batchSize,
        rank: (logProb, length) =>
          o.beam === 1 || o.sample ? logProb : logProb / lengthPenalty(length, o.lengthPenalty),
        search: (model, state, srcLengths, sentenceIds) =>
          runSearch(
            model,
            state,
            {
              ...o,
              suppressTokens,
              maxLength,
              minLength: Math.min(o.minLength, maxLength),
              bos: target.specials.bos,
              eos: target.specials.eos,
              srcLengths,
              sharedPositions: loaded.model.sharedPositions,
            },
            o,
            sentenceIds,
          ),
      };
    },
  };
}
