// `generate` with Hugging Face's conventions on top of this project's greedy and beam searches: the decoder
// start token counts for n-gram and bad-word bans, max_length stops without EOS unless EOS is forced, and
// outputs come back in transformers' layout (start token first, finished rows padded).

import type { HostTensor } from "../graph/tensor.ts";
import { type GenerationConfig, maxNewTokens } from "../models/hf-generation.ts";
import { beamSearch } from "./beam.ts";
import { greedySearch } from "./greedy.ts";
import { BannedSequencesProcessor, type LogitsProcessor, NoRepeatNGramProcessor } from "./processors.ts";
import type { Seq2SeqRunner } from "./runner.ts";
import type { Hypothesis, SearchOptions, StepModel, StepResult } from "./search.ts";
import type { TranslateOptions } from "./translate-options.ts";

/** A state plus every row's tokens fed so far (decoder start token included). */
interface PromptState<S> {
  inner: S;
  fed: number[][];
}

/**
 * A StepModel that applies processors which must see the whole decoder input, decoder start token included
 * (transformers' no-repeat-n-gram and bad-words processors look at `input_ids`), before the search's own.
 */
class PromptAwareModel<S> implements StepModel<PromptState<S>> {
  constructor(
    private readonly model: StepModel<S>,
    private readonly processors: readonly LogitsProcessor[],
  ) {}

  async step(state: PromptState<S>, tokens: readonly number[]): Promise<StepResult<PromptState<S>>> {
    const fed = state.fed.map((row, i) => [...row, tokens[i]!]);
    const out = await this.model.step(state.inner, tokens);
    const context = { generated: fed, srcLengths: fed.map(() => 0) };
    for (const p of this.processors) p.process(out.logProbs, context);
    return { ...out, state: { inner: out.state, fed } };
  }

  reorder(state: PromptState<S>, indices: readonly number[]): PromptState<S> {
    return { inner: this.model.reorder(state.inner, indices), fed: indices.map((i) => state.fed[i]!) };
  }
}

/** What generate returns. */
export interface Generated {
  /**
   * Per input row × returned sequence, transformers' `sequences`: the decoder prompt (start token, then any
   * decoderPromptIds) + generated ids, padded.
   */
  sequences: number[][];
  /** Tokens of the prompt at the start of every sequence (1 without decoderPromptIds). */
  promptLength: number;
  /** Beam search: transformers' `sequences_scores` (logProb / length^α) per returned sequence. */
  scores?: number[];
  /** The hypotheses per input row (generated ids, no start token). */
  hypotheses: Hypothesis[][];
}

/** The search options of `g` for sentences of the given source lengths (lengths in generated tokens). */
function searchOptions(
  g: GenerationConfig,
  srcLengths: readonly number[],
  prompt: readonly number[],
): SearchOptions {
  const maxNew = maxNewTokens(g);
  const forcedEos = g.forcedEosTokenId !== undefined;
  return {
    bos: prompt.at(-1)!,
    eos: g.eosTokenId,
    srcLengths,
    // The search forces EOS after maxLength tokens: with forced_eos that is transformers' last position;
    // without, one step too many for greedy search, which `truncate` removes again.
    maxLength: forcedEos ? maxNew - 1 : maxNew,
    minLength: Math.max(g.minLength - prompt.length, g.minNewTokens ?? 0),
    suppressTokens: g.suppressTokens,
    beginSuppressTokens: g.beginSuppressTokens,
    forcedFirstToken: g.forcedBosTokenId,
  };
}

/**
 * Without forced EOS transformers' greedy search stops at max_length with the sequence as it is: drop the EOS
 * the search forced one step later (the log-probability is unchanged: a forced token costs 0).
 */
function truncate(h: Hypothesis, maxNew: number): Hypothesis {
  if (h.tokens.length <= maxNew) return h;
  const cut = {
    ...h,
    tokens: h.tokens.slice(0, maxNew),
    tokenLogProbs: h.tokenLogProbs.slice(0, maxNew),
    attention: h.attention.slice(0, maxNew),
  };
  cut.logProb = cut.tokenLogProbs.reduce((a, x) => a + x, 0);
  cut.score = cut.logProb;
  return cut;
}

/** transformers' `sequences`: prompt + ids, every row padded to the longest with `fill`. */
function layout(hyps: readonly Hypothesis[], prompt: readonly number[], fill: number): number[][] {
  const width = Math.max(0, ...hyps.map((h) => h.tokens.length));
  return hyps.map((h) => [...prompt, ...h.tokens, ...Array<number>(width - h.tokens.length).fill(fill)]);
}

/**
 * Feeds every prompt token but the last (which the search feeds as its BOS) to the model: the state and, per
 * row, the tokens fed, which processors that see the whole decoder input (no-repeat-n-gram) must know.
 */
async function feedPrompt<S>(
  model: StepModel<S>,
  state: S,
  rows: number,
  prompt: readonly number[],
): Promise<PromptState<S>> {
  let inner = state;
  for (const token of prompt.slice(0, -1))
    inner = (await model.step(inner, Array<number>(rows).fill(token))).state;
  return { inner, fed: Array.from({ length: rows }, () => prompt.slice(0, -1)) };
}

/**
 * Generates for the sentences of `state` (already encoded; srcLengths in tokens) as transformers' `generate`
 * does with `g` (greedy when numBeams is 1, else beam search; no sampling).
 */
export async function generate<S>(
  model: StepModel<S>,
  state: S,
  srcLengths: readonly number[],
  g: GenerationConfig,
): Promise<Generated> {
  const processors: LogitsProcessor[] = [];
  if (g.noRepeatNgramSize > 0) processors.push(new NoRepeatNGramProcessor(g.noRepeatNgramSize));
  if (g.badWordsIds.length > 0) processors.push(new BannedSequencesProcessor(g.badWordsIds));
  const wrapped = new PromptAwareModel(model, processors);
  const prompt = [g.decoderStartTokenId, ...(g.decoderPromptIds ?? [])];
  const start = await feedPrompt(model, state, srcLengths.length, prompt);
  const options = searchOptions(g, srcLengths, prompt);
  const maxNew = maxNewTokens(g);
  if (g.numBeams === 1) {
    const hyps = (await greedySearch(wrapped, start, options)).map((h) => truncate(h, maxNew));
    return {
      sequences: layout(hyps, prompt, g.padTokenId),
      promptLength: prompt.length,
      hypotheses: hyps.map((h) => [h]),
    };
  }
  const forcedEos = g.forcedEosTokenId !== undefined;
  const hypotheses = await beamSearch(wrapped, start, {
    ...options,
    beam: g.numBeams,
    nbest: g.numReturnSequences,
    lengthPenalty: { form: "power", alpha: g.lengthPenalty },
    earlyStopping: g.earlyStopping,
    // transformers finishes the best beams as they are at max_length (EOS there only when forced).
    atMaxLength: forcedEos ? "eos" : "truncate",
  });
  const flat = hypotheses.flat();
  // transformers pads finished beams with `pad_token_id or eos_token_id`: a pad id of 0 counts as unset.
  const fill = g.padTokenId || g.eosTokenId;
  return {
    sequences: layout(flat, prompt, fill),
    promptLength: prompt.length,
    scores: flat.map((h) => h.score),
    hypotheses,
  };
}

/** Encodes source id rows (already carrying the family's special tokens) and generates with `g`. */
export async function generateFromIds(
  runner: Seq2SeqRunner,
  sources: readonly (readonly number[])[],
  g: GenerationConfig,
): Promise<Generated> {
  const state = await runner.encode(sources);
  return generate(
    runner,
    state,
    sources.map((s) => s.length),
    g,
  );
}

/**
 * Encodes speech features [rows, featureSize, frames] (a features model: Whisper) and generates with `g`; the
 * frame count stands for each row's source length.
 */
export async function generateFromFeatures(
  runner: Seq2SeqRunner,
  features: HostTensor,
  g: GenerationConfig,
): Promise<Generated> {
  const state = await runner.encode(features);
  return generate(runner, state, Array<number>(features.dims[0]!).fill(features.dims[2]!), g);
}

/**
 * The generation overrides a user's translate options make (only those given), for Hugging Face models:
 * maxLength (tokens before EOS) becomes max_new_tokens = maxLength + 1; the length penalty's form, when given,
 * must be "power".
 */
export function overridesFromTranslateOptions(o: TranslateOptions): Partial<GenerationConfig> {
  if (o.sample) throw new Error("sampling is not supported with a Hugging Face model's generation config");
  if (o.lengthPenalty?.form !== undefined && o.lengthPenalty.form !== "power")
    throw new Error(
      `Hugging Face models rank beams by logProb / length^α ("power"), got "${o.lengthPenalty.form}"`,
    );
  return {
    numBeams: o.beam,
    numReturnSequences: o.nbest,
    lengthPenalty: o.lengthPenalty?.alpha,
    earlyStopping: o.earlyStopping,
    maxNewTokens: o.maxLength === undefined ? undefined : o.maxLength + 1,
    minNewTokens: o.minLength,
    noRepeatNgramSize: o.noRepeatNgram,
    badWordsIds: o.bannedSequences?.map((s) => [...s]),
    suppressTokens: o.suppressTokens ? [...o.suppressTokens] : undefined,
    beginSuppressTokens: o.beginSuppressTokens ? [...o.beginSuppressTokens] : undefined,
    forcedBosTokenId: o.forcedFirstToken,
  };
}
