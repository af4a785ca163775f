// Writes a Transformer as a Hugging Face folder (config.json, model.safetensors with the checkpoint names,
// generation_config.json, tokenizer files) or as the ONNX layout transformers.js and Optimum load.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StoredTextTask } from "../data/text-task.ts";
import { replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { writeSafetensors } from "../io/safetensors.ts";
import { toOnnxBytes } from "../runtime/onnx-export.ts";
import { tokenizerConfigJson } from "../tokenize/special-tokens.ts";
import type { Tokenizer, TokenizerJson } from "../tokenize/tokenizer.ts";
import { type LoadedModel, TEXT_TASK_FILE, weightsToTensors, writeTextTaskFile } from "./folder.ts";
import type { HfTokenIds } from "./hf-config.ts";
import { matchFamily, onnxCarrierConfig, toHfConfig, withTextTask } from "./hf-config-export.ts";
import { type GenerationConfig, generationToHf, HF_GENERATION_DEFAULTS } from "./hf-generation.ts";
import type { HfModel } from "./hf-import.ts";
import { HF_ONNX, hfDecoderMergedGraph, hfEncoderGraph } from "./hf-onnx.ts";
import { Transformer, type TransformerConfig } from "./transformer.ts";

/** Everything an export writes. */
export interface ExportSource {
  config: TransformerConfig;
  model: Transformer;
  weights: ReadonlyMap<string, Float32Array>;
  tokens: HfTokenIds;
  generation: GenerationConfig;
  tokenizer?: Tokenizer;
  /** The folder it was imported from (its tokenizer_config.json is kept), if any. */
  dir?: string;
  /** The imported config.json, whose keys this project does not model are carried over. */
  hfConfig?: Record<string, unknown>;
  /** Whether the tokenizer's own post-processor adds the model's special tokens (else EOS is appended). */
  tokenizerAddsSpecials: boolean;
  /** How inputs become sources (a folder's text-task.json): written beside config.json and into it. */
  textTask?: StoredTextTask | null;
}

/** What an export did, for the user. */
export interface ExportReport {
  /** The model_type written, or undefined when no family matches (config.json then is this project's). */
  family?: string;
  files: string[];
  notes: string[];
}

/** An imported Hugging Face folder as an export source (its own tokenizer and generation settings). */
export function sourceFromHf(hf: HfModel): ExportSource {
  return { ...hf, tokenizerAddsSpecials: true };
}

/**
 * A model folder of this project as an export source. Its conventions carry over: sources end with EOS (the
 * exported tokenizer appends it), the decoder starts with BOS, and pad/BOS are never generated.
 */
export function sourceFromFolder(loaded: LoadedModel): ExportSource {
  if (!(loaded.model instanceof Transformer))
    throw new Error(`export supports the Transformer family; this model is "${loaded.model.architecture}"`);
  if (loaded.textTask?.reverseTarget)
    throw new Error(
      "this model writes its outputs right to left (data.reverseTarget); Hugging Face and transformers.js " +
        "generate left to right, so an exported folder would write every output backwards",
    );
  const { source, target, joint } = loaded.tokenizers;
  if (!joint)
    throw new Error(
      "a Hugging Face folder has one tokenizer.json; this model has separate source and target tokenizers",
    );
  const { pad, bos, eos } = target.specials;
  const config = loaded.model.config;
  const tokens: HfTokenIds = { pad, eos, bos, decoderStart: bos };
  const generation: GenerationConfig = {
    ...HF_GENERATION_DEFAULTS,
    decoderStartTokenId: bos,
    eosTokenId: eos,
    padTokenId: pad,
    bosTokenId: bos,
    maxLength: Math.min(257, config.maxPositions),
    badWordsIds: [pad, bos].filter((id) => id >= 0 && id !== eos).map((id) => [id]),
    suppressTokens: [],
    beginSuppressTokens: [],
  };
  return {
    config,
    model: loaded.model,
    weights: loaded.weights,
    tokens,
    generation,
    tokenizer: source,
    tokenizerAddsSpecials: false,
    textTask: loaded.textTask ?? null,
  };
}

/** tokenizer.json, with a post-processor appending EOS when the project's convention needs one. */
function tokenizerJson(src: ExportSource, tokenizer: Tokenizer): TokenizerJson {
  const json = tokenizer.toJSON();
  if (src.tokenizerAddsSpecials) return json;
  const eos = tokenizer.idToToken(src.tokens.eos);
  if (eos === undefined) return json;
  const seq = (id: string) => ({ Sequence: { id, type_id: 0 } });
  const special = { SpecialToken: { id: eos, type_id: 0 } };
  json.post_processor = {
    type: "TemplateProcessing",
    single: [seq("A"), special],
    pair: [seq("A"), seq("B"), special],
    special_tokens: { [eos]: { id: eos, ids: [src.tokens.eos], tokens: [eos] } },
  };
  return json;
}

/** Writes tokenizer.json + tokenizer_config.json (the imported one when there is one). */
async function writeTokenizer(src: ExportSource, dir: string, report: ExportReport): Promise<void> {
  if (!src.tokenizer) {
    report.notes.push("no tokenizer: tokenizer.json and tokenizer_config.json were not written");
    return;
  }
  await writeJsonAtomic(join(dir, "tokenizer.json"), tokenizerJson(src, src.tokenizer));
  const original = src.dir ? join(src.dir, "tokenizer_config.json") : undefined;
  if (original && existsSync(original))
    await writeFileAtomic(join(dir, "tokenizer_config.json"), readFileSync(original));
  else await writeJsonAtomic(join(dir, "tokenizer_config.json"), tokenizerConfigJson(src.tokenizer));
  report.files.push("tokenizer.json", "tokenizer_config.json");
}

/** config.json with the source's text task in it (task_specific_params, prefix; see withTextTask). */
function configWithTask(src: ExportSource, json: Record<string, unknown>): Record<string, unknown> {
  return src.textTask ? withTextTask(json, src.textTask) : json;
}

/** Copies the source's text-task.json (templates and truncation too), noting what config.json cannot hold. */
async function writeTextTask(src: ExportSource, dir: string, report: ExportReport): Promise<void> {
  const task = src.textTask;
  if (!task) return;
  await writeTextTaskFile(dir, task);
  if (existsSync(join(dir, TEXT_TASK_FILE))) report.files.push(TEXT_TASK_FILE);
  const templated = [task, ...task.tasks].filter((t) => t.template !== "").length;
  if (templated > 0 || task.truncate !== "none")
    report.notes.push(
      `${TEXT_TASK_FILE} keeps the template and truncation; config.json's task_specific_params/prefix hold prefixes only`,
    );
}

async function writeGeneration(src: ExportSource, dir: string, report: ExportReport): Promise<void> {
  // _from_model_config false: transformers keeps every attribute of a customised file.
  await writeJsonAtomic(join(dir, "generation_config.json"), {
    _from_model_config: false,
    ...generationToHf(src.generation),
  });
  report.files.push("generation_config.json");
}

/**
 * Writes a Hugging Face folder: config.json with the family's model_type when the config matches one (else
 * this project's config, which transformers cannot load), model.safetensors named as the family's
 * checkpoints (tied tensors once), generation_config.json, the tokenizer files and the text task, if any
 * (text-task.json; a family's config.json also gets its prefixes, see withTextTask). Atomic: all or nothing;
 * `extra` writes more files into the folder before it appears (e.g. a training checkpoint's optimizer state).
 */
export async function exportHfFolder(
  src: ExportSource,
  out: string,
  extra?: (tmpDir: string) => Promise<void>,
): Promise<ExportReport> {
  const { family, json } = toHfConfig(src.config, src.tokens, src.hfConfig);
  const report: ExportReport = { family, files: ["config.json", "model.safetensors"], notes: [] };
  if (!family)
    report.notes.push(
      "the config matches no Hugging Face family: config.json is seq2seq-ts's own (transformers cannot load it)",
    );
  // This project's own config.json is read strictly: the text task goes only into text-task.json then.
  const config = family ? configWithTask(src, json) : { architecture: "transformer", ...src.config };
  await replaceDirAtomic(out, async (tmp) => {
    await writeJsonAtomic(join(tmp, "config.json"), config);
    await writeSafetensors(join(tmp, "model.safetensors"), weightsToTensors(src.model, src.weights), {
      format: "pt",
    });
    await writeGeneration(src, tmp, report);
    await writeTokenizer(src, tmp, report);
    await writeTextTask(src, tmp, report);
    if (extra) await extra(tmp);
  });
  return report;
}

/**
 * Writes the ONNX layout: onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx (weights inside), config.json
 * (the family's, or a carrier naming only ids and cache dims), generation_config.json, the tokenizer files
 * and the text task as exportHfFolder writes it.
 */
export async function exportOnnxFolder(src: ExportSource, out: string): Promise<ExportReport> {
  const matched = matchFamily(src.config);
  const config = configWithTask(
    src,
    matched
      ? toHfConfig(src.config, src.tokens, src.hfConfig).json
      : onnxCarrierConfig(src.config, src.tokens),
  );
  const report: ExportReport = {
    family: config.model_type as string,
    files: ["config.json", HF_ONNX.encoderFile, HF_ONNX.decoderFile],
    notes: matched
      ? []
      : [
          `no family matches: config.json says model_type "${config.model_type}" only to carry ids and cache dims`,
        ],
  };
  const encoder = toOnnxBytes(hfEncoderGraph(src.model, src.weights));
  const decoder = toOnnxBytes(hfDecoderMergedGraph(src.model, src.weights));
  await replaceDirAtomic(out, async (tmp) => {
    await writeJsonAtomic(join(tmp, "config.json"), config);
    mkdirSync(join(tmp, "onnx"), { recursive: true });
    await writeFileAtomic(join(tmp, HF_ONNX.encoderFile), encoder);
    await writeFileAtomic(join(tmp, HF_ONNX.decoderFile), decoder);
    await writeGeneration(src, tmp, report);
    await writeTokenizer(src, tmp, report);
    await writeTextTask(src, tmp, report);
  });
  return report;
}
