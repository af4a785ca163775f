// What a run leaves besides checkpoints: the best model folder (best/), the average of the last
// checkpoints (averaged/), and the loss/metric plot drawn from log.jsonl (plot.svg, plot.png).

import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { averageModelFolders, writeAveragedInfo } from "./averaging.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { writeTrainingPlot } from "./plot.ts";
import type { LogRecord } from "./progress.ts";
import type { RunSetup } from "./run-setup.ts";
import { unflatten } from "./step-runner.ts";
import type { ValidationResult } from "./validation.ts";

export const BEST_DIR = "best";
export const BEST_INFO_FILE = "best.json";
export const AVERAGED_DIR = "averaged";
export const PLOT_PREFIX = "plot";

/** Writes best/ (a model folder plus best.json: step, metric, value) atomically. */
export async function saveBestModel(
  setup: RunSetup,
  params: Float32Array,
  step: number,
  result: ValidationResult,
): Promise<string> {
  const dir = join(setup.runDir, BEST_DIR);
  await setup.writeFolder(dir, unflatten(setup.layout, params), async (tmp) => {
    await writeJsonAtomic(join(tmp, BEST_INFO_FILE), { step, metric: result.metric, value: result.value });
  });
  return dir;
}

/** The mean weights of some checkpoints: by name, as the run's flat buffer, and the folders and steps they came from. */
export interface CheckpointAverage {
  sources: string[];
  steps: number[];
  weights: Map<string, Float32Array>;
  params: Float32Array;
}

/** Averages the weights of the newest `k` checkpoints of the run, in memory. */
export async function averageLastCheckpoints(setup: RunSetup, k: number): Promise<CheckpointAverage> {
  const checkpoints = listCheckpoints(setup.runDir).slice(-k);
  const weights = await averageModelFolders(checkpoints.map((c) => c.dir));
  const params = new Float32Array(setup.layout.total);
  for (const slot of setup.layout.slots) params.set(weights.get(slot.name)!, slot.offset);
  return { sources: checkpoints.map((c) => c.dir), steps: checkpoints.map((c) => c.step), weights, params };
}

/**
 * Writes `average` as averaged/ (a model folder plus averaged.json, with its validation when it had one)
 * atomically; returns the folder.
 */
export async function saveAveragedModel(
  setup: RunSetup,
  average: CheckpointAverage,
  validation?: { metric: string; value: number },
): Promise<string> {
  const dir = join(setup.runDir, AVERAGED_DIR);
  await setup.writeFolder(dir, average.weights, async (tmp) => {
    await writeAveragedInfo(tmp, {
      sources: average.sources,
      steps: average.steps,
      ...(validation ? { validation } : {}),
    });
  });
  return dir;
}

/** Draws the training loss and every validation series of `records` into <runDir>/plot.svg and .png. */
export async function plotRun(
  records: readonly LogRecord[],
  runDir: string,
  title: string,
): Promise<{ svgPath: string; pngPath: string } | null> {
  const train = records.flatMap((r) => (r.type === "step" ? [{ step: r.step, loss: r.loss }] : []));
  const validation = records.flatMap((r) => {
    if (r.type !== "validation") return [];
    const metric =
      r.metric === "loss" || r.value === null ? [] : [{ step: r.step, metric: r.metric, value: r.value }];
    return [{ step: r.step, metric: "validation loss", value: r.loss }, ...metric];
  });
  if (train.length === 0) return null;
  return writeTrainingPlot({ train, validation }, join(runDir, PLOT_PREFIX), { title });
}
