// Resumable checkpoints: a model folder (model.safetensors, config.json, tokenizers) plus the optimizer
// (training_state.safetensors: flat params, AdamW m and v) and trainer_state.json, all written atomically.

import { existsSync, readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { DataPosition } from "../data/batch-stream.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { saveModelFolder } from "../models/folder.ts";
import type { ModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import type { TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import type { ScheduleState } from "./schedules.ts";
import type { FlatLayout } from "./step-graph.ts";
import { unflatten } from "./step-runner.ts";
import type { OptimizerState } from "./stepper.ts";
import type { RunConfig } from "./train-config.ts";

export const TRAINING_STATE_FILE = "training_state.safetensors";
export const TRAINER_STATE_FILE = "trainer_state.json";
export const CHECKPOINTS_DIR = "checkpoints";
const FORMAT = 1;

/** Everything besides tensors that a resumed run needs to continue exactly where this one stopped. */
export interface TrainerState {
  format: number;
  /** Optimizer steps taken. */
  step: number;
  /** The data stream's next batch. */
  data: DataPosition;
  /**
   * Where the current training graph was built: its dropout seeds are mixed from (seed, this step), and
   * ONNX Runtime's generators advance with every run since, so a resume replays the batches from here.
   */
  segment: { step: number; data: DataPosition };
  seed: number;
  schedule: ScheduleState;
  /** The validation metric's best value, its step and validation loss, and validations since it improved. */
  best: { metric: string; value: number | null; step: number; loss: number | null };
  badValidations: number;
  /** Target tokens trained on and training seconds, across resumes. */
  tokens: number;
  elapsed: number;
  configHash: string;
  config: RunConfig;
  /** Training pairs and a hash of their text, checked on resume. */
  dataFingerprint: string;
  /** Parameter count and names in flat-buffer order, checked against the model on load. */
  layout: { total: number; names: string[] };
}

/** A checkpoint's folder name: checkpoints/step-00001234. */
export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, CHECKPOINTS_DIR, `step-${String(step).padStart(8, "0")}`);
}

/** The run's checkpoints, oldest first. */
export function listCheckpoints(runDir: string): Array<{ step: number; dir: string }> {
  const root = join(runDir, CHECKPOINTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^step-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(root, m[0]) }))
    .filter((c) => existsSync(join(c.dir, TRAINER_STATE_FILE)))
    .sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `keep` checkpoints. */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<void> {
  const all = listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep)))
    await rm(old.dir, { recursive: true, force: true });
}

/**
 * Writes a model folder of a run (a checkpoint, best/, averaged/) atomically: the model with `weights`, plus
 * the `extra` files written into the same temporary folder.
 */
export type ModelFolderWriter = (
  dir: string,
  weights: ReadonlyMap<string, Float32Array>,
  extra?: (tmpDir: string) => Promise<void>,
) => Promise<void>;

/** The writer of this project's model folders (src/models/folder.ts) for one model and its tokenizers. */
export function ownFolderWriter(
  config: ModelConfig,
  model: Seq2SeqModel,
  tokenizers: TokenizerPair,
): ModelFolderWriter {
  return (dir, weights, extra) => saveModelFolder(dir, { config, model, weights, tokenizers }, extra);
}

export interface CheckpointContent {
  modelConfig: ModelConfig;
  model: Seq2SeqModel;
  tokenizers: TokenizerPair;
  layout: FlatLayout;
  optimizer: OptimizerState;
  trainer: TrainerState;
  /** How the model folder is written (default this project's layout; a Hugging Face folder for such runs). */
  writeFolder?: ModelFolderWriter;
}

/** Writes a checkpoint folder atomically (a crash leaves the previous checkpoint intact). */
export async function saveCheckpoint(dir: string, c: CheckpointContent): Promise<void> {
  const write = c.writeFolder ?? ownFolderWriter(c.modelConfig, c.model, c.tokenizers);
  await write(dir, unflatten(c.layout, c.optimizer.params), (tmp) =>
    writeTrainingState(tmp, c.layout, c.optimizer, c.trainer),
  );
}

/**
 * Writes a checkpoint's resumable part into the folder `dir` (a temporary folder being filled):
 * training_state.safetensors (flat params, AdamW m and v) and trainer_state.json (`trainer`, any run's state).
 */
export async function writeTrainingState(
  dir: string,
  layout: FlatLayout,
  optimizer: OptimizerState,
  trainer: { step: number },
): Promise<void> {
  const flat = (data: Float32Array) => ({ dtype: "F32" as const, shape: [layout.total], data });
  await writeSafetensors(
    join(dir, TRAINING_STATE_FILE),
    { params: flat(optimizer.params), adam_m: flat(optimizer.m), adam_v: flat(optimizer.v) },
    { format: "seq2seq-ts-training-state", step: String(trainer.step) },
  );
  await writeJsonAtomic(join(dir, TRAINER_STATE_FILE), trainer);
}

/** Reads trainer_state.json; a missing or malformed file is an error naming it. */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const file = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(file))
    throw new Error(`${dir} is not a resumable checkpoint: ${TRAINER_STATE_FILE} is missing`);
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(file, "utf8")) as TrainerState;
  } catch (error) {
    throw new Error(`${file}: invalid JSON (${(error as Error).message})`);
  }
  if (state.format !== FORMAT || !Number.isInteger(state.step) || typeof state.config !== "object") {
    throw new Error(`${file}: not a trainer state this version can read (format ${state.format})`);
  }
  return state;
}

/** Reads the optimizer state of a checkpoint and checks it against `layout` (and the state's own layout). */
export async function readOptimizerState(
  dir: string,
  layout: FlatLayout,
  trainer: Pick<TrainerState, "step" | "layout">,
): Promise<OptimizerState> {
  const file = join(dir, TRAINING_STATE_FILE);
  if (!existsSync(file))
    throw new Error(`${dir} is not a resumable checkpoint: ${TRAINING_STATE_FILE} is missing`);
  const names = layout.slots.map((s) => s.name);
  if (trainer.layout.total !== layout.total || trainer.layout.names.join("\n") !== names.join("\n")) {
    throw new Error(
      `${join(dir, TRAINER_STATE_FILE)}: the checkpoint's parameters (${trainer.layout.total} values) do not ` +
        `match the model's (${layout.total}); did the model config or the tokenizer change?`,
    );
  }
  const { tensors } = await readSafetensors(file);
  const take = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (t?.dtype !== "F32" || t.shape.length !== 1 || t.shape[0] !== layout.total) {
      const got = t ? `${t.dtype} [${t.shape.join(", ")}]` : "missing";
      throw new Error(`${file}: tensor "${name}" is ${got}, expected F32 [${layout.total}]`);
    }
    return t.data as Float32Array;
  };
  return { params: take("params"), m: take("adam_m"), v: take("adam_v"), step: trainer.step };
}
