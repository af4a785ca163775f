// The typed config of a training run (model, data, tokenizer, train) with its defaults: the schema that
// config files and dotted overrides are checked against, plus the value checks and the resume identity.

import { createHash } from "node:crypto";
import type { TruncatePolicy } from "../data/text-task.ts";
import { ConfigError, type ConfigSource, parseOverrideArgs, resolveConfig } from "../io/config.ts";
import type { METRIC_NAMES } from "../metrics/index.ts";
import { architecture, listArchitectures, type ModelConfig } from "../models/registry.ts";
import { SPECIAL_IDS } from "../tokenize/tokenizer.ts";
import { type TokenizerConfig, tokenizerConfigDefaults } from "../tokenize/train-tokenizer.ts";
import { checkInitFromConfig, folderModelConfig, requestedInitFrom } from "./init-from.ts";
import type { ScheduleKind } from "./schedules.ts";
import { checkRunConfig } from "./train-config-checks.ts";

/** Options of a built-in task; null leaves the task's own default (see src/data TaskOptions). */
export interface TaskOptionsConfig {
  count: number | null;
  validCount: number | null;
  testCount: number | null;
  seed: number;
  symbols: string | null;
  minLength: number | null;
  maxLength: number | null;
  separator: string | null;
  maxDigits: number | null;
  minYear: number | null;
  maxYear: number | null;
  validPercent: number | null;
  testPercent: number | null;
}

/** A speech run's data: manifests as `seq2seq data speech` writes them (path, text, voice columns). */
export interface SpeechDataConfig {
  /** Training manifest (TSV; audio paths relative to the manifest's folder). Set: a speech run. */
  train: string;
  /** Validation manifest, transcribed for CER/WER at every validation ("" = none). */
  valid: string;
  /** A multilingual Hugging Face Whisper folder's language ("en"): its <|lang|> prompt token. */
  language: string;
  /** A Hugging Face Whisper folder's task ("transcribe" or "translate"; "" = the folder's default). */
  task: string;
}

/** SpecAugment masks of a speech run's training features (src/audio/spec-augment.ts); 0 masks = off. */
export interface SpecAugmentConfig {
  freqMasks: number;
  freqWidth: number;
  timeMasks: number;
  timeWidth: number;
  /** A time mask covers at most this fraction of the frames. */
  maxTimeFraction: number;
  /** VTLP: warp each utterance's frequency axis by α ~ U[1 − freqWarp, 1 + freqWarp]; 0 = off. */
  freqWarp: number;
}

/** Where the examples come from: a built-in task, two line-aligned files, or a TSV file. */
export interface DataConfig {
  /** A built-in task (copy, reverse, sort, addition, dates, g2p), or "" to read files. */
  task: string;
  taskOptions: TaskOptionsConfig;
  /** Training pairs: `src` + `tgt` (line-aligned files) or `tsv`. Paths are relative to the working directory. */
  src: string;
  tgt: string;
  tsv: string;
  /** Validation pairs, the same way (a task's validation split is used when these are empty). */
  validSrc: string;
  validTgt: string;
  validTsv: string;
  /** TSV columns (0-based) and whether the first line is a header. */
  srcColumn: number;
  tgtColumn: number;
  header: boolean;
  /** Filters on the training pairs; counts are reported. maxLength 0 keeps every length. */
  filter: { dropEmpty: boolean; maxLength: number };
  /** A line longer than this many characters is an error naming file and line. */
  maxLineLength: number;
  /** Use only the first N training pairs (0 = all). */
  limit: number;
  /** Put before every source, e.g. "summarize: "; stored with the model, so `seq2seq translate` adds it too. */
  prefix: string;
  /** With a TSV: the source built from several columns, e.g. "question: {1} context: {2}" ("" = srcColumn). */
  template: string;
  /** Sources over maxSourceTokens (EOS included; 0 = the model's source limit): see src/data/text-task.ts. */
  truncate: { policy: TruncatePolicy; maxSourceTokens: number };
  /**
   * Train a right-to-left model: every target is read backwards (src/tokenize/reversed-target.ts), and the
   * model folder says so, so decoding puts outputs back in order. Such a model can rescore a left-to-right
   * model's outputs (`seq2seq translate --model L2R --model R2L`).
   */
  reverseTarget: boolean;
  /** Several tasks in one model (T5): each its own data, prefix and rate; null = the single task above. */
  mixture: MixtureTaskConfig[] | null;
  /** How a mixture's tasks are sampled (src/data/mixture.ts); epochSize 0 = the capped task sizes summed. */
  mixing: { cap: number; temperature: number; epochSize: number };
  /** Audio + transcripts for a speech model (model.architecture whisper or speech-gru); excludes the text keys. */
  speech: SpeechDataConfig;
}

/** One task of `data.mixture`: where its pairs come from (as in `data`), its prefix, rate and metric. */
export interface MixtureTaskConfig {
  /** Names the task in the log and for `seq2seq translate --task`. */
  name: string;
  prefix: string;
  /** Share of the training examples; 0 for every task = examples-proportional (see data.mixing). */
  rate: number;
  /** Validation metric of this task; "auto": g2p for the g2p task, exact for other built-in tasks and NL-RX, else bleu. */
  metric: Exclude<MetricChoice, "loss">;
  task: string;
  taskOptions: TaskOptionsConfig;
  src: string;
  tgt: string;
  tsv: string;
  validSrc: string;
  validTgt: string;
  validTsv: string;
  srcColumn: number;
  tgtColumn: number;
  header: boolean;
  template: string;
  /** NL-RX: the folder holding synth/ and turk/ (its train and val splits are read), e.g. ../shared/data/nl-rx. */
  nlRx: string;
  nlRxVariant: string;
  limit: number;
}

/** Metrics a run can validate and early-stop on; "auto" picks by task ("g2p", "exact") or "bleu" for files. */
export type MetricChoice = "auto" | "loss" | "g2p" | (typeof METRIC_NAMES)[number];

/** The optimisation loop, validation and checkpoints. */
export interface TrainConfig {
  seed: number;
  /** Stop after this many optimizer steps (0 = no limit; maxSteps or maxEpochs must be set). */
  maxSteps: number;
  maxEpochs: number;
  /**
   * Seconds of training in the whole run (0 = no limit), counted across resumes from the elapsed time its
   * checkpoint recorded: the loop stops before a step, with the validation and checkpoint after it, would end
   * past them (predicted from the last such step). Raise it on resume to train longer.
   */
  maxSeconds: number;
  /** Padded tokens per micro-batch (sentences × longest side). */
  maxTokens: number;
  /** Sentences per micro-batch (0 = no limit). */
  maxSentences: number;
  /** Micro-batches per optimizer step (gradient accumulation). */
  accumulate: number;
  lr: number;
  /** cosine decays to minLr at maxSteps, or when maxSeconds runs out if that comes first (cosineLr). */
  schedule: ScheduleKind;
  /** Warm-up steps of the noam and cosine schedules. */
  warmupSteps: number;
  /** Floor of the cosine and plateau schedules. */
  minLr: number;
  /** noam: "relative" peaks at lr; "classic" is the paper's dModel^-0.5 form. */
  noamForm: "relative" | "classic";
  /** Reduce-on-plateau, counted in validations (its mode follows the metric). */
  plateau: { factor: number; patience: number; threshold: number; cooldown: number };
  labelSmoothing: number;
  /** Global gradient-norm clipping (0 = off). */
  maxGradNorm: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Validate every N steps (and at the end). */
  validEvery: number;
  /** Write a resumable checkpoint every N steps (0 = at every validation). */
  saveEvery: number;
  metric: MetricChoice;
  /** Validation sources greedy-decoded for the metric (0 = all). */
  validMaxExamples: number;
  /** Longest decoded output (0 = twice the longest validation source + 10). */
  decodeMaxLength: number;
  /** Stop after this many validations without improvement (0 = never). */
  patience: number;
  /** Keep the best model (by the metric) in best/. */
  keepBest: boolean;
  /** Resumable checkpoints kept in checkpoints/. */
  keepLast: number;
  /** At the end, average the weights of the last k checkpoints into averaged/ (0 = off). */
  averageLastK: number;
  /**
   * With a validation set: try the averages of the last 2, 3, ..., averageLastK checkpoints and keep in averaged/
   * the one validation rates best (on a steep learning curve, averaging too far back hurts).
   */
  averageChooseK: boolean;
  /** Plain progress lines every N steps (the JSONL log gets every step). */
  logEvery: number;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** On resume from a checkpoint between reseeds, replay the batches since then so dropout masks match. */
  exactResume: boolean;
  /**
   * Fine-tune: start from this model folder (a Hugging Face folder or one of this project's; "" = train from
   * scratch). Its model, tokenizer and weights are used; see src/train/init-from.ts.
   */
  initFrom: string;
  /** Speech runs: rows × padded feature frames per batch (100 frames a second). */
  batchFrames: number;
  /** Speech runs: SpecAugment on the training features. */
  specAugment: SpecAugmentConfig;
}

/** The tokenizers: src/tokenize's config, plus a different kind for the target side if wanted. */
export interface RunTokenizerConfig extends TokenizerConfig {
  /** The target side's kind when it differs from `kind` (e.g. char → word for G2P); "" = same. Needs joint: false. */
  targetKind: "" | TokenizerConfig["kind"];
}

/** A whole run. `model` holds `architecture` plus that family's options, less what the tokenizer decides. */
export interface RunConfig {
  model: ModelConfig;
  data: DataConfig;
  tokenizer: RunTokenizerConfig;
  train: TrainConfig;
}

export const DATA_DEFAULTS: DataConfig = {
  task: "",
  taskOptions: {
    count: null,
    validCount: null,
    testCount: null,
    seed: 1,
    symbols: null,
    minLength: null,
    maxLength: null,
    separator: null,
    maxDigits: null,
    minYear: null,
    maxYear: null,
    validPercent: null,
    testPercent: null,
  },
  src: "",
  tgt: "",
  tsv: "",
  validSrc: "",
  validTgt: "",
  validTsv: "",
  srcColumn: 0,
  tgtColumn: 1,
  header: false,
  filter: { dropEmpty: false, maxLength: 0 },
  maxLineLength: 100_000,
  limit: 0,
  prefix: "",
  template: "",
  truncate: { policy: "none", maxSourceTokens: 0 },
  reverseTarget: false,
  mixture: null,
  mixing: { cap: 0, temperature: 1, epochSize: 0 },
  speech: { train: "", valid: "", language: "", task: "" },
};

/** The defaults of one `data.mixture` task. */
export const MIXTURE_TASK_DEFAULTS: MixtureTaskConfig = {
  name: "",
  prefix: "",
  rate: 0,
  metric: "auto",
  task: "",
  taskOptions: structuredClone(DATA_DEFAULTS.taskOptions),
  src: "",
  tgt: "",
  tsv: "",
  validSrc: "",
  validTgt: "",
  validTsv: "",
  srcColumn: 0,
  tgtColumn: 1,
  header: false,
  template: "",
  nlRx: "",
  nlRxVariant: "synth",
  limit: 0,
};

/**
 * Checks each `data.mixture` task strictly against MIXTURE_TASK_DEFAULTS and fills its defaults; errors name
 * the key as `data.mixture[1].prefix` with the nearest valid one.
 */
function resolveMixture(value: unknown, sources: readonly ConfigSource[]): MixtureTaskConfig[] | null {
  if (value === null) return null;
  const origin =
    sources.findLast((s) => (s.values as { data?: { mixture?: unknown } }).data?.mixture !== undefined)
      ?.origin ?? "command line";
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError(`config key "data.mixture" expects a list of tasks (in ${origin})`, "data.mixture");
  return value.map((task, i) => {
    const key = `data.mixture[${i}]`;
    return resolveConfig({ [key]: MIXTURE_TASK_DEFAULTS }, [{ origin, values: { [key]: task } }])[key]!;
  });
}

export const TRAIN_DEFAULTS: TrainConfig = {
  seed: 1,
  maxSteps: 10_000,
  maxEpochs: 0,
  maxSeconds: 0,
  maxTokens: 4096,
  maxSentences: 0,
  accumulate: 1,
  lr: 1e-3,
  schedule: "noam",
  warmupSteps: 400,
  minLr: 0,
  noamForm: "relative",
  plateau: { factor: 0.5, patience: 2, threshold: 1e-4, cooldown: 0 },
  labelSmoothing: 0.1,
  maxGradNorm: 1,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.98,
  eps: 1e-9,
  validEvery: 500,
  saveEvery: 0,
  metric: "auto",
  validMaxExamples: 500,
  decodeMaxLength: 0,
  patience: 0,
  keepBest: true,
  keepLast: 2,
  averageLastK: 0,
  averageChooseK: false,
  logEvery: 50,
  threads: 2,
  exactResume: true,
  initFrom: "",
  batchFrames: 16_000,
  specAugment: { freqMasks: 0, freqWidth: 0, timeMasks: 0, timeWidth: 0, maxTimeFraction: 1, freqWarp: 0 },
};

/** Model keys the trainer sets itself: the vocabulary sizes come from the tokenizer, padding is id 0. */
export const DERIVED_MODEL_KEYS = ["srcVocabSize", "tgtVocabSize", "padId", "vocabSize"] as const;

/** Keys that may differ when resuming: limits, logging and bookkeeping, nothing that changes the steps taken. */
export const RESUMABLE_KEYS: readonly string[] = [
  "train.maxSteps",
  "train.maxEpochs",
  "train.maxSeconds",
  "train.patience",
  "train.keepBest",
  "train.keepLast",
  "train.averageLastK",
  "train.averageChooseK",
  "train.logEvery",
  "train.threads",
  "train.validMaxExamples",
  "train.decodeMaxLength",
  "train.exactResume",
];

/** The architecture a set of sources and overrides asks for (later wins); "transformer" by default. */
function requestedArchitecture(sources: readonly ConfigSource[], overrides: string[]): string {
  let name = "transformer";
  for (const { values } of sources) {
    const model = (values as { model?: unknown }).model;
    if (typeof model === "object" && model !== null && "architecture" in model) {
      const value = (model as { architecture: unknown }).architecture;
      if (typeof value === "string") name = value;
    }
  }
  for (const o of parseOverrideArgs(overrides)) if (o.key === "model.architecture" && o.raw) name = o.raw;
  return name;
}

/** The schema of a run whose model is `architectureName`: every default, derived model keys left out. */
export function runConfigDefaults(architectureName = "transformer"): RunConfig {
  let family: object;
  try {
    family = architecture(architectureName).defaults;
  } catch {
    const known = listArchitectures().map((a) => a.name);
    throw new ConfigError(
      `unknown model.architecture "${architectureName}"; known: ${known.join(", ")}`,
      "model.architecture",
    );
  }
  const model: Record<string, unknown> = { architecture: architectureName };
  for (const [key, value] of Object.entries(family)) {
    if (!(DERIVED_MODEL_KEYS as readonly string[]).includes(key)) model[key] = structuredClone(value);
  }
  return {
    model: model as ModelConfig,
    data: structuredClone(DATA_DEFAULTS),
    tokenizer: { ...tokenizerConfigDefaults, targetKind: "" },
    train: structuredClone(TRAIN_DEFAULTS),
  };
}

function rejectDerivedKeys(sources: readonly ConfigSource[], overrides: string[]): void {
  const fromSources = sources.flatMap(({ origin, values }) => {
    const model = (values as { model?: unknown }).model;
    if (typeof model !== "object" || model === null) return [];
    return Object.keys(model).map((key) => ({ key, origin }));
  });
  const fromOverrides = parseOverrideArgs(overrides)
    .filter((o) => o.key.startsWith("model."))
    .map((o) => ({ key: o.key.slice("model.".length), origin: "command line" }));
  for (const { key, origin } of [...fromSources, ...fromOverrides]) {
    if ((DERIVED_MODEL_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(
        `config key "model.${key}" is set by the trainer (vocabulary sizes come from the trained tokenizer, ` +
          `see tokenizer.vocabSize; padding is id ${SPECIAL_IDS.pad}): remove it (in ${origin})`,
        `model.${key}`,
        origin,
      );
    }
  }
}

/** The schema of a run started from folder `dir` (train.initFrom): the model section is the folder's model. */
function initFromDefaults(dir: string): RunConfig {
  const folder = folderModelConfig(dir);
  const defaults = runConfigDefaults(folder.architecture);
  const model: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(folder))
    if (!(DERIVED_MODEL_KEYS as readonly string[]).includes(key)) model[key] = value;
  defaults.model = model as ModelConfig;
  return defaults;
}

/**
 * Resolves a run config: defaults for the requested architecture (with train.initFrom, the folder's model),
 * then each source (a JSON/YAML file), then dotted overrides (`--train.lr 5e-4`). Unknown keys and wrong types
 * are ConfigErrors naming the key and the nearest valid one; then every value is range-checked (checkRunConfig).
 */
export function resolveRunConfig(sources: ConfigSource[], overrides: string[] = []): RunConfig {
  rejectDerivedKeys(sources, overrides);
  const initFrom = requestedInitFrom(sources, overrides);
  const defaults =
    initFrom === ""
      ? runConfigDefaults(requestedArchitecture(sources, overrides))
      : initFromDefaults(initFrom);
  const config = resolveConfig(defaults, sources, overrides);
  config.data.mixture = resolveMixture(config.data.mixture, sources);
  if (initFrom !== "") checkInitFromConfig(config.model, defaults.model, initFrom, sources, overrides);
  checkRunConfig(config);
  return config;
}

/** The model config for given vocabulary sizes: the run's model section plus the derived keys its family has. */
export function modelConfigFor(config: RunConfig, srcVocabSize: number, tgtVocabSize: number): ModelConfig {
  const family = architecture(config.model.architecture).defaults;
  const derived: Record<string, number> = {
    srcVocabSize,
    tgtVocabSize,
    padId: SPECIAL_IDS.pad,
    vocabSize: tgtVocabSize,
  };
  const out: ModelConfig = { ...config.model };
  for (const key of DERIVED_MODEL_KEYS) if (key in family) out[key] = derived[key];
  return out;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Keys only speech runs read: left out of a text run's identity, so its older checkpoints still resume. */
const SPEECH_ONLY_KEYS = ["data.speech.", "train.batchFrames", "train.specAugment."];

/** The part of a config that must not change when resuming, as sorted dotted key/value pairs. */
function identity(config: RunConfig): Array<[string, unknown]> {
  const text = config.data.speech?.train === undefined || config.data.speech.train === "";
  return [...flatten(config, "", new Map())]
    .filter(([key]) => !RESUMABLE_KEYS.includes(key))
    .filter(([key]) => !(text && SPEECH_ONLY_KEYS.some((k) => key.startsWith(k))))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A short hash of everything in the config that fixes the training trajectory (RESUMABLE_KEYS left out). */
export function configHash(config: RunConfig): string {
  return createHash("sha256")
    .update(JSON.stringify(identity(config)))
    .digest("hex")
    .slice(0, 16);
}

/** The keys whose values differ between a saved run config and a new one (RESUMABLE_KEYS left out). */
export function configDifferences(saved: RunConfig, current: RunConfig): string[] {
  const a = new Map(identity(saved));
  const b = new Map(identity(current));
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => `${k} (${JSON.stringify(a.get(k)) ?? "unset"} → ${JSON.stringify(b.get(k)) ?? "unset"})`);
}
