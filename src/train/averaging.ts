// Checkpoint averaging: the element-wise mean of the weights of the last k checkpoints, often a little
// better than the last one alone (Vaswani et al. 2017, §6.1 averages the last 5 or 20 checkpoints).

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { MODEL_FILE } from "../models/folder.ts";
import { TRAINER_STATE_FILE } from "./checkpoint.ts";

/** The file an averaged model folder records its origin in. */
export const AVERAGED_INFO_FILE = "averaged.json";

/** averaged.json: the folders whose weights were averaged and the training step each was saved at. */
export interface AveragedInfo {
  sources: string[];
  /** null for a folder without trainer_state.json (not a checkpoint: best/, an imported model). */
  steps: Array<number | null>;
  /** The trainer's validation of the average (its metric, as best/best.json records best/'s), when it ran one. */
  validation?: { metric: string; value: number };
}

/** The step a checkpoint folder was saved at (its trainer_state.json), or null when it has none. */
export async function checkpointStep(dir: string): Promise<number | null> {
  try {
    const state = JSON.parse(await readFile(join(dir, TRAINER_STATE_FILE), "utf8")) as { step?: unknown };
    return typeof state.step === "number" ? state.step : null;
  } catch {
    return null;
  }
}

/** Writes `<dir>/averaged.json` for an average of `sources`. */
export async function writeAveragedInfo(dir: string, info: AveragedInfo): Promise<void> {
  await writeJsonAtomic(join(dir, AVERAGED_INFO_FILE), info);
}

/** The element-wise mean of several weight maps with the same names and sizes (summed in float64). */
export function averageWeights(
  weights: ReadonlyArray<ReadonlyMap<string, Float32Array>>,
): Map<string, Float32Array> {
  if (weights.length === 0) throw new Error("averaging needs at least one set of weights");
  const first = weights[0]!;
  const out = new Map<string, Float32Array>();
  for (const [name, data] of first) {
    const sum = new Float64Array(data.length);
    weights.forEach((w, k) => {
      const other = w.get(name);
      if (!other || other.length !== data.length) {
        throw new Error(
          `cannot average: weights ${k + 1} ${other ? "have another size for" : "lack"} "${name}"`,
        );
      }
      for (let i = 0; i < sum.length; i++) sum[i]! += other[i]!;
    });
    out.set(
      name,
      Float32Array.from(sum, (s) => s / weights.length),
    );
  }
  for (const [k, w] of weights.entries()) {
    for (const name of w.keys())
      if (!first.has(name))
        throw new Error(`cannot average: weights ${k + 1} have an extra tensor "${name}"`);
  }
  return out;
}

/** Reads model.safetensors of each model folder and averages their float32 weights. */
export async function averageModelFolders(dirs: readonly string[]): Promise<Map<string, Float32Array>> {
  const all: Array<Map<string, Float32Array>> = [];
  for (const dir of dirs) {
    const file = await readSafetensors(join(dir, MODEL_FILE));
    const weights = new Map<string, Float32Array>();
    for (const [name, t] of file.tensors) {
      if (!(t.data instanceof Float32Array))
        throw new Error(`${join(dir, MODEL_FILE)}: "${name}" is not float`);
      weights.set(name, t.data);
    }
    all.push(weights);
  }
  return averageWeights(all);
}
