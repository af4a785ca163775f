// Loading a tokenizer.json: ours (char, word, BPE, Unigram) or one from a Hugging Face model folder
// (BPE, Unigram, WordPiece, WordLevel), with special tokens named by a tokenizer_config.json beside it.

import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { JsonTokenizer } from "./json-tokenizer.ts";
import type { SpecialRole, SpecialTokenNames } from "./special-tokens.ts";
import type { TokenizerJson } from "./tokenizer.ts";

export interface LoadTokenizerOptions {
  /** Special token names, overriding tokenizer_config.json and the conventional spellings. */
  specials?: SpecialTokenNames;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Checks the shape of a parsed tokenizer.json and fills absent optional parts with null. */
export function parseTokenizerJson(value: unknown, where: string): TokenizerJson {
  if (!isObject(value)) throw new Error(`${where}: a tokenizer.json must be a JSON object`);
  const model = value.model;
  if (!isObject(model) || typeof model.type !== "string") {
    throw new Error(
      `${where}: "model" must be an object with a "type" (BPE, Unigram, WordLevel or WordPiece)`,
    );
  }
  const added = value.added_tokens ?? [];
  if (!Array.isArray(added)) throw new Error(`${where}: "added_tokens" must be a list`);
  const orNull = <T>(key: string): T | null => (value[key] ?? null) as T | null;
  return {
    version: typeof value.version === "string" ? value.version : "1.0",
    truncation: orNull("truncation"),
    padding: orNull("padding"),
    added_tokens: added as TokenizerJson["added_tokens"],
    normalizer: orNull("normalizer"),
    pre_tokenizer: orNull("pre_tokenizer"),
    post_processor: orNull("post_processor"),
    decoder: orNull("decoder"),
    model: model as TokenizerJson["model"],
  };
}

/** Special token names from a Hugging Face tokenizer_config.json (strings or {content} objects). */
function namesFromConfig(path: string): SpecialTokenNames {
  if (!existsSync(path)) return {};
  const config = readJson(path);
  if (!isObject(config)) return {};
  const names: SpecialTokenNames = {};
  for (const role of ["pad", "bos", "eos", "unk"] as SpecialRole[]) {
    const entry = config[`${role}_token`];
    const name = isObject(entry) ? entry.content : entry;
    if (typeof name === "string") names[role] = name;
  }
  return names;
}

/** A tokenizer from a tokenizer.json object (see JsonTokenizer for what it checks). */
export function tokenizerFromJson(json: unknown, options: LoadTokenizerOptions = {}): JsonTokenizer {
  return new JsonTokenizer(parseTokenizerJson(json, "tokenizer.json"), { specials: options.specials });
}

/**
 * Loads a tokenizer from a tokenizer.json file or a folder holding one (a Hugging Face model folder).
 * A `tokenizer_config.json` next to a file named tokenizer.json names the special tokens.
 */
export function loadTokenizer(path: string, options: LoadTokenizerOptions = {}): JsonTokenizer {
  if (!existsSync(path)) throw new Error(`tokenizer not found: ${path}`);
  const file = statSync(path).isDirectory() ? join(path, "tokenizer.json") : path;
  if (!existsSync(file)) throw new Error(`no tokenizer.json in the folder ${path}`);
  const configNames =
    basename(file) === "tokenizer.json" ? namesFromConfig(join(dirname(file), "tokenizer_config.json")) : {};
  const json = parseTokenizerJson(readJson(file), file);
  return new JsonTokenizer(json, { specials: { ...configNames, ...options.specials }, where: file });
}
