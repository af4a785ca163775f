// The options of translation (which search, its settings, the constraints) with their defaults, checked
// once so the CLI and the HTTP server give the same clear errors naming the option.

import { DEFAULT_LENGTH_PENALTY, type LengthPenalty } from "./length-penalty.ts";
import type { EarlyStopping } from "./search.ts";

/**
 * What a user asks of a translation. An option left out takes the model's default: the defaults below for
 * this project's folders, the generation config for a Hugging Face folder (see src/decode/hf-scheme.ts).
 */
export interface TranslateOptions {
  /** Beam size (default 5; 1 = greedy). Must stay 1 (or unset) when sampling. */
  beam?: number;
  /** Hypotheses per sentence: the n-best list of beam search, or n samples (default 1). */
  nbest?: number;
  /** Beam length penalty; a part left out is the model's own (default gnmt, α 0.6; Hugging Face: power). */
  lengthPenalty?: Partial<LengthPenalty>;
  /** When beam search stops a sentence that has `beam` finished hypotheses (default false); see EarlyStopping. */
  earlyStopping?: EarlyStopping;
  /** Sample instead of searching (default false). */
  sample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Sampling seed (default 0): equal seeds give equal samples. */
  seed?: number;
  /** Most output tokens before EOS (default 256; capped by the model's maxPositions). */
  maxLength?: number;
  /** Also cap outputs at ⌊offset + ratio · srcLen⌋ tokens (default 10 + 2 · srcLen); null: no such cap. */
  relativeMaxLength?: { offset: number; ratio: number } | null;
  minLength?: number;
  noRepeatNgram?: number;
  bannedSequences?: readonly (readonly number[])[];
  suppressTokens?: readonly number[];
  beginSuppressTokens?: readonly number[];
  forcedFirstToken?: number;
  /** Sentences decoded together (default 32; rows = sentences × beam). */
  batchSize?: number;
}

/** Every option checked, with its default filled in (the constraints without defaults stay optional). */
export interface ResolvedTranslateOptions
  extends Omit<TranslateOptions, "relativeMaxLength" | "lengthPenalty"> {
  beam: number;
  nbest: number;
  lengthPenalty: LengthPenalty;
  earlyStopping: EarlyStopping;
  sample: boolean;
  temperature: number;
  seed: number;
  maxLength: number;
  minLength: number;
  relativeMaxLength?: { offset: number; ratio: number };
  batchSize: number;
}

export const DEFAULT_MAX_LENGTH = 256;
export const DEFAULT_RELATIVE_MAX_LENGTH = { offset: 10, ratio: 2 };

/** An option the model cannot honour (out of range, or not supported by its kind of folder). */
export class TranslateOptionsError extends Error {}

function checkInteger(value: number | undefined, name: string, min: number, max = Infinity): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be an integer ${range}, got ${value}`);
  }
}

function checkIds(ids: readonly number[] | undefined, name: string, vocab: number): void {
  for (const id of ids ?? []) checkInteger(id, `${name} (a token id)`, 0, vocab - 1);
}

/** `object` without its undefined entries (so they do not hide defaults when spread). */
export function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks `options` against a target vocabulary of `vocab` ids and fills in the defaults. */
export function resolveTranslateOptions(options: TranslateOptions, vocab: number): ResolvedTranslateOptions {
  const sample = options.sample ?? false;
  if (sample && options.beam !== undefined && options.beam !== 1) {
    throw new Error(`sampling decodes one path per sample: beam must be 1 with sample, got ${options.beam}`);
  }
  const beam = options.beam ?? (sample ? 1 : 5);
  checkInteger(beam, "beam", 1);
  const nbest = options.nbest ?? 1;
  checkInteger(nbest, "nbest", 1, sample ? Infinity : beam);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new Error(`temperature must be a number > 0, got ${temperature}`);
  checkInteger(options.topK, "topK", 1);
  if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1))
    throw new Error(`topP must be in (0, 1], got ${options.topP}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkInteger(maxLength, "maxLength", 1);
  const minLength = options.minLength ?? 0;
  checkInteger(minLength, "minLength", 0, maxLength);
  checkInteger(options.noRepeatNgram, "noRepeatNgram", 0);
  const batchSize = options.batchSize ?? 32;
  checkInteger(batchSize, "batchSize", 1);
  const relative =
    options.relativeMaxLength === null
      ? undefined
      : (options.relativeMaxLength ?? DEFAULT_RELATIVE_MAX_LENGTH);
  if (relative && !(relative.offset >= 0 && relative.ratio >= 0))
    throw new Error(
      `relativeMaxLength offset and ratio must be numbers ≥ 0, got ${JSON.stringify(relative)}`,
    );
  const lengthPenalty = { ...DEFAULT_LENGTH_PENALTY, ...definedOnly(options.lengthPenalty ?? {}) };
  if (!["gnmt", "power"].includes(lengthPenalty.form) || !Number.isFinite(lengthPenalty.alpha))
    throw new Error(
      `lengthPenalty must be {form: "gnmt" | "power", alpha: number}, got ${JSON.stringify(lengthPenalty)}`,
    );
  checkIds(options.suppressTokens, "suppressTokens", vocab);
  checkIds(options.beginSuppressTokens, "beginSuppressTokens", vocab);
  checkIds(
    options.forcedFirstToken === undefined ? [] : [options.forcedFirstToken],
    "forcedFirstToken",
    vocab,
  );
  for (const sequence of options.bannedSequences ?? []) {
    if (sequence.length === 0) throw new Error("bannedSequences holds an empty sequence");
    checkIds(sequence, "bannedSequences", vocab);
  }
  return {
    ...options,
    beam,
    nbest,
    lengthPenalty,
    earlyStopping: options.earlyStopping ?? false,
    sample,
    temperature,
    seed,
    maxLength,
    minLength,
    relativeMaxLength: relative,
    batchSize,
  };
}
