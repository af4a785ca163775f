// The files of a local Hugging Face model folder: config.json, generation_config.json, safetensors weights
// (single or sharded) and the tokenizer. Pickled PyTorch weights are refused, with the reason and a fix.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readShardedSafetensors, type SafeTensor } from "./safetensors.ts";

/** A JSON object read from a file, with the path for error messages. */
export interface JsonFile {
  path: string;
  json: Record<string, unknown>;
}

/** What a Hugging Face folder holds, before any model-specific interpretation. */
export interface HfFolderFiles {
  dir: string;
  config: JsonFile;
  /** generation_config.json, when present. */
  generation?: JsonFile;
  tensors: Map<string, SafeTensor>;
  /** tokenizer.json's path, or why there is none. */
  tokenizer: { path: string } | { missing: string };
}

const PICKLE_FILES = ["pytorch_model.bin", "pytorch_model.bin.index.json", "training_args.bin"];
const SENTENCEPIECE_FILES = [
  "spiece.model",
  "sentencepiece.bpe.model",
  "source.spm",
  "target.spm",
  "tokenizer.model",
];

/** Reads a JSON object; errors name the file. */
export function readJsonObject(path: string): JsonFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: invalid JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new Error(`${path}: expected a JSON object`);
  return { path, json: json as Record<string, unknown> };
}

/** Whether `dir` looks like a Hugging Face folder (its config.json has a `model_type`). */
export function isHfFolder(dir: string): boolean {
  const path = join(dir, "config.json");
  if (!existsSync(path)) return false;
  try {
    return typeof readJsonObject(path).json.model_type === "string";
  } catch {
    return false;
  }
}

/** The message for a folder whose weights are only pickled PyTorch files. */
export function pickleRefusal(dir: string, file: string): string {
  return (
    `${join(dir, file)}: pickled PyTorch weights are not read: loading a pickle can run arbitrary code ` +
    "hidden in the file. Convert the folder to safetensors first, e.g. with Python and transformers:\n" +
    `  python -c "from transformers import AutoModelForSeq2SeqLM as M; M.from_pretrained('${dir}').save_pretrained('${dir}-safetensors', safe_serialization=True)"\n` +
    "(or the safetensors project's convert.py / the Hugging Face 'safetensors/convert' Space), then pass the new folder."
  );
}

function findWeights(dir: string): void {
  const names = readdirSync(dir);
  if (names.some((n) => n === "model.safetensors" || n === "model.safetensors.index.json")) return;
  const pickle = PICKLE_FILES.find((n) => names.includes(n)) ?? names.find((n) => n.endsWith(".bin"));
  if (pickle) throw new Error(pickleRefusal(dir, pickle));
  const other = names.find((n) => n.endsWith(".h5") || n.endsWith(".msgpack") || n.endsWith(".ckpt"));
  throw new Error(
    `${dir} has no model.safetensors (nor model.safetensors.index.json)` +
      (other
        ? `; ${other} (TensorFlow/Flax) is not read: convert the folder to safetensors with transformers`
        : ""),
  );
}

/** Why a folder without tokenizer.json cannot tokenize, naming what it has instead. */
function missingTokenizer(dir: string): string {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const sentencepiece = names.filter((n) => SENTENCEPIECE_FILES.includes(n) || n.endsWith(".spm"));
  if (sentencepiece.length > 0) {
    return (
      `${dir} has no tokenizer.json, only SentencePiece model file(s) ${sentencepiece.join(", ")}, which ` +
      "seq2seq-ts does not read. Write a tokenizer.json with transformers' fast tokenizer:\n" +
      `  python -c "from transformers import AutoTokenizer as T; T.from_pretrained('${dir}').save_pretrained('${dir}')"\n` +
      "(Marian and M2M100 have no fast tokenizer in transformers: use a converted folder that ships tokenizer.json, " +
      "e.g. the Xenova/* conversions on the Hub)."
    );
  }
  if (names.includes("vocab.json") && names.includes("merges.txt")) {
    return `${dir} has vocab.json + merges.txt but no tokenizer.json; save the fast tokenizer (AutoTokenizer.save_pretrained) to write one`;
  }
  return `${dir} has no tokenizer.json`;
}

/**
 * Reads the files of a Hugging Face folder: config.json (required), generation_config.json, the safetensors
 * weights (single or sharded with an index) and the location of tokenizer.json. Refuses pickled weights.
 */
export async function readHfFolder(dir: string): Promise<HfFolderFiles> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`model folder ${dir} does not exist`);
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new Error(`${dir} has no config.json: not a Hugging Face model folder`);
  const config = readJsonObject(configPath);
  const generationPath = join(dir, "generation_config.json");
  const generation = existsSync(generationPath) ? readJsonObject(generationPath) : undefined;
  findWeights(dir);
  const { tensors } = await readShardedSafetensors(dir);
  const tokenizerPath = join(dir, "tokenizer.json");
  const tokenizer = existsSync(tokenizerPath) ? { path: tokenizerPath } : { missing: missingTokenizer(dir) };
  return { dir, config, generation, tensors, tokenizer };
}
