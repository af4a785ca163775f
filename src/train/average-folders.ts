// `seq2seq average`: the element-wise mean of the weights of several model folders of one run (checkpoints,
// best/), written as a new model folder — the checkpoint averaging of Vaswani et al. 2017 §6.1, after the fact.

import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { replaceDirAtomic } from "../io/atomic.ts";
import {
  readSafetensors,
  type SafeTensor,
  type SafetensorsFile,
  writeSafetensors,
} from "../io/safetensors.ts";
import { CONFIG_FILE, MODEL_FILE } from "../models/folder.ts";
import {
  AVERAGED_INFO_FILE,
  type AveragedInfo,
  averageModelFolders,
  checkpointStep,
  writeAveragedInfo,
} from "./averaging.ts";
import { TRAINER_STATE_FILE, TRAINING_STATE_FILE } from "./checkpoint.ts";
import { BEST_INFO_FILE } from "./run-outputs.ts";

/** Files of a checkpoint that belong to training, not to the model: not copied into the average. */
const TRAINING_ONLY = new Set([TRAINING_STATE_FILE, TRAINER_STATE_FILE, BEST_INFO_FILE, AVERAGED_INFO_FILE]);

/** Where the average was written, and its averaged.json. */
export interface AverageReport extends AveragedInfo {
  dir: string;
}

/** The bytes of `dir/name`, or a clear error naming the file. */
async function readModelFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    throw new Error(`${join(dir, name)}: cannot read: ${(error as Error).message}`);
  }
}

/** Float tensors of the first folder's model.safetensors with their data replaced by the averaged weights. */
function averagedTensors(
  file: string,
  first: SafetensorsFile,
  weights: Map<string, Float32Array>,
): Map<string, SafeTensor> {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of first.tensors) {
    if (t.dtype !== "F32" && t.dtype !== "F16" && t.dtype !== "BF16")
      throw new Error(`${file}: "${name}" is not a float tensor: it cannot be averaged`);
    tensors.set(name, { dtype: t.dtype, shape: t.shape, data: weights.get(name)! });
  }
  return tensors;
}

/**
 * Averages the weights of the model folders `dirs` (all with the same config.json) into `out`, replaced
 * atomically: model.safetensors holds the mean (summed in float64, stored in the first folder's float dtypes), every other model file
 * (config, tokenizer files, text-task.json) is copied from the first folder, and averaged.json names the sources
 * and their steps, as the trainer's averaged/ does.
 */
export async function averageFolders(dirs: readonly string[], out: string): Promise<AverageReport> {
  if (dirs.length < 2) throw new Error(`averaging needs at least two model folders, got ${dirs.length}`);
  const first = dirs[0]!;
  const names = (await readdir(first, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name !== MODEL_FILE && !TRAINING_ONLY.has(e.name))
    .map((e) => e.name);
  if (!names.includes(CONFIG_FILE))
    throw new Error(`${join(first, CONFIG_FILE)}: missing: not a model folder`);
  // Same config and tokenizer files everywhere, or the weights do not mean the same thing.
  for (const name of names) {
    const expected = await readModelFile(first, name);
    for (const dir of dirs.slice(1)) {
      if (!(await readModelFile(dir, name)).equals(expected))
        throw new Error(`${join(dir, name)} differs from ${join(first, name)}: not checkpoints of one model`);
    }
  }
  const weights = await averageModelFolders(dirs);
  const firstFile = await readSafetensors(join(first, MODEL_FILE));
  const tensors = averagedTensors(join(first, MODEL_FILE), firstFile, weights);
  const info: AveragedInfo = { sources: [...dirs], steps: await Promise.all(dirs.map(checkpointStep)) };
  await replaceDirAtomic(out, async (tmp) => {
    for (const name of names) await copyFile(join(first, name), join(tmp, name));
    await writeSafetensors(join(tmp, MODEL_FILE), tensors, firstFile.metadata);
    await writeAveragedInfo(tmp, info);
  });
  return { dir: out, ...info };
}
