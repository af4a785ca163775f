// The model side of a speech run: trained from scratch (the run's model section and a tokenizer trained on the
// transcripts), or started from a folder (train.initFrom: a Hugging Face Whisper folder or a speech model saved
// here) with its tokenizer, its target conventions, and a writer of folders that `seq2seq transcribe` loads.

import { replaceDirAtomic } from "../io/atomic.ts";
import { ConfigError } from "../io/config.ts";
import { isHfFolder } from "../io/hf-folder.ts";
import { loadModelFolder, saveModelFolder } from "../models/folder.ts";
import { loadHfWhisper, saveHfWhisperFolder } from "../models/hf-whisper.ts";
import { buildModel, type ModelConfig, resolveModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { jointPair, loadTokenizerPair } from "../tokenize/tokenizer-pair.ts";
import { trainTokenizer } from "../tokenize/train-tokenizer.ts";
import type { ModelFolderWriter } from "./checkpoint.ts";
import { INIT_FROM_KEY, INIT_FROM_OVERRIDABLE } from "./init-from.ts";
import { type SpeechTargetIds, speechModelConfig } from "./speech-train.ts";
import type { RunConfig } from "./train-config.ts";

/** What a speech run trains and how it encodes targets and saves folders. */
export interface SpeechRunModel {
  /** Where the model comes from, for the log. */
  origin: string;
  tokenizer: Tokenizer;
  /** The resolved model config and the model it builds. */
  config: ModelConfig;
  model: Seq2SeqModel;
  /** The first weights when fine-tuning; undefined: seeded initialisation. */
  weights?: ReadonlyMap<string, Float32Array>;
  ids: SpeechTargetIds;
  /** Ids every target starts with: a Whisper folder's <|lang|><|task|><|notimestamps|>, else none. */
  prompt: number[];
  /** Pad (or refuse longer) audio to this many seconds before its features: a Hugging Face Whisper's window. */
  chunkSeconds?: number;
  nMels: number;
  /**
   * Writes a model folder `seq2seq transcribe --model` loads with the same conventions, atomically, with the
   * files `extra` writes into it (a checkpoint's training state).
   */
  save: ModelFolderWriter;
}

/** The model keys a run from a folder may change (dropouts), as set in the run's model section. */
function overridable(config: RunConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of INIT_FROM_OVERRIDABLE) if (key in config.model) out[key] = config.model[key];
  return out;
}

/** A Hugging Face Whisper folder: its weights, tokenizer, decoder prompt (language, task) and 30 s window. */
async function fromHfWhisper(dir: string, config: RunConfig): Promise<SpeechRunModel> {
  const { language, task } = config.data.speech;
  const hf = await loadHfWhisper(dir, {
    language: language === "" ? undefined : language,
    task: task === "" ? undefined : task,
  });
  if (!hf.tokenizer) throw new Error(hf.tokenizerProblem ?? `${dir} has no tokenizer.json`);
  const modelConfig = resolveModelConfig({ architecture: "whisper", ...hf.config, ...overridable(config) });
  return {
    origin: `Hugging Face Whisper folder ${dir}`,
    tokenizer: hf.tokenizer,
    config: modelConfig,
    model: buildModel(modelConfig),
    weights: hf.weights,
    ids: { decoderStart: hf.generation.decoderStartTokenId, eos: hf.generation.eosTokenId },
    prompt: hf.generation.decoderPromptIds ?? [],
    chunkSeconds: hf.model.maxSourceLength / 100,
    nMels: hf.config.nMels,
    save: (out, weights, extra) =>
      extra
        ? replaceDirAtomic(out, async (tmp) => {
            await saveHfWhisperFolder(hf, weights, tmp);
            await extra(tmp);
          })
        : saveHfWhisperFolder(hf, weights, out),
  };
}

/** A speech model folder saved by this project (e.g. an earlier run's last/): training continues from it. */
async function fromOwnFolder(dir: string, config: RunConfig): Promise<SpeechRunModel> {
  const loaded = await loadModelFolder(dir);
  if (loaded.model.inputKind !== "features")
    throw new ConfigError(
      `${INIT_FROM_KEY}: ${dir} holds a text model ("${loaded.model.architecture}"), not a speech model`,
      INIT_FROM_KEY,
    );
  const modelConfig = resolveModelConfig({ ...loaded.config, ...overridable(config) });
  const model = buildModel(modelConfig);
  const tokenizer = loaded.tokenizers.target;
  return {
    origin: `model folder ${dir}`,
    tokenizer,
    config: modelConfig,
    model,
    weights: loaded.weights,
    ids: { decoderStart: tokenizer.specials.bos, eos: tokenizer.specials.eos },
    prompt: [],
    nMels: model.featureSize ?? 80,
    save: (out, weights, extra) =>
      saveModelFolder(out, { config: modelConfig, model, weights, tokenizers: loaded.tokenizers }, extra),
  };
}

/**
 * A new model: the run's model section, a tokenizer trained on the transcripts (the tokenizer section), or the
 * one saved in `tokenizerDir` (a checkpoint of the run being resumed).
 */
async function fromScratch(
  config: RunConfig,
  texts: readonly string[],
  tokenizerDir?: string,
): Promise<SpeechRunModel> {
  const tokenizer = tokenizerDir
    ? loadTokenizerPair(tokenizerDir).target
    : await trainTokenizer(texts, config.tokenizer);
  const nMels = typeof config.model["nMels"] === "number" ? config.model["nMels"] : 80;
  const modelConfig = speechModelConfig(config.model, tokenizer, nMels);
  const model = buildModel(modelConfig);
  return {
    origin: `a new "${modelConfig.architecture}" model (${tokenizer.kind} tokenizer, ${tokenizer.vocabSize} tokens)`,
    tokenizer,
    config: modelConfig,
    model,
    ids: { decoderStart: tokenizer.specials.bos, eos: tokenizer.specials.eos },
    prompt: [],
    nMels,
    save: (out, weights, extra) =>
      saveModelFolder(out, { config: modelConfig, model, weights, tokenizers: jointPair(tokenizer) }, extra),
  };
}

/**
 * The model of a speech run: from train.initFrom when set (a Hugging Face Whisper folder, with
 * data.speech.language/task choosing its prompt, or a speech folder of this project), else from scratch with a
 * tokenizer trained on `texts` (or, resuming, the one saved in the checkpoint `resumeDir`).
 * data.speech.language and task apply to Hugging Face Whisper folders only.
 */
export async function speechRunModel(
  config: RunConfig,
  texts: readonly string[],
  resumeDir?: string,
): Promise<SpeechRunModel> {
  const dir = config.train.initFrom;
  const hf = dir !== "" && isHfFolder(dir);
  for (const key of ["language", "task"] as const)
    if (!hf && config.data.speech[key] !== "")
      throw new ConfigError(
        `config key "data.speech.${key}" applies to a Hugging Face Whisper folder (train.initFrom) only`,
        `data.speech.${key}`,
      );
  if (dir === "") return fromScratch(config, texts, resumeDir);
  return hf ? fromHfWhisper(dir, config) : fromOwnFolder(dir, config);
}
