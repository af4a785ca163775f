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
import { loadTokenizerPair, type TokenizerPair, trainTokenizerPair } from "../tokenize/tokenizer-pair.ts";
import { trainTokenizer } from "../tokenize/train-tokenizer.ts";
import { listCheckpoints, readOptimizerState, readTrainerState, type TrainerState } from "./checkpoint.ts";
import { encodePairs, type LengthLimit, loadRunText, validationSet } from "./run-data.ts";
import { type LrSchedule, makeSchedule } from "./schedules.ts";
import { type FlatLayout, flatLayout } from "./step-graph.ts";
import { initialFlatParams } from "./step-runner.ts";
import type { OptimizerState } from "./stepper.ts";
import { configDifferences, modelConfigFor, RESUMABLE_KEYS, type RunConfig } from "./train-config.ts";
import { higherIsBetter, type ValidationMetric, type ValidationSet } from "./validation.ts";

/** The resolved config as written into the run folder. */
export const RUN_CONFIG_FILE = "run-config.json";

export interface RunSetup {
  runDir: string;
  /** The checkpoint being resumed, or null for a fresh run. */
  resumed: { dir: string; trainer: TrainerState } | null;
  tokenizers: TokenizerPair;
  trainPairs: TokenizedPair[];
  validation: ValidationSet | null;
  modelConfig: ModelConfig;
  model: Seq2SeqModel;
  layout: FlatLayout;
  optimizer: OptimizerState;
  /** A hash of the training text, checked on resume. */
  dataFingerprint: string;
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

/** "tokenizer: char → word, 31 source / 43 target tokens". */
function describeTokenizers(config: RunConfig, tokenizers: TokenizerPair): string {
  const vocab = tokenizers.joint
    ? `${tokenizers.source.vocabSize} joint`
    : `${tokenizers.source.vocabSize} source / ${tokenizers.target.vocabSize} target`;
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

/**
 * Opens the run folder, reads the data, trains (or, when resuming, loads) the tokenizers, builds the model
 * and its starting optimizer state. `note` receives progress lines.
 */
export async function setUpRun(
  config: RunConfig,
  runDir: string,
  resume: boolean,
  note: (line: string) => void,
): Promise<RunSetup> {
  const resumed = await openRunDir(config, runDir, resume);
  const text = await loadRunText(config.data);
  for (const line of text.notes) note(line);
  const fingerprint = dataFingerprint(text.train);
  if (resumed && resumed.trainer.dataFingerprint !== fingerprint) {
    throw new Error(
      `cannot resume ${resumed.dir}: the training data differ from the run's ` +
        `(${resumed.trainer.dataFingerprint} vs ${fingerprint} as pairs:hash)`,
    );
  }
  const tokenizers = resumed ? loadTokenizerPair(resumed.dir) : await trainTokenizers(config, text.train);
  note(describeTokenizers(config, tokenizers));
  const modelConfig = resolveModelConfig(
    modelConfigFor(config, tokenizers.source.vocabSize, tokenizers.target.vocabSize),
    "model config",
  );
  const model = buildModel(modelConfig);
  const layout = flatLayout(model.parameters());
  note(`model: ${model.architecture}, ${layout.total.toLocaleString("en")} parameters`);
  const optimizer = resumed
    ? await readOptimizerState(resumed.dir, layout, resumed.trainer)
    : freshOptimizer(layout, model, config.train.seed);
  const limit = lengthLimit(model, modelConfig);
  const trainPairs = withinLimit(encodePairs(text.train, tokenizers), limit);
  if (trainPairs.length < text.train.length) {
    note(
      `left out ${text.train.length - trainPairs.length} training pairs longer than the model takes ` +
        `(${limit!.src} source / ${limit!.tgt} target tokens)`,
    );
  }
  if (trainPairs.length === 0) throw new Error("no training pair fits the model's length limits");
  const validation =
    text.valid.length > 0
      ? validationSet(text.valid, tokenizers, config.train.validMaxExamples, limit)
      : null;
  if (!validation) {
    const t = config.train;
    if (t.patience > 0 || t.schedule === "plateau") {
      throw new Error(
        `train.${t.patience > 0 ? "patience" : "schedule plateau"} needs validation data ` +
          "(data.validSrc + data.validTgt, data.validTsv, or a built-in task)",
      );
    }
    note("no validation data: validation is skipped (set data.validSrc/validTgt or validTsv)");
  }
  return {
    runDir,
    resumed,
    tokenizers,
    trainPairs,
    validation,
    modelConfig,
    model,
    layout,
    optimizer,
    dataFingerprint: fingerprint,
  };
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

function withinLimit(pairs: TokenizedPair[], limit: LengthLimit | null): TokenizedPair[] {
  return limit ? pairs.filter((p) => p.src.length <= limit.src && p.tgt.length <= limit.tgt) : pairs;
}

function freshOptimizer(layout: FlatLayout, model: Seq2SeqModel, seed: number): OptimizerState {
  return {
    params: initialFlatParams(layout, model.parameters(), seed),
    m: new Float32Array(layout.total),
    v: new Float32Array(layout.total),
    step: 0,
  };
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
