// A run's data as its config describes it: a built-in task or parallel files (two line-aligned files or a
// TSV), read with the configured filters, then encoded with the run's tokenizers into id sequences.

import type { TokenizedPair } from "../data/batching.ts";
import {
  type ParallelData,
  type ParallelExample,
  type ReadOptions,
  readParallelFiles,
  readTsv,
  referencesBySource,
} from "../data/parallel.ts";
import type { TaskOptions } from "../data/synthetic-tasks.ts";
import { builtinTask } from "../data/tasks.ts";
import { readTemplatedTsv } from "../data/text-task.ts";
import { SPECIAL_IDS } from "../tokenize/tokenizer.ts";
import type { TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import type { DataConfig, MetricChoice } from "./train-config.ts";
import type { ValidationMetric, ValidationSet } from "./validation.ts";

/** The text of a run: training pairs, validation pairs (possibly none) and what reading reported. */
export interface RunText {
  train: ParallelExample[];
  valid: ParallelExample[];
  /** Human-readable lines about where the data came from and what the filters dropped. */
  notes: string[];
}

function taskOptions(d: DataConfig): TaskOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(d.taskOptions)) if (value !== null) out[key] = value;
  return out as TaskOptions;
}

function describeStats(what: string, data: ParallelData): string {
  const s = data.stats;
  const dropped =
    s.droppedEmpty + s.droppedTooLong > 0
      ? ` (dropped ${s.droppedEmpty} with an empty side, ${s.droppedTooLong} over data.filter.maxLength)`
      : "";
  return `${what}: ${s.kept} pairs from ${s.lines} lines${dropped}`;
}

async function readPairs(src: string, tgt: string, tsv: string, d: DataConfig, options: ReadOptions) {
  if (tsv !== "" && d.template !== "") {
    return readTemplatedTsv(tsv, {
      ...options,
      template: d.template,
      tgtColumn: d.tgtColumn,
      header: d.header,
    });
  }
  if (tsv !== "") {
    return readTsv(tsv, { ...options, srcColumn: d.srcColumn, tgtColumn: d.tgtColumn, header: d.header });
  }
  return readParallelFiles(src, tgt, options);
}

/** Reads (or generates) the training and validation pairs of `d`. */
export async function loadRunText(d: DataConfig): Promise<RunText> {
  const notes: string[] = [];
  let train: ParallelExample[];
  let valid: ParallelExample[] = [];
  if (d.task !== "") {
    const splits = await builtinTask(d.task, taskOptions(d));
    train = d.limit > 0 ? splits.train.slice(0, d.limit) : splits.train;
    valid = splits.valid;
    notes.push(
      `data: built-in task "${d.task}", ${train.length} training pairs, ${valid.length} validation pairs`,
    );
  } else {
    const filter = { dropEmpty: d.filter.dropEmpty, maxLength: d.filter.maxLength || undefined };
    const read = await readPairs(d.src, d.tgt, d.tsv, d, {
      filter,
      maxLineLength: d.maxLineLength,
      limit: d.limit > 0 ? d.limit : undefined,
    });
    train = read.examples;
    notes.push(describeStats(`training data ${d.tsv || `${d.src} + ${d.tgt}`}`, read));
  }
  if (d.validSrc !== "" || d.validTsv !== "") {
    const read = await readPairs(d.validSrc, d.validTgt, d.validTsv, d, {
      filter: { dropEmpty: d.filter.dropEmpty },
      maxLineLength: d.maxLineLength,
    });
    valid = read.examples;
    notes.push(describeStats(`validation data ${d.validTsv || `${d.validSrc} + ${d.validTgt}`}`, read));
  }
  if (train.length === 0)
    throw new Error("no training pairs (check the data files, data.limit and data.filter)");
  return { train, valid, notes };
}

/**
 * The ids a run builds its sequences with: this project's (SPECIAL_IDS), or those of the folder a run starts
 * from (train.initFrom), e.g. a Hugging Face model's pad, decoder_start_token_id and post-processor tokens.
 */
export interface SequenceIds {
  /** Fills every batch tensor past a sequence's end; the loss ignores it in targets. */
  pad: number;
  /** The decoder's first input: tgt_in = decoderStart + target without its last id. */
  decoderStart: number;
  /** Ends every target (and, through sourceSuffix, every source of this project's folders). */
  eos: number;
  /** Ids around a source text's own ids: what the encoder sees is prefix + text + suffix. */
  sourcePrefix: readonly number[];
  sourceSuffix: readonly number[];
  /** Ids before a target text's own ids (e.g. a forced target-language code); the target is prefix + text + eos. */
  targetPrefix: readonly number[];
}

/** This project's ids: sources and targets end with EOS, the decoder starts with BOS, padding is id 0. */
export const OWN_SEQUENCE_IDS: SequenceIds = {
  pad: SPECIAL_IDS.pad,
  decoderStart: SPECIAL_IDS.bos,
  eos: SPECIAL_IDS.eos,
  sourcePrefix: [],
  sourceSuffix: [SPECIAL_IDS.eos],
  targetPrefix: [],
};

/** Encodes source texts as the encoder sees them (ids.sourcePrefix + text + ids.sourceSuffix). */
export function encodeSources(
  texts: readonly string[],
  tokenizers: TokenizerPair,
  ids: SequenceIds = OWN_SEQUENCE_IDS,
): number[][] {
  return tokenizers.source
    .encodeBatch(texts)
    .map((row) => [...ids.sourcePrefix, ...row, ...ids.sourceSuffix]);
}

/** Encodes pairs as id sequences: the encoder input and the decoder target (targetPrefix + y + EOS). */
export function encodePairs(
  pairs: readonly ParallelExample[],
  tokenizers: TokenizerPair,
  ids: SequenceIds = OWN_SEQUENCE_IDS,
): TokenizedPair[] {
  const src = encodeSources(
    pairs.map((p) => p.src),
    tokenizers,
    ids,
  );
  const tgt = tokenizers.target.encodeBatch(pairs.map((p) => p.tgt));
  return pairs.map((_, i) => ({ src: src[i]!, tgt: [...ids.targetPrefix, ...tgt[i]!, ids.eos] }));
}

/** The longest source and target a model takes, in ids with EOS. */
export interface LengthLimit {
  src: number;
  tgt: number;
}

/**
 * The validation set: every pair for the loss, the first `maxSources` distinct sources (0 = all) to decode,
 * leaving out what is longer than `limit`; sequences are built with `sequenceIds`.
 */
export function validationSet(
  pairs: readonly ParallelExample[],
  tokenizers: TokenizerPair,
  maxSources: number,
  limit: LengthLimit | null = null,
  sequenceIds: SequenceIds = OWN_SEQUENCE_IDS,
): ValidationSet {
  const references = referencesBySource(pairs);
  const encoded = encodePairs(pairs, tokenizers, sequenceIds);
  const texts = [...references.keys()];
  const ids = encodeSources(texts, tokenizers, sequenceIds);
  const fits = ids.map((row) => limit === null || row.length <= limit.src);
  const keep = texts.map((_, i) => i).filter((i) => fits[i]);
  const chosen = keep.slice(0, maxSources > 0 ? maxSources : undefined);
  return {
    pairs: limit ? encoded.filter((p) => p.src.length <= limit.src && p.tgt.length <= limit.tgt) : encoded,
    sources: chosen.map((i) => ids[i]!),
    sourceTexts: chosen.map((i) => texts[i]!),
    references: chosen.map((i) => references.get(texts[i]!)!),
  };
}

/**
 * The metric `choice` means for this data: "auto" is "loss" for a mixture (each task's own metric is logged
 * beside it), "g2p" for that task, "exact" for other tasks, else "bleu".
 */
export function resolveMetric(choice: MetricChoice, d: DataConfig): ValidationMetric {
  if (choice !== "auto") return choice;
  if (d.mixture !== null) return "loss";
  if (d.task === "g2p") return "g2p";
  return d.task !== "" ? "exact" : "bleu";
}
