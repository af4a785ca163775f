// The translation library the CLI and the HTTP server share: load a model folder once, then translate
// batches of texts (tokenize, sort by length, encode once per batch, search, detokenize, restore order).

import { type LoadedModel, loadModelFolder } from "../models/folder.ts";
import type { SessionOptions } from "../runtime/ort.ts";
import { byteLevelToText } from "../tokenize/byte-level.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { beamSearch } from "./beam.ts";
import { greedySearch } from "./greedy.ts";
import { type DecoderState, Seq2SeqRunner } from "./runner.ts";
import { sampleSearch } from "./sampling.ts";
import type { Hypothesis, SearchOptions } from "./search.ts";
import {
  type ResolvedTranslateOptions,
  resolveTranslateOptions,
  type TranslateOptions,
} from "./translate-options.ts";

export type { TranslateOptions } from "./translate-options.ts";

/** One output of a sentence; ids, tokens, tokenLogProbs and attention rows are aligned. */
export interface TranslationHypothesis {
  /** Detokenized output (special tokens left out). */
  text: string;
  /** Output ids, ending with EOS. */
  ids: number[];
  /** Surface piece of each output id (for plots). */
  tokens: string[];
  tokenLogProbs: number[];
  /** Sum of tokenLogProbs. */
  logProb: number;
  /** The ranking score (beam search: logProb / length penalty). */
  score: number;
  /** Cross-attention of each output token over the source tokens: [ids][sourceTokens]. */
  attention: number[][];
}

export interface Translation {
  source: string;
  /** Surface pieces of the source, ending with the EOS token the encoder saw. */
  sourceTokens: string[];
  /** The best hypothesis's text. */
  text: string;
  /** Best first; `nbest` long (or shorter when beam search finished fewer). */
  hypotheses: TranslationHypothesis[];
}

/** A source too long for the model; `index` is its position in the texts given to translate(). */
export class SourceTooLongError extends Error {
  constructor(
    readonly index: number,
    readonly length: number,
    readonly limit: number,
  ) {
    super(`input ${index + 1} has ${length} source tokens (EOS included); this model takes at most ${limit}`);
  }
}

interface Item {
  index: number;
  text: string;
  ids: number[]; // source ids + EOS: [srcLen]
}

function isByteLevel(tokenizer: Tokenizer): boolean {
  return JSON.stringify(tokenizer.toJSON().decoder ?? {}).includes('"ByteLevel"');
}

/** A loaded model ready to translate; release() frees its ONNX Runtime sessions. */
export class Translator {
  private readonly byteLevelTarget: boolean;

  constructor(
    readonly loaded: LoadedModel,
    private readonly runner: Seq2SeqRunner,
  ) {
    this.byteLevelTarget = isByteLevel(loaded.tokenizers.target);
  }

  /** The longest sequence the model's positions allow (its config's maxPositions), if it has such a limit. */
  get maxPositions(): number | undefined {
    const value = this.loaded.config["maxPositions"];
    return typeof value === "number" ? value : undefined;
  }

  /** The longest source (EOS included) the encoder takes: the model's maxSourceLength, else its maxPositions. */
  get maxSourceLength(): number | undefined {
    return this.loaded.model.maxSourceLength ?? this.maxPositions;
  }

  /**
   * Translates `texts`. An empty (or whitespace-only) text gets an empty translation without decoding.
   * The target pad and BOS ids are suppressed on top of `options.suppressTokens`.
   * Throws SourceTooLongError for a source longer than maxSourceLength.
   */
  async translate(texts: readonly string[], options: TranslateOptions = {}): Promise<Translation[]> {
    const { source, target } = this.loaded.tokenizers;
    const o = resolveTranslateOptions(options, target.vocabSize);
    const positions = this.maxPositions;
    const maxLength = positions === undefined ? o.maxLength : Math.min(o.maxLength, positions - 1);
    const limit = this.maxSourceLength;
    const results = new Array<Translation>(texts.length);
    const items: Item[] = [];
    texts.forEach((text, index) => {
      if (text.trim() === "") {
        results[index] = { source: text, sourceTokens: [], text: "", hypotheses: [] };
        return;
      }
      const ids = [...source.encode(text), source.specials.eos];
      if (limit !== undefined && ids.length > limit) throw new SourceTooLongError(index, ids.length, limit);
      items.push({ index, text, ids });
    });
    items.sort((a, b) => a.ids.length - b.ids.length || a.index - b.index);
    for (let start = 0; start < items.length; start += o.batchSize) {
      const batch = items.slice(start, start + o.batchSize);
      const state = await this.runner.encode(batch.map((item) => item.ids));
      const search: SearchOptions = {
        ...o,
        suppressTokens: [...(o.suppressTokens ?? []), ...this.neverGenerated(o)],
        maxLength,
        minLength: Math.min(o.minLength, maxLength),
        bos: target.specials.bos,
        eos: target.specials.eos,
        srcLengths: batch.map((item) => item.ids.length),
      };
      const nbests = await this.search(state, search, o, batch);
      batch.forEach((item, j) => {
        results[item.index] = this.toTranslation(item, nbests[j]!);
      });
    }
    return results;
  }

  private async search(
    state: DecoderState,
    search: SearchOptions,
    o: ResolvedTranslateOptions,
    batch: readonly Item[],
  ): Promise<Hypothesis[][]> {
    if (o.sample) {
      const sentenceIds = batch.map((item) => item.index);
      return sampleSearch(this.runner, state, {
        ...search,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
        seed: o.seed,
        samples: o.nbest,
        sentenceIds,
      });
    }
    if (o.beam === 1) return (await greedySearch(this.runner, state, search)).map((h) => [h]);
    return beamSearch(this.runner, state, {
      ...search,
      beam: o.beam,
      nbest: o.nbest,
      lengthPenalty: o.lengthPenalty,
      earlyStopping: o.earlyStopping,
    });
  }

  /** Target pad and BOS are never outputs (unless one of them is EOS or the forced first token). */
  private neverGenerated(o: ResolvedTranslateOptions): number[] {
    const { pad, bos, eos } = this.loaded.tokenizers.target.specials;
    return [pad, bos].filter((id) => id >= 0 && id !== eos && id !== o.forcedFirstToken);
  }

  private surface(id: number): string {
    const token = this.loaded.tokenizers.target.idToToken(id) ?? `<${id}>`;
    return this.byteLevelTarget ? byteLevelToText(token) : token;
  }

  private toTranslation(item: Item, hyps: readonly Hypothesis[]): Translation {
    const { source, target } = this.loaded.tokenizers;
    const eosToken = source.idToToken(source.specials.eos) ?? "</s>";
    const hypotheses = hyps.map((h) => ({
      text: target.decode(h.tokens, { skipSpecial: true }),
      ids: h.tokens,
      tokens: h.tokens.map((id) => this.surface(id)),
      tokenLogProbs: h.tokenLogProbs,
      logProb: h.logProb,
      score: h.score,
      attention: h.attention.map((row) => Array.from(row)),
    }));
    return {
      source: item.text,
      sourceTokens: [...source.tokens(item.text), eosToken],
      text: hypotheses[0]?.text ?? "",
      hypotheses,
    };
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}

/** Loads a model folder (see src/models/folder.ts) and opens its inference sessions. */
export async function loadTranslator(modelDir: string, options: SessionOptions = {}): Promise<Translator> {
  const loaded = await loadModelFolder(modelDir);
  const runner = await Seq2SeqRunner.create(loaded.model, loaded.weights, options);
  return new Translator(loaded, runner);
}
