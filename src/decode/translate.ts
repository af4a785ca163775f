// The translation library the CLI and the HTTP server share: load a model folder once, then translate
// batches of texts (tokenize, sort by length, encode once per batch, search, detokenize, restore order).

import {
  applyTextTask,
  isPlainTextTask,
  NO_TEXT_TASK,
  prefixTokenCount,
  type StoredTask,
  type StoredTextTask,
  type TextTask,
  truncateTokens,
} from "../data/text-task.ts";
import { isHfFolder } from "../io/hf-folder.ts";
import { type LoadedModel, loadModelFolder, readTextTaskFile } from "../models/folder.ts";
import { hfTasks, loadHfFolder, toLoadedModel, withHfTasks } from "../models/hf-import.ts";
import type { JointSequenceModel } from "../models/joint-sequence.ts";
import type { SessionOptions } from "../runtime/ort.ts";
import { byteLevelToText } from "../tokenize/byte-level.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import {
  BidirectionalDecoder,
  SearchDecoder,
  type SentenceDecoder,
  type TextRunner,
} from "./bidirectional.ts";
import { EnsembleRunner } from "./ensemble.ts";
import { hfScheme } from "./hf-scheme.ts";
import { jointSequenceScorer } from "./joint-sequence-scorer.ts";
import { Seq2SeqRunner } from "./runner.ts";
import type { Hypothesis } from "./search.ts";
import { type TranslateOptions, TranslateOptionsError } from "./translate-options.ts";
import { maxPositionsOf, ownScheme, type SearchPlan, type TranslationScheme } from "./translate-scheme.ts";

export { type TranslateOptions, TranslateOptionsError } from "./translate-options.ts";

/** One output of a sentence; ids, tokens, tokenLogProbs and attention rows are aligned. */
export interface TranslationHypothesis {
  /** Detokenized output (special tokens left out). */
  text: string;
  /**
   * Output ids, ending with EOS (a Hugging Face folder's output cut at its length limit without forced EOS
   * does not; its forced first token, e.g. a target language, comes first).
   */
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
  /** Surface pieces of the source the encoder saw, special tokens included (e.g. the final EOS). */
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

/** An input the text task cannot use (e.g. a field its template needs is missing); `index` as above. */
export class InputFormatError extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`input ${index + 1}: ${problem}`);
  }
}

interface Item {
  index: number;
  text: string;
  /** The source the text task made of `text` (task prefix, template). */
  sourceText: string;
  ids: number[]; // prefix + source ids + suffix (this project's folders: source ids + EOS): [srcLen]
  /** Surface pieces of the source ids when truncation cut them (else they come from sourceText). */
  pieces?: string[];
}

function isByteLevel(tokenizer: Tokenizer): boolean {
  return JSON.stringify(tokenizer.toJSON().decoder ?? {}).includes('"ByteLevel"');
}

/**
 * A loaded model ready to translate; release() frees its ONNX Runtime sessions. What differs between this
 * project's folders and Hugging Face folders (source special tokens, the search) is its TranslationScheme.
 * An ensemble's Translator has the first member's `loaded` (tokenizers, text task and config, which every
 * member shares; with models of both directions, the first left-to-right member's) and decodes with all of them.
 */
export class Translator {
  private readonly byteLevelTarget: boolean;
  readonly scheme: TranslationScheme;

  /** How inputs become sources by default: the folder's text-task.json, or inputs as they are. */
  readonly textTask: TextTask;

  constructor(
    readonly loaded: LoadedModel,
    private readonly decoder: SentenceDecoder,
    scheme?: TranslationScheme,
    /** How many folders decode together, by the direction they read the target in (loadTranslator). */
    readonly folders = { leftToRight: 1, rightToLeft: 0 },
  ) {
    this.byteLevelTarget = isByteLevel(loaded.tokenizers.target);
    this.scheme = scheme ?? ownScheme(loaded);
    this.textTask = loaded.textTask ?? NO_TEXT_TASK;
  }

  /** The tasks of a multi-task model (text-task.json), for `task` in textTaskFor. */
  get tasks(): readonly StoredTask[] {
    return this.loaded.textTask?.tasks ?? [];
  }

  /**
   * The folder's text task with another task prefix: `prefix` as given, or the prefix and template of the
   * multi-task model's task named `task`. Truncation stays the folder's. An unknown task is an error naming
   * the model's tasks.
   */
  textTaskFor(choice: { prefix?: string; task?: string }): TextTask {
    let task: TextTask = this.textTask;
    if (choice.task !== undefined) {
      const found = this.tasks.find((t) => t.name === choice.task);
      if (!found) {
        const known = this.tasks.map((t) => t.name);
        throw new TranslateOptionsError(
          `unknown task "${choice.task}": ${known.length > 0 ? `this model's tasks are ${known.join(", ")}` : "this model has no named tasks"}`,
        );
      }
      task = { ...task, prefix: found.prefix, template: found.template };
    }
    return choice.prefix === undefined ? task : { ...task, prefix: choice.prefix };
  }

  /** The longest sequence the model's positions allow (its config's maxPositions), if it has such a limit. */
  get maxPositions(): number | undefined {
    return maxPositionsOf(this.loaded.config);
  }

  /** The longest source (EOS included) the encoder takes: the model's maxSourceLength, else its maxPositions. */
  get maxSourceLength(): number | undefined {
    return this.loaded.model.maxSourceLength ?? this.maxPositions;
  }

  /** What options left out come to: beam size and output length (a Hugging Face folder's generation config). */
  get defaults(): { beam: number; maxLength: number } {
    return this.scheme.defaults;
  }

  /**
   * Translates `texts`, each made a source by `textTask` (default: the folder's; see textTaskFor), or by its
   * own task when `textTask` is a list (one per text: inputs of several tasks decoded in one batch). An empty
   * (or whitespace-only) text gets an empty translation without decoding. Throws TranslateOptionsError for an
   * option the model cannot honour (before decoding anything), InputFormatError for an input the task's
   * template cannot use and SourceTooLongError for a source longer than maxSourceLength (or the text task's
   * maxSourceTokens when its policy drops long sources).
   */
  async translate(
    texts: readonly string[],
    options: TranslateOptions = {},
    textTask: TextTask | readonly TextTask[] = this.textTask,
  ): Promise<Translation[]> {
    if ("length" in textTask && textTask.length !== texts.length)
      throw new Error(`translate: ${textTask.length} text tasks for ${texts.length} texts`);
    const taskOf = (index: number): TextTask => ("length" in textTask ? textTask[index]! : textTask);
    const plan = this.plan(options);
    // Reranking takes every output of each search; the n-best asked for are the first of the reranked list.
    const keep = this.decoder.reranks ? (options.nbest ?? 1) : undefined;
    const searchPlan =
      this.decoder.reranks && !options.sample
        ? this.plan({ ...options, nbest: options.beam ?? this.defaults.beam })
        : plan;
    const results = new Array<Translation>(texts.length);
    const items: Item[] = [];
    texts.forEach((text, index) => {
      if (text.trim() === "") {
        results[index] = { source: text, sourceTokens: [], text: "", hypotheses: [] };
        return;
      }
      items.push(this.prepare(text, index, taskOf(index)));
    });
    items.sort((a, b) => a.ids.length - b.ids.length || a.index - b.index);
    for (let start = 0; start < items.length; start += plan.batchSize) {
      const batch = items.slice(start, start + plan.batchSize);
      const nbests = await this.decoder.decode(
        batch.map((item) => item.ids),
        searchPlan,
        batch.map((item) => item.index),
      );
      batch.forEach((item, j) => {
        results[item.index] = this.toTranslation(item, nbests[j]!.slice(0, keep));
      });
    }
    return results;
  }

  /** The encoder input of one text: the text task's source, tokenized, wrapped and truncated by its policy. */
  private prepare(text: string, index: number, task: TextTask): Item {
    const { source } = this.loaded.tokenizers;
    const { prefix, suffix } = this.scheme.wrapping;
    let sourceText: string;
    try {
      sourceText = applyTextTask(text, task);
    } catch (error) {
      throw new InputFormatError(index, (error as Error).message);
    }
    let body = source.encode(sourceText);
    let pieces: string[] | undefined;
    const budget = task.maxSourceTokens - prefix.length - suffix.length;
    if (task.truncate !== "none" && task.maxSourceTokens > 0 && body.length > budget) {
      const head = task.prefix === "" ? 0 : prefixTokenCount(source.encode(task.prefix), body);
      const cut = truncateTokens(body, budget, task.truncate, head);
      if (cut === null)
        throw new SourceTooLongError(
          index,
          body.length + prefix.length + suffix.length,
          task.maxSourceTokens,
        );
      const surface = truncateTokens(source.tokens(sourceText), budget, task.truncate, head)!;
      const special = (id: number) => source.idToToken(id) ?? `<${id}>`;
      pieces = [...prefix.map(special), ...surface, ...suffix.map(special)];
      body = cut;
    }
    const ids = [...prefix, ...body, ...suffix];
    const limit = this.maxSourceLength;
    if (limit !== undefined && ids.length > limit) throw new SourceTooLongError(index, ids.length, limit);
    return { index, text, sourceText, ids, pieces };
  }

  private plan(options: TranslateOptions): SearchPlan {
    try {
      return this.scheme.plan(options);
    } catch (error) {
      throw new TranslateOptionsError((error as Error).message);
    }
  }

  private surface(id: number): string {
    const token = this.loaded.tokenizers.target.idToToken(id) ?? `<${id}>`;
    return this.byteLevelTarget ? byteLevelToText(token) : token;
  }

  private toTranslation(item: Item, hyps: readonly Hypothesis[]): Translation {
    const { source, target } = this.loaded.tokenizers;
    const special = (id: number) => source.idToToken(id) ?? `<${id}>`;
    const { prefix, suffix } = this.scheme.wrapping;
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
      sourceTokens: item.pieces ?? [
        ...prefix.map(special),
        ...source.tokens(item.sourceText),
        ...suffix.map(special),
      ],
      text: hypotheses[0]?.text ?? "",
      hypotheses,
    };
  }

  async release(): Promise<void> {
    await this.decoder.release();
  }
}

/** A model folder loaded with the scheme it translates by (before any inference session is opened). */
interface LoadedFolder {
  loaded: LoadedModel;
  /** A Hugging Face folder's scheme (this project's folders translate by ownScheme). */
  scheme?: TranslationScheme;
}

async function loadFolder(modelDir: string): Promise<LoadedFolder> {
  if (isHfFolder(modelDir)) {
    const hf = await loadHfFolder(modelDir);
    const textTask = withHfTasks(await readTextTaskFile(modelDir), hfTasks(hf.hfConfig));
    const loaded = { ...toLoadedModel(hf), textTask };
    return { loaded, scheme: hfScheme(hf, loaded.tokenizers.target) };
  }
  return { loaded: await loadModelFolder(modelDir) };
}

/** How a folder's text task reads inputs, whatever direction it writes in (null: inputs as they are). */
function readingSide(task: StoredTextTask | null | undefined): StoredTextTask | null {
  if (!task) return null;
  const { reverseTarget: _, ...rest } = task;
  return isPlainTextTask(rest) ? null : rest;
}

/** Whether the folder's model writes right to left (trained with data.reverseTarget). */
function rightToLeft(folder: LoadedFolder): boolean {
  return folder.loaded.textTask?.reverseTarget === true;
}

/** One runner for the folders: a model's own, or an ensemble of theirs. */
async function runnerFor(folders: readonly LoadedFolder[], options: SessionOptions): Promise<TextRunner> {
  const runners: Seq2SeqRunner[] = [];
  for (const { loaded } of folders)
    runners.push(await Seq2SeqRunner.create(loaded.model, loaded.weights, options));
  return runners.length === 1 ? runners[0]! : new EnsembleRunner(runners);
}

/**
 * Why `other` cannot join an ensemble led by `first`, or undefined when it can: the members must read the
 * same sources the same way, write the same target vocabulary and allow outputs of the same length (the
 * first folder's scheme caps them).
 */
function ensembleMismatch(first: LoadedFolder, other: LoadedFolder): string | undefined {
  const json = (x: unknown) => JSON.stringify(x ?? null);
  const kind = (f: LoadedFolder) => {
    const family = f.scheme?.hfFamily;
    return family ? `a Hugging Face ${family} folder` : "this project's folder";
  };
  if (kind(first) !== kind(other)) return `it is ${kind(other)}, the first is ${kind(first)}`;
  for (const side of ["source", "target"] as const)
    if (json(first.loaded.tokenizers[side].toJSON()) !== json(other.loaded.tokenizers[side].toJSON()))
      return `its ${side} tokenizer differs from the first folder's`;
  if (json(readingSide(first.loaded.textTask)) !== json(readingSide(other.loaded.textTask)))
    return "its text task (text-task.json: prefix, template, truncation) differs from the first folder's";
  const [a, b] = [maxPositionsOf(first.loaded.config), maxPositionsOf(other.loaded.config)];
  if (a !== b) return `it has ${b ?? "no"} maxPositions, the first folder ${a ?? "none"}`;
  return undefined;
}

/**
 * Loads a model folder and opens its inference sessions: this project's folder (src/models/folder.ts), or a
 * local Hugging Face folder (config.json with a `model_type`, safetensors weights, tokenizer.json), which
 * translates with its family's conventions and generation config (src/decode/hf-scheme.ts); its named
 * tasks are text-task.json's and config.json's task_specific_params prefixes. Nothing is downloaded.
 * Several folders make an ensemble (src/decode/ensemble.ts): they must share their tokenizers and text task
 * (and, Hugging Face folders, their family), and the first one's scheme and defaults apply. When some of them
 * write right to left (data.reverseTarget) and some left to right, each direction searches as one ensemble
 * and both rerank the candidates of the two searches (src/decode/bidirectional.ts); the first left-to-right
 * folder's scheme applies. `rerank.jointSequence` (G2P) joins the two in scoring those candidates, with
 * `rerank.weight` (src/decode/joint-sequence-scorer.ts); it needs folders of both directions.
 */
export async function loadTranslator(
  modelDirs: string | readonly string[],
  options: SessionOptions = {},
  rerank?: { jointSequence: JointSequenceModel; weight: number },
): Promise<Translator> {
  const dirs = typeof modelDirs === "string" ? [modelDirs] : modelDirs;
  if (dirs.length === 0) throw new Error("loadTranslator: no model folder given");
  const folders: LoadedFolder[] = [];
  for (const [i, dir] of dirs.entries()) {
    const folder = await loadFolder(dir);
    const mismatch = i === 0 ? undefined : ensembleMismatch(folders[0]!, folder);
    if (mismatch) throw new Error(`ensemble member ${i + 1} (${dir}) cannot join the ensemble: ${mismatch}`);
    folders.push(folder);
  }
  const forward = folders.filter((f) => !rightToLeft(f));
  const backward = folders.filter(rightToLeft);
  const counts = { leftToRight: forward.length, rightToLeft: backward.length };
  if (rerank && (forward.length === 0 || backward.length === 0))
    throw new Error(
      "a joint-sequence model reranks the candidates of left-to-right and right-to-left folders together: give folders of both directions",
    );
  if (forward.length === 0 || backward.length === 0)
    return new Translator(
      folders[0]!.loaded,
      new SearchDecoder(await runnerFor(folders, options)),
      folders[0]!.scheme,
      counts,
    );
  const { tokenizers } = forward[0]!.loaded;
  const { bos, eos } = tokenizers.target.specials;
  const scorer = rerank && jointSequenceScorer(rerank.jointSequence, rerank.weight, tokenizers);
  const decoder = new BidirectionalDecoder(
    await runnerFor(forward, options),
    await runnerFor(backward, options),
    { bos, eos },
    scorer,
  );
  return new Translator(forward[0]!.loaded, decoder, forward[0]!.scheme, counts);
}
