// Everything a training run needs before its first step: the run folder (fresh, or the checkpoint to
// resume with its config checked), the data, the tokenizers, the model and the optimizer's starting state.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TokenizedPair } from "../data/batching.ts";
import type { ParallelExample } from "../data/parallel.ts";
import { configToJson } from "../io/config.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import { reverseTarget } from "../tokenize/reversed-target.ts";
import { loadTokenizerPair, type TokenizerPair, trainTokenizerPair } from "../tokenize/tokenizer-pair.ts";
import { trainTokenizer } from "../tokenize/train-tokenizer.ts";
import {
  listCheckpoints,
  type ModelFolderWriter,
  ownFolderWriter,
  readOptimizerState,
  readTrainerState,
  type TrainerState,
} from "./checkpoint.ts";
import { flatWeights, type InitFolder, loadInitFolder, validationGeneration } from "./init-from.ts";
import { type LengthLimit, OWN_SEQUENCE_IDS, type SequenceIds } from "./run-data.ts";
import { type LrSchedule, makeSchedule } from "./schedules.ts";
import { type FlatLayout, flatLayout } from "./step-graph.ts";
import { initialFlatParams } from "./step-runner.ts";
import type { OptimizerState } from "./stepper.ts";
import { encodeTaskData, loadTaskText, type TaskData, type TaskText, withTextTask } from "./task-data.ts";
import { TaskValidator } from "./task-validation.ts";
import {
  configDifferences,
  modelConfigFor,
  RESUMABLE_KEYS,
  type RunConfig,
  type TrainConfig,
} from "./train-config.ts";
import {
  decodeLimit,
  higherIsBetter,
  type ValidationMetric,
  type ValidationSet,
  Validator,
} from "./validation.ts";

/** The resolved config as written into the run folder. */
export const RUN_CONFIG_FILE = "run-config.json";

export interface RunSetup {
  runDir: string;
  /** The checkpoint being resumed, or null for a fresh run. */
  resumed: { dir: string; trainer: TrainerState } | null;
  tokenizers: TokenizerPair;
  trainPairs: TokenizedPair[];
  validation: ValidationSet | null;
  /** Each task's part of the validation sources and the mixture's sampling plan (src/train/task-data.ts). */
  validationTasks: TaskData["validationTasks"];
  mixture: TaskData["mixture"];
  modelConfig: ModelConfig;
  model: Seq2SeqModel;
  layout: FlatLayout;
  optimizer: OptimizerState;
  /** A hash of the training text, checked on resume. */
  dataFingerprint: string;
  /** The ids sequences are built with: this project's, or those of the folder the run started from. */
  ids: SequenceIds;
  /** Writes the run's model folders (checkpoints, best/, averaged/): a Hugging Face run writes such folders. */
  writeFolder: ModelFolderWriter;
  /** The folder the run started from (train.initFrom), or null for a run from scratch. */
  init: InitFolder | null;
}

/** Trains the run's tokenizers on the training pairs: joint or one per side, the target maybe of another kind. */
export async function trainTokenizers(
  config: RunConfig,
  pairs: readonly ParallelExample[],
): Promise<TokenizerPair> {
  const { targetKind, ...tokenizer } = config.tokenizer;
  const sources = pairs.map((e) => e.src);
  const targets = pairs.map((e) => e.tgt);
  if (targetKind === "" || targetKind === tokenizer.kind)
    return trainTokenizerPair(sources, targets, tokenizer);
  const [source, target] = await Promise.all([
    trainTokenizer(sources, tokenizer),
    trainTokenizer(targets, { ...tokenizer, kind: targetKind }),
  ]);
  return { source, target, joint: false };
}

/** "tokenizer: char → word, 31 source / 43 target tokens" (or "tokenizer: from DIR, ..."). */
function describeTokenizers(config: RunConfig, tokenizers: TokenizerPair, init: InitFolder | null): string {
  const vocab = tokenizers.joint
    ? `${tokenizers.source.vocabSize} joint`
    : `${tokenizers.source.vocabSize} source / ${tokenizers.target.vocabSize} target`;
  if (init) return `tokenizer: from ${init.dir}, ${vocab} tokens`;
  const kinds = [config.tokenizer.kind, config.tokenizer.targetKind].filter((k) => k !== "");
  return `tokenizer: ${[...new Set(kinds)].join(" → ")}, ${vocab} tokens`;
}

/** A hash of the training pairs' text (order included). */
export function dataFingerprint(pairs: readonly ParallelExample[]): string {
  const hash = createHash("sha256");
  for (const p of pairs) hash.update(`${p.src}\t${p.tgt}\n`);
  return `${pairs.length}:${hash.digest("hex").slice(0, 16)}`;
}

/** The checkpoint to resume in `runDir` (checked against `config`), or null for a fresh run. */
async function openRunDir(
  config: RunConfig,
  runDir: string,
  resume: boolean,
): Promise<{ dir: string; trainer: TrainerState } | null> {
  const last = listCheckpoints(runDir).at(-1);
  if (!resume) {
    if (last) {
      throw new Error(
        `${runDir} already holds a training run (${last.dir}): pass --resume to continue it, or choose another --out`,
      );
    }
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, RUN_CONFIG_FILE), configToJson(config));
    return null;
  }
  if (!last) throw new Error(`nothing to resume: ${runDir} holds no checkpoint (checkpoints/step-*)`);
  const trainer = await readTrainerState(last.dir);
  const differences = configDifferences(trainer.config, config);
  if (differences.length > 0) {
    throw new Error(
      `cannot resume ${last.dir}: the config differs from the run's in ${differences.join(", ")}. ` +
        `Only ${RESUMABLE_KEYS.join(", ")} may change when resuming`,
    );
  }
  return { dir: last.dir, trainer };
}

/** The model a run from scratch trains: the run's model section with the tokenizers' vocabulary sizes. */
function modelFromConfig(
  config: RunConfig,
  tokenizers: TokenizerPair,
): { modelConfig: ModelConfig; model: Seq2SeqModel } {
  const modelConfig = resolveModelConfig(
    modelConfigFor(config, tokenizers.source.vocabSize, tokenizers.target.vocabSize),
    "model config",
  );
  return { modelConfig, model: buildModel(modelConfig) };
}

/**
 * Opens the run folder, reads the data, trains (or, when resuming, loads) the tokenizers, builds the model
 * and its starting optimizer state; a run with train.initFrom takes model, tokenizer and first weights from
 * that folder (src/train/init-from.ts). `note` receives progress lines.
 */
export async function setUpRun(
  config: RunConfig,
  runDir: string,
  resume: boolean,
  note: (line: string) => void,
): Promise<RunSetup> {
  const { initFrom } = config.train;
  const init = initFrom === "" ? null : await loadInitFolder(initFrom, config.model);
  if (init) note(`fine-tuning from ${init.dir}${init.hf ? ` (Hugging Face ${init.hf.family})` : ""}`);
  if (init?.hf && config.data.reverseTarget)
    throw new Error(
      `data.reverseTarget cannot fine-tune ${init.dir}: a Hugging Face ${init.hf.family} model writes left to right`,
    );
  const resumed = await openRunDir(config, runDir, resume);
  const text = await loadTaskText(config.data);
  for (const line of text.notes) note(line);
  const fingerprint = dataFingerprint(text.train);
  if (resumed && resumed.trainer.dataFingerprint !== fingerprint) {
    throw new Error(
      `cannot resume ${resumed.dir}: the training data differ from the run's ` +
        `(${resumed.trainer.dataFingerprint} vs ${fingerprint} as pairs:hash)`,
    );
  }
  const readingOrder =
    init?.tokenizers ??
    (resumed ? loadTokenizerPair(resumed.dir) : await trainTokenizers(config, text.train));
  // A right-to-left run encodes (and validation decodes) its targets backwards; the folders get readingOrder.
  const tokenizers = config.data.reverseTarget ? reverseTarget(readingOrder) : readingOrder;
  note(describeTokenizers(config, tokenizers, init));
  if (config.data.reverseTarget) note("targets are read right to left (data.reverseTarget)");
  const { modelConfig, model } = init ?? modelFromConfig(config, tokenizers);
  const layout = flatLayout(model.parameters());
  note(`model: ${model.architecture}, ${layout.total.toLocaleString("en")} parameters`);
  let optimizer: OptimizerState;
  if (resumed) optimizer = await readOptimizerState(resumed.dir, layout, resumed.trainer);
  else if (init) optimizer = startingState(flatWeights(layout, init));
  else optimizer = startingState(initialFlatParams(layout, model.parameters(), config.train.seed));
  const ids = init?.ids ?? OWN_SEQUENCE_IDS;
  const data = encodeRunText(config, text, tokenizers, ids, lengthLimit(model, modelConfig), note);
  return {
    runDir,
    resumed,
    tokenizers,
    ...data,
    modelConfig,
    model,
    layout,
    optimizer,
    dataFingerprint: fingerprint,
    ids,
    writeFolder: withTextTask(
      init?.writeFolder ?? ownFolderWriter(modelConfig, model, readingOrder),
      data.textTask,
    ),
    init,
  };
}

/** Encodes the run's text with `ids`, leaving out what the model cannot take; validation may be absent. */
function encodeRunText(
  config: RunConfig,
  text: TaskText,
  tokenizers: TokenizerPair,
  ids: SequenceIds,
  limit: LengthLimit | null,
  note: (line: string) => void,
): TaskData {
  const data = encodeTaskData(text, tokenizers, {
    data: config.data,
    validMaxExamples: config.train.validMaxExamples,
    limit,
    ids,
  });
  for (const line of data.notes) note(line);
  if (!data.validation) {
    const t = config.train;
    if (t.patience > 0 || t.schedule === "plateau") {
      throw new Error(
        `train.${t.patience > 0 ? "patience" : "schedule plateau"} needs validation data ` +
          "(data.validSrc + data.validTgt, data.validTsv, or a built-in task)",
      );
    }
    note("no validation data: validation is skipped (set data.validSrc/validTgt or validTsv)");
  }
  return data;
}

/**
 * The run's validator (null without validation data): greedy decoding from the decoder start, or the
 * generation config of the Hugging Face folder the run started from.
 */
export function runValidator(setup: RunSetup, t: TrainConfig, metric: ValidationMetric): Validator | null {
  const set = setup.validation;
  if (!set) return null;
  const maxLength = t.decodeMaxLength || decodeLimit(set, setup.modelConfig);
  const hf = setup.init?.hf;
  const options = {
    metric,
    maxLength,
    maxTokens: t.maxTokens,
    target: setup.tokenizers.target,
    session: { threads: t.threads },
    ids: setup.ids,
    generation: hf ? validationGeneration(hf, maxLength) : undefined,
  };
  if (setup.validationTasks)
    return new TaskValidator(setup.model, setup.layout, set, options, setup.validationTasks);
  return new Validator(setup.model, setup.layout, set, options);
}

/**
 * The longest source and target (in ids, EOS included) the model trains on: its last length bucket, else its
 * maxSourceLength and maxPositions.
 */
export function lengthLimit(model: Seq2SeqModel, modelConfig: ModelConfig): LengthLimit | null {
  const last = model.lengthBuckets?.at(-1);
  if (last) return { src: last.srcLen, tgt: last.tgtLen };
  const positions = modelConfig["maxPositions"];
  const tgt = typeof positions === "number" ? positions : Number.POSITIVE_INFINITY;
  const src = model.maxSourceLength ?? tgt;
  return Number.isFinite(src) || Number.isFinite(tgt) ? { src, tgt } : null;
}

/** The optimizer state before the first step: `params`, zero moments. */
function startingState(params: Float32Array): OptimizerState {
  return { params, m: new Float32Array(params.length), v: new Float32Array(params.length), step: 0 };
}

/** Whether `runDir` has a checkpoint to resume. */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(runDir) && listCheckpoints(runDir).length > 0;
}

/** The learning-rate schedule of a run; reduce-on-plateau follows the direction of the validation metric. */
export function runSchedule(config: RunConfig, metric: ValidationMetric): LrSchedule {
  const t = config.train;
  const dModel = config.model["dModel"];
  return makeSchedule({
    kind: t.schedule,
    lr: t.lr,
    noam: {
      warmupSteps: Math.max(1, t.warmupSteps),
      form: t.noamForm,
      dModel: typeof dModel === "number" ? dModel : 512,
    },
    cosine: {
      warmupSteps: t.warmupSteps,
      totalSteps: Math.max(t.maxSteps, t.warmupSteps + 1),
      minLr: t.minLr,
    },
    plateau: {
      ...t.plateau,
      mode: higherIsBetter(metric) ? "max" : "min",
      thresholdMode: "rel",
      minLr: t.minLr,
    },
  });
}
