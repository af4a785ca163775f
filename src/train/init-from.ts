// Fine-tuning from a model folder (train.initFrom): a Hugging Face folder (T5, BART, mBART, Marian, M2M100)
// or one of this project's fixes the model, the tokenizer, the first weights and the ids sequences are built with.

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { generationFor } from "../decode/hf-scheme.ts";
import { ConfigError, type ConfigSource, parseOverrideArgs } from "../io/config.ts";
import { isHfFolder, readJsonObject } from "../io/hf-folder.ts";
import { type LoadedModel, loadModelFolder } from "../models/folder.ts";
import { fromHfConfig } from "../models/hf-config.ts";
import { exportHfFolder, sourceFromHf } from "../models/hf-export.ts";
import type { GenerationConfig } from "../models/hf-generation.ts";
import { type HfModel, loadHfFolder } from "../models/hf-import.ts";
import { sourceWrapping } from "../models/hf-source.ts";
import { whisperFromHfConfig } from "../models/hf-whisper.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import { Transformer, type TransformerConfig } from "../models/transformer.ts";
import { inReadingOrder } from "../tokenize/reversed-target.ts";
import { SPECIAL_IDS } from "../tokenize/tokenizer.ts";
import { jointPair, type TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import { type ModelFolderWriter, ownFolderWriter } from "./checkpoint.ts";
import type { SequenceIds } from "./run-data.ts";
import type { FlatLayout } from "./step-graph.ts";

/** The config key naming the folder. */
export const INIT_FROM_KEY = "train.initFrom";

/** Model keys a run started from a folder may set to other values than the folder's: regularisation only. */
export const INIT_FROM_OVERRIDABLE: readonly string[] = ["dropout", "attentionDropout", "activationDropout"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The folder train.initFrom names in `sources` and `overrides` (later wins); "" when none does. */
export function requestedInitFrom(sources: readonly ConfigSource[], overrides: string[]): string {
  let dir = "";
  for (const { values } of sources) {
    const train = isObject(values) ? values.train : undefined;
    if (isObject(train) && typeof train.initFrom === "string") dir = train.initFrom;
  }
  for (const o of parseOverrideArgs(overrides))
    if (o.key === INIT_FROM_KEY && o.raw !== undefined) dir = o.raw;
  return dir;
}

/** The text trainer's refusal of a Whisper folder: speech folders train as speech runs (src/train/speech-run.ts). */
function refuseWhisper(configPath: string): never {
  throw new ConfigError(
    `${INIT_FROM_KEY}: ${configPath} is a Whisper (speech) model: fine-tune it on audio with data.speech.train ` +
      "(a manifest as `seq2seq data speech` writes; --speech-train FILE), not on text data",
    INIT_FROM_KEY,
  );
}

/**
 * The whole model config of a folder, from its config.json alone (weights and tokenizer are read when the run
 * is set up): a Hugging Face config as { architecture: "transformer", ... }, or this project's config.
 * A Hugging Face Whisper folder gives { architecture: "whisper", ... } (a speech run fine-tunes it). A missing
 * folder, a missing config.json and an unknown model_type are errors.
 */
export function folderModelConfig(dir: string): ModelConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ConfigError(`${INIT_FROM_KEY}: model folder ${dir} does not exist`, INIT_FROM_KEY);
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) {
    throw new ConfigError(
      `${INIT_FROM_KEY}: ${dir} has no config.json: neither a Hugging Face folder nor a seq2seq-ts model folder`,
      INIT_FROM_KEY,
    );
  }
  const { json } = readJsonObject(configPath);
  if (json.model_type === "whisper")
    return { architecture: "whisper", ...whisperFromHfConfig(json, configPath).config };
  if (typeof json.model_type === "string")
    return { architecture: "transformer", ...fromHfConfig(json, configPath).config };
  return resolveModelConfig(json as ModelConfig, configPath);
}

/** Where `section.key` was set last ("command line" or a source's origin), or undefined. */
function originOf(
  section: string,
  key: string | undefined,
  sources: readonly ConfigSource[],
  overrides: string[],
): { key: string; origin: string } | undefined {
  const prefix = `${section}.`;
  const fromOverrides = parseOverrideArgs(overrides).filter(
    (o) => o.key.startsWith(prefix) && (key === undefined || o.key === prefix + key),
  );
  const last = fromOverrides.at(-1);
  if (last) return { key: last.key, origin: "command line" };
  for (const { origin, values } of [...sources].reverse()) {
    const part = isObject(values) ? values[section] : undefined;
    if (!isObject(part)) continue;
    const found = key === undefined ? Object.keys(part)[0] : key in part ? key : undefined;
    if (found !== undefined) return { key: prefix + found, origin };
  }
  return undefined;
}

/**
 * Checks a run config resolved over a folder's model (train.initFrom): every model key but the
 * INIT_FROM_OVERRIDABLE ones must equal the folder's, and no tokenizer key may be set (the folder's tokenizer
 * is used). Throws a ConfigError naming the key and where it was set.
 */
export function checkInitFromConfig(
  model: ModelConfig,
  folder: ModelConfig,
  dir: string,
  sources: readonly ConfigSource[],
  overrides: string[],
): void {
  const allowed = INIT_FROM_OVERRIDABLE.map((k) => `model.${k}`).join(", ");
  for (const [key, value] of Object.entries(model)) {
    if (INIT_FROM_OVERRIDABLE.includes(key) || JSON.stringify(value) === JSON.stringify(folder[key]))
      continue;
    const where = originOf("model", key, sources, overrides)?.origin ?? "config";
    throw new ConfigError(
      `config key "model.${key}" (in ${where}) is ${JSON.stringify(value)}, but ${dir} has ` +
        `${JSON.stringify(folder[key])}: a run started from a folder (${INIT_FROM_KEY}) takes its model from it; ` +
        `remove model.${key} (only ${allowed} may differ)`,
      `model.${key}`,
      where,
    );
  }
  const tokenizer = originOf("tokenizer", undefined, sources, overrides);
  if (tokenizer) {
    throw new ConfigError(
      `config key "${tokenizer.key}" (in ${tokenizer.origin}) does not apply: a run started from a folder ` +
        `(${INIT_FROM_KEY}) uses the folder's tokenizer; remove the tokenizer section`,
      tokenizer.key,
      tokenizer.origin,
    );
  }
}

/** What a run started from a folder takes from it. */
export interface InitFolder {
  dir: string;
  /** The folder's model config with the run's INIT_FROM_OVERRIDABLE values, derived keys included. */
  modelConfig: ModelConfig;
  model: Seq2SeqModel;
  /** The folder's weights by parameter name: the run's first parameters. */
  weights: ReadonlyMap<string, Float32Array>;
  tokenizers: TokenizerPair;
  ids: SequenceIds;
  /** Writes the run's model folders in the folder's layout (a Hugging Face folder's run writes such folders). */
  writeFolder: ModelFolderWriter;
  /** The Hugging Face folder (its generation config drives validation decoding), if it is one. */
  hf?: HfModel;
}

/**
 * The ids of a Hugging Face folder, as its tokenizer and generate use them: sources wrapped as the tokenizer's
 * post-processor wraps them (translate's scheme does the same), the decoder starting with
 * decoder_start_token_id, and targets = forced first token (forced_bos_token_id, e.g. mBART's target
 * language; else the tokenizer's own prefix, e.g. BART's <s>) + text + eos_token_id.
 */
export function hfSequenceIds(hf: HfModel, tokenizers: TokenizerPair): SequenceIds {
  const { prefix, suffix } = sourceWrapping(tokenizers.source, join(hf.dir, "tokenizer.json"));
  const g = hf.generation;
  return {
    pad: hf.config.padId,
    decoderStart: g.decoderStartTokenId,
    eos: g.eosTokenId,
    sourcePrefix: prefix,
    sourceSuffix: suffix,
    targetPrefix: g.forcedBosTokenId === undefined ? prefix : [g.forcedBosTokenId],
  };
}

function fromHf(hf: HfModel, overrides: Partial<TransformerConfig>): InitFolder {
  if (!hf.tokenizer) throw new Error(hf.tokenizerProblem ?? `${hf.dir} has no tokenizer.json`);
  const config: TransformerConfig = { ...hf.config, ...overrides };
  const model = new Transformer(config);
  const tokenizers = jointPair(hf.tokenizer);
  const writeFolder: ModelFolderWriter = async (dir, weights, extra) => {
    await exportHfFolder({ ...sourceFromHf(hf), config, model, weights }, dir, extra);
  };
  return {
    dir: hf.dir,
    modelConfig: { architecture: "transformer", ...config },
    model,
    weights: hf.weights,
    tokenizers,
    ids: hfSequenceIds(hf, tokenizers),
    writeFolder,
    hf,
  };
}

function fromOwn(dir: string, loaded: LoadedModel, overrides: Record<string, unknown>): InitFolder {
  const modelConfig = resolveModelConfig({ ...loaded.config, ...overrides }, join(dir, "config.json"));
  const model = buildModel(modelConfig);
  const tokenizers = inReadingOrder(loaded.tokenizers); // the run's data.reverseTarget decides its direction
  const { source, target } = tokenizers;
  const pad = modelConfig["padId"];
  return {
    dir,
    modelConfig,
    model,
    weights: loaded.weights,
    tokenizers,
    ids: {
      pad: typeof pad === "number" ? pad : SPECIAL_IDS.pad,
      decoderStart: target.specials.bos,
      eos: target.specials.eos,
      sourcePrefix: [],
      sourceSuffix: [source.specials.eos],
      targetPrefix: [],
    },
    writeFolder: ownFolderWriter(modelConfig, model, tokenizers),
  };
}

/**
 * Loads the folder a run starts from, with the run's `model` section (only its INIT_FROM_OVERRIDABLE keys
 * apply). Errors are hf-import's and folder.ts's: pickled weights, a missing tokenizer.json, weights that do
 * not fit the config.
 */
export async function loadInitFolder(dir: string, model: ModelConfig): Promise<InitFolder> {
  const overrides: Record<string, unknown> = {};
  for (const key of INIT_FROM_OVERRIDABLE) if (key in model) overrides[key] = model[key];
  if (!isHfFolder(dir)) return fromOwn(dir, await loadModelFolder(dir), overrides);
  const configPath = join(dir, "config.json");
  if (readJsonObject(configPath).json.model_type === "whisper") refuseWhisper(configPath);
  return fromHf(await loadHfFolder(dir), overrides as Partial<TransformerConfig>);
}

/** The folder's weights as a flat buffer in `layout`; a parameter without weights of its size is an error. */
export function flatWeights(layout: FlatLayout, init: InitFolder): Float32Array {
  const flat = new Float32Array(layout.total);
  for (const slot of layout.slots) {
    const w = init.weights.get(slot.name);
    if (!w || w.length !== slot.size)
      throw new Error(`${init.dir}: no weights of ${slot.size} values for parameter "${slot.name}"`);
    flat.set(w, slot.offset);
  }
  return flat;
}

/** Validation decoding of a Hugging Face run: its generation config, greedy, at most `maxLength` tokens before EOS. */
export function validationGeneration(hf: HfModel, maxLength: number): GenerationConfig {
  return generationFor(hf, { beam: 1, nbest: 1, maxLength });
}
