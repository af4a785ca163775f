// Model folders: model.safetensors (Hugging Face-style names), config.json (architecture + options) and
// the tokenizer file(s). Written atomically as a whole folder; read back with every mismatch named.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isPlainTextTask, parseStoredTextTask, type StoredTextTask } from "../data/text-task.ts";
import { replaceDirAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { readShardedSafetensors, type SafeTensor, writeSafetensors } from "../io/safetensors.ts";
import { reverseTarget } from "../tokenize/reversed-target.ts";
import { loadTokenizerPair, saveTokenizerPair, type TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "./registry.ts";
import type { Seq2SeqModel } from "./seq2seq.ts";

export const MODEL_FILE = "model.safetensors";
export const CONFIG_FILE = "config.json";
/** How inputs become sources (task prefix, template, truncation; src/data/text-task.ts), when not plain. */
export const TEXT_TASK_FILE = "text-task.json";

export interface LoadedModel {
  config: ModelConfig;
  model: Seq2SeqModel;
  weights: Map<string, Float32Array>;
  /** A right-to-left folder's (textTask.reverseTarget) target is a ReversedTokenizer. */
  tokenizers: TokenizerPair;
  /** The folder's text-task.json (null or absent: inputs are used as they are). */
  textTask?: StoredTextTask | null;
}

/** Writes `task` as dir/text-task.json unless it changes nothing. */
export async function writeTextTaskFile(dir: string, task: StoredTextTask): Promise<void> {
  if (!isPlainTextTask(task)) await writeJsonAtomic(join(dir, TEXT_TASK_FILE), task);
}

/** Reads dir/text-task.json, or null when there is none; a malformed file is an error naming it. */
export async function readTextTaskFile(dir: string): Promise<StoredTextTask | null> {
  const path = join(dir, TEXT_TASK_FILE);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: invalid JSON (${(error as Error).message})`);
  }
  return parseStoredTextTask(raw, path);
}

/** The tensors of `weights` for every model parameter, shaped; throws naming any parameter without values. */
export function weightsToTensors(
  model: Seq2SeqModel,
  weights: ReadonlyMap<string, Float32Array>,
): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const p of model.parameters()) {
    const data = weights.get(p.name);
    if (!data) throw new Error(`no weights for parameter "${p.name}"`);
    out.set(p.name, { dtype: "F32", shape: [...p.shape], data });
  }
  return out;
}

/**
 * Writes a model folder atomically (a complete new folder replaces the old one). `extra` files are written
 * into the folder too (e.g. trainer state), by a callback given the temporary folder's path.
 */
export async function saveModelFolder(
  dir: string,
  m: {
    config: ModelConfig;
    model: Seq2SeqModel;
    weights: ReadonlyMap<string, Float32Array>;
    tokenizers: TokenizerPair;
    /** Written as text-task.json when it changes anything. */
    textTask?: StoredTextTask | null;
  },
  extra?: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const tensors = weightsToTensors(m.model, m.weights);
  await replaceDirAtomic(dir, async (tmp) => {
    await writeSafetensors(join(tmp, MODEL_FILE), tensors, { format: "pt" });
    await writeJsonAtomic(join(tmp, CONFIG_FILE), m.config);
    saveTokenizerPair(m.tokenizers, tmp);
    if (m.textTask) await writeTextTaskFile(tmp, m.textTask);
    if (extra) await extra(tmp);
  });
}

/** Reads a model folder; a missing file, an unknown config key or a weight that does not fit is a clear error. */
export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) throw new Error(`model folder ${dir} has no ${CONFIG_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, "utf8"));
  } catch (error) {
    throw new Error(`${configPath}: invalid JSON (${(error as Error).message})`);
  }
  const config = resolveModelConfig(raw as ModelConfig, configPath);
  const model = buildModel(config);
  const file = await readShardedSafetensors(dir);
  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const p of model.parameters()) {
    const t = file.tensors.get(p.name);
    if (!t) {
      problems.push(`missing "${p.name}" [${p.shape.join(", ")}]`);
      continue;
    }
    if (t.shape.join(",") !== p.shape.join(",") || !(t.data instanceof Float32Array)) {
      problems.push(
        `"${p.name}" is ${t.dtype} [${t.shape.join(", ")}], the config needs F32 [${p.shape.join(", ")}]`,
      );
      continue;
    }
    weights.set(p.name, t.data);
  }
  const known = new Set(model.parameters().map((p) => p.name));
  for (const name of file.tensors.keys()) if (!known.has(name)) problems.push(`unexpected tensor "${name}"`);
  if (problems.length > 0) {
    throw new Error(
      `${join(dir, MODEL_FILE)} does not fit ${configPath}: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}`,
    );
  }
  const textTask = await readTextTaskFile(dir);
  const tokenizers = loadTokenizerPair(dir);
  return {
    config,
    model,
    weights,
    tokenizers: textTask?.reverseTarget ? reverseTarget(tokenizers) : tokenizers,
    textTask,
  };
}
