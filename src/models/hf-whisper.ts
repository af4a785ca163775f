// Loads a local Hugging Face Whisper folder (model_type "whisper") as this project's Whisper: config.json ->
// WhisperConfig, model.safetensors by checkpoint key (the tied proj_out stored once), generation settings.

import { existsSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { replaceDirAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { readHfFolder } from "../io/hf-folder.ts";
import { type SafeTensor, writeSafetensors } from "../io/safetensors.ts";
import { loadTokenizer } from "../tokenize/load-tokenizer.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { weightsToTensors } from "./folder.ts";
import { activation, ConfigReader, type HfTokenIds } from "./hf-config.ts";
import { type GenerationConfig, generationFromHf } from "./hf-generation.ts";
import { WHISPER_DEFAULTS, Whisper, type WhisperConfig } from "./whisper.ts";

/** A Hugging Face Whisper folder, loaded. */
export interface HfWhisperModel {
  dir: string;
  config: WhisperConfig;
  model: Whisper;
  /** By parameter name (= checkpoint key). */
  weights: Map<string, Float32Array>;
  tokens: HfTokenIds;
  /** generation_config.json resolved, its decoder prompt (<|lang|><|task|><|notimestamps|>) included. */
  generation: GenerationConfig;
  /** The raw generation settings (snake_case, as in the file). */
  generationJson: Record<string, unknown>;
  tokenizer?: Tokenizer;
  /** Why there is no tokenizer (set when `tokenizer` is undefined). */
  tokenizerProblem?: string;
}

/** Maps a Whisper config.json onto a WhisperConfig and its special token ids; errors name the key. */
export function whisperFromHfConfig(
  json: Record<string, unknown>,
  where: string,
): { config: WhisperConfig; tokens: HfTokenIds } {
  const r = new ConfigReader(json, where);
  if (json.model_type !== "whisper")
    throw new Error(`${where}: "model_type" is ${JSON.stringify(json.model_type)}, expected "whisper"`);
  if (r.boolean("scale_embedding", false))
    throw new Error(`${where}: "scale_embedding" true is not supported for Whisper`);
  if (!r.boolean("tie_word_embeddings", true))
    throw new Error(`${where}: "tie_word_embeddings" false is not supported for Whisper (proj_out is tied)`);
  const config: WhisperConfig = {
    ...WHISPER_DEFAULTS,
    vocabSize: r.number("vocab_size"),
    nMels: r.number("num_mel_bins", 80),
    dModel: r.number("d_model"),
    heads: r.same("encoder_attention_heads", "decoder_attention_heads"),
    ffDim: r.same("encoder_ffn_dim", "decoder_ffn_dim"),
    encoderLayers: r.number("encoder_layers"),
    decoderLayers: r.number("decoder_layers"),
    maxSourcePositions: r.number("max_source_positions", 1500),
    maxTargetPositions: r.number("max_target_positions", 448),
    activation: activation(r.string("activation_function", "gelu"), "activation_function", where),
    dropout: r.number("dropout", 0),
    attentionDropout: r.number("attention_dropout", 0),
    activationDropout: r.number("activation_dropout", 0),
    padId: r.tokenId("pad_token_id") ?? 50256,
    maskPadding: false, // Hugging Face Whisper reads whole 30 s windows and attends to all of them
  };
  const eos = r.tokenId("eos_token_id");
  if (eos === undefined) throw new Error(`${where}: "eos_token_id" is missing`);
  const decoderStart = r.tokenId("decoder_start_token_id");
  if (decoderStart === undefined) throw new Error(`${where}: "decoder_start_token_id" is missing`);
  return { config, tokens: { pad: config.padId, eos, bos: r.tokenId("bos_token_id"), decoderStart } };
}

function sameData(a: SafeTensor, b: SafeTensor): boolean {
  const [x, y] = [a.data as Float32Array, b.data as Float32Array];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The weights of every parameter; a tied proj_out.weight is dropped (refused when it differs). */
function matchWhisperWeights(model: Whisper, tensors: Map<string, SafeTensor>, where: string) {
  const head = tensors.get("proj_out.weight");
  const table = tensors.get("model.decoder.embed_tokens.weight");
  if (head && table && !sameData(head, table))
    throw new Error(`${where}: "proj_out.weight" differs from the tied "model.decoder.embed_tokens.weight"`);
  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const p of model.parameters()) {
    const t = tensors.get(p.name);
    if (!t) problems.push(`missing "${p.name}" [${p.shape.join(", ")}]`);
    else if (t.shape.join(",") !== p.shape.join(",") || !(t.data instanceof Float32Array))
      problems.push(
        `"${p.name}" is ${t.dtype} [${t.shape.join(", ")}], config.json implies F32 [${p.shape}]`,
      );
    else weights.set(p.name, t.data);
  }
  const known = new Set(model.parameters().map((p) => p.name));
  for (const name of tensors.keys())
    if (!known.has(name) && name !== "proj_out.weight") problems.push(`unexpected tensor "${name}"`);
  if (problems.length > 0) {
    const more = problems.length > 6 ? `; and ${problems.length - 6} more` : "";
    throw new Error(`${where} does not fit its config.json: ${problems.slice(0, 6).join("; ")}${more}`);
  }
  return weights;
}

/**
 * Loads a Hugging Face Whisper folder: config.json, model.safetensors (or shards), generation_config.json
 * (its lang_to_id / task_to_id / no_timestamps_token_id make the decoder prompt; pass `language` for a
 * multilingual model) and tokenizer.json when present. Pickled weights and misfitting tensors are errors.
 */
export async function loadHfWhisper(
  dir: string,
  options: { language?: string; task?: string } = {},
): Promise<HfWhisperModel> {
  const files = await readHfFolder(dir);
  const mapped = whisperFromHfConfig(files.config.json, files.config.path);
  const model = new Whisper(mapped.config);
  const weights = matchWhisperWeights(model, new Map(files.tensors), join(dir, "model.safetensors"));
  const generationJson: Record<string, unknown> = {
    ...(files.generation?.json ?? {}),
    ...(options.language === undefined ? {} : { language: options.language }),
    ...(options.task === undefined ? {} : { task: options.task }),
  };
  const where = files.generation?.path ?? files.config.path;
  const tokenizer = "path" in files.tokenizer ? loadTokenizer(files.tokenizer.path) : undefined;
  return {
    dir,
    config: mapped.config,
    model,
    weights,
    tokens: mapped.tokens,
    generation: generationFromHf(generationJson, mapped.tokens, where),
    generationJson,
    tokenizer,
    tokenizerProblem: "missing" in files.tokenizer ? files.tokenizer.missing : undefined,
  };
}

/** The files of a Whisper folder that saveHfWhisperFolder copies as they are (tokenizer and feature extractor). */
const COPIED_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "normalizer.json",
  "preprocessor_config.json",
];

/**
 * Writes `weights` as a Hugging Face Whisper folder beside `hf`'s conventions, atomically: model.safetensors
 * (checkpoint names; the tied proj_out stored once, as transformers saves it), config.json and the tokenizer
 * files copied from hf.dir, and generation_config.json with the loaded settings, the language and task the
 * model was loaded with included (so `seq2seq transcribe` and transformers' generate use the same prompt).
 */
export async function saveHfWhisperFolder(
  hf: HfWhisperModel,
  weights: ReadonlyMap<string, Float32Array>,
  dir: string,
): Promise<void> {
  const tensors = weightsToTensors(hf.model, weights);
  await replaceDirAtomic(dir, async (tmp) => {
    await writeSafetensors(join(tmp, "model.safetensors"), tensors, { format: "pt" });
    for (const file of COPIED_FILES)
      if (existsSync(join(hf.dir, file))) await copyFile(join(hf.dir, file), join(tmp, file));
    await writeJsonAtomic(join(tmp, "generation_config.json"), hf.generationJson);
  });
}
