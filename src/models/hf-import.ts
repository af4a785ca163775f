// Loads a local Hugging Face folder (T5, BART, mBART, Marian, M2M100/NLLB) as a Transformer whose parameter
// names are the checkpoint's keys: tied copies stored once are resolved, non-persistent tables recomputed.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { StoredTask, StoredTextTask } from "../data/text-task.ts";
import { type HfFolderFiles, readHfFolder, readJsonObject } from "../io/hf-folder.ts";
import type { SafeTensor } from "../io/safetensors.ts";
import { loadTokenizer } from "../tokenize/load-tokenizer.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { jointPair } from "../tokenize/tokenizer-pair.ts";
import type { LoadedModel } from "./folder.ts";
import { fromHfConfig, type HfFamily, type HfTokenIds, hfFamily } from "./hf-config.ts";
import { type GenerationConfig, generationFromHf } from "./hf-generation.ts";
import { tiedAliases } from "./hf-names.ts";
import { Transformer, type TransformerConfig } from "./transformer.ts";

/** A Hugging Face folder loaded as a Transformer. */
export interface HfModel {
  dir: string;
  family: HfFamily;
  config: TransformerConfig;
  model: Transformer;
  /** By parameter name (= checkpoint key). */
  weights: Map<string, Float32Array>;
  tokens: HfTokenIds;
  /** generation_config.json (else the generation keys of config.json), resolved. */
  generation: GenerationConfig;
  /** The raw generation settings behind `generation` (snake_case, as in the file). */
  generationJson: Record<string, unknown>;
  /** The raw config.json (kept so an export can carry its unmodelled keys). */
  hfConfig: Record<string, unknown>;
  tokenizer?: Tokenizer;
  /** Why there is no tokenizer (set when `tokenizer` is undefined). */
  tokenizerProblem?: string;
}

export interface LoadHfOptions {
  /** Fail when the folder has no usable tokenizer.json (default true). */
  requireTokenizer?: boolean;
}

/** Generation keys a config.json may carry (transformers 4 stored them there). */
const GENERATION_KEYS = [
  "decoder_start_token_id",
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
  "forced_bos_token_id",
  "forced_eos_token_id",
  "max_length",
  "min_length",
  "num_beams",
  "length_penalty",
  "early_stopping",
  "no_repeat_ngram_size",
  "bad_words_ids",
  "suppress_tokens",
  "begin_suppress_tokens",
];

function generationSettings(files: HfFolderFiles): Record<string, unknown> {
  const fromConfig: Record<string, unknown> = {};
  for (const key of GENERATION_KEYS)
    if (files.config.json[key] != null) fromConfig[key] = files.config.json[key];
  return files.generation ? { ...fromConfig, ...files.generation.json } : fromConfig;
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decides whether the output layer is tied (an lm_head.weight that differs from the embedding unties it,
 * as transformers does at load time) and drops stored copies of tied tensors, checking they are copies.
 */
function resolveTies(
  config: TransformerConfig,
  tensors: Map<string, SafeTensor>,
  where: string,
): TransformerConfig {
  const probe = new Transformer(config);
  const head = `${probe.names.lmHead}.weight`;
  const embedding = `${config.shareEmbeddings ? probe.names.shared : probe.names.decoderEmbed}.weight`;
  const stored = tensors.get(head);
  const resolved = { ...config };
  if (stored && config.tieOutput) {
    const table = tensors.get(embedding);
    if (table && !sameData(stored.data as Float32Array, table.data as Float32Array))
      resolved.tieOutput = false;
  }
  for (const [alias, target] of tiedAliases(probe.names, resolved.shareEmbeddings, resolved.tieOutput)) {
    const copy = tensors.get(alias);
    if (!copy) continue;
    const original = tensors.get(target);
    if (original && !sameData(copy.data as Float32Array, original.data as Float32Array))
      throw new Error(`${where}: "${alias}" should be a copy of "${target}" (tied) but holds other values`);
    tensors.delete(alias);
  }
  return resolved;
}

/** Keys of tables the model computes instead of storing (Marian and M2M100 sinusoids). */
function computedKeys(config: TransformerConfig): string[] {
  if (config.positions !== "sinusoidal" && config.positions !== "fairseq") return [];
  return ["model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"];
}

/** The weights of every model parameter from `tensors`; every missing, misshapen or unexpected tensor is named. */
function matchWeights(
  model: Transformer,
  tensors: Map<string, SafeTensor>,
  where: string,
  configPath: string,
): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const p of model.parameters()) {
    const t = tensors.get(p.name);
    if (!t) {
      problems.push(`missing "${p.name}" [${p.shape.join(", ")}]`);
      continue;
    }
    if (t.shape.join(",") !== p.shape.join(",") || !(t.data instanceof Float32Array)) {
      problems.push(
        `"${p.name}" is ${t.dtype} [${t.shape.join(", ")}], ${configPath} implies F32 [${p.shape.join(", ")}]`,
      );
      continue;
    }
    weights.set(p.name, t.data);
  }
  const known = new Set(model.parameters().map((p) => p.name));
  const ignored = new Set(computedKeys(model.config));
  for (const name of tensors.keys())
    if (!known.has(name) && !ignored.has(name)) problems.push(`unexpected tensor "${name}"`);
  if (problems.length > 0) {
    const more = problems.length > 6 ? `; and ${problems.length - 6} more` : "";
    throw new Error(`${where} does not fit ${configPath}: ${problems.slice(0, 6).join("; ")}${more}`);
  }
  return weights;
}

/**
 * Loads a Hugging Face folder: config.json (model_type t5, bart, mbart, marian or m2m_100), model.safetensors
 * or sharded safetensors, generation_config.json and tokenizer.json. Pickled weights, unknown model types,
 * a missing tokenizer (unless `requireTokenizer` is false) and weights that do not fit the config are errors.
 */
export async function loadHfFolder(dir: string, options: LoadHfOptions = {}): Promise<HfModel> {
  const configPath = join(dir, "config.json");
  if (existsSync(configPath)) hfFamily(readJsonObject(configPath).json, configPath); // before reading weights
  const files = await readHfFolder(dir);
  if ("missing" in files.tokenizer && (options.requireTokenizer ?? true))
    throw new Error(files.tokenizer.missing);
  const mapped = fromHfConfig(files.config.json, files.config.path);
  const where = join(dir, "model.safetensors");
  const tensors = new Map(files.tensors);
  const config = resolveTies(mapped.config, tensors, where);
  const model = new Transformer(config);
  const weights = matchWeights(model, tensors, where, files.config.path);
  const tokenizer = "path" in files.tokenizer ? loadTokenizer(files.tokenizer.path) : undefined;
  if (tokenizer && tokenizer.vocabSize > config.srcVocabSize)
    throw new Error(
      `${join(dir, "tokenizer.json")} has ${tokenizer.vocabSize} ids, more than the model's vocabulary of ${config.srcVocabSize} (${files.config.path} "vocab_size")`,
    );
  const generationJson = generationSettings(files);
  const generationWhere = files.generation?.path ?? files.config.path;
  return {
    dir,
    family: mapped.family,
    config,
    model,
    weights,
    tokens: mapped.tokens,
    generation: generationFromHf(generationJson, mapped.tokens, generationWhere),
    generationJson,
    hfConfig: files.config.json,
    tokenizer,
    tokenizerProblem: "missing" in files.tokenizer ? files.tokenizer.missing : undefined,
  };
}

/**
 * The model as a LoadedModel (what training and this project's folders use): config
 * { architecture: "transformer", ... }, one tokenizer for both sides. Needs the folder's tokenizer.
 */
export function toLoadedModel(hf: HfModel): LoadedModel {
  if (!hf.tokenizer) throw new Error(hf.tokenizerProblem ?? `${hf.dir} has no tokenizer`);
  return {
    config: { architecture: "transformer", ...hf.config },
    model: hf.model,
    weights: hf.weights,
    tokenizers: jointPair(hf.tokenizer),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The named tasks of a config.json's `task_specific_params` (T5: {"summarization": {"prefix": "summarize: ",
 * "num_beams": 4, ...}}): each entry with a string `prefix`, as a task `--task NAME` applies. Only the prefix
 * is used; entries without one (generation settings only) and malformed values are left out.
 */
export function hfTasks(hfConfig: Record<string, unknown>): StoredTask[] {
  const params = hfConfig.task_specific_params;
  if (!isRecord(params)) return [];
  return Object.entries(params).flatMap(([name, entry]) =>
    isRecord(entry) && typeof entry.prefix === "string" ? [{ name, prefix: entry.prefix, template: "" }] : [],
  );
}

/**
 * A folder's text-task.json (`stored`, or null) with the tasks of task_specific_params it does not name
 * added after its own; null when there is neither. A task named in both keeps text-task.json's settings.
 */
export function withHfTasks(
  stored: StoredTextTask | null,
  tasks: readonly StoredTask[],
): StoredTextTask | null {
  const own = new Set(stored?.tasks.map((t) => t.name));
  const added = tasks.filter((t) => !own.has(t.name));
  if (added.length === 0) return stored;
  const base: StoredTextTask = stored ?? {
    format: 1,
    prefix: "",
    template: "",
    maxSourceTokens: 0,
    truncate: "none",
    tasks: [],
  };
  return { ...base, tasks: [...base.tasks, ...added] };
}
