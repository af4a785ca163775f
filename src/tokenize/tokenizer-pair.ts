// Source and target tokenizers of a translation task, joint (one shared vocabulary) or separate,
// saved in one folder: tokenizer.json when joint, source_tokenizer.json + target_tokenizer.json when separate.

import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type LoadTokenizerOptions, loadTokenizer } from "./load-tokenizer.ts";
import { readingOrder } from "./reversed-target.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { type TokenizerConfig, tokenizerConfigDefaults, trainTokenizer } from "./train-tokenizer.ts";

/** File names of the folder layout. */
export const JOINT_TOKENIZER_FILE = "tokenizer.json";
export const SOURCE_TOKENIZER_FILE = "source_tokenizer.json";
export const TARGET_TOKENIZER_FILE = "target_tokenizer.json";

/** The tokenizers of both sides; when `joint`, `source` and `target` are the same object. */
export interface TokenizerPair {
  source: Tokenizer;
  target: Tokenizer;
  joint: boolean;
}

/** A pair sharing one tokenizer for both sides. */
export function jointPair(tokenizer: Tokenizer): TokenizerPair {
  return { source: tokenizer, target: tokenizer, joint: true };
}

/**
 * Saves `pair` in `dir`: `tokenizer.json` when joint, else `source_tokenizer.json` and
 * `target_tokenizer.json`. Files of the other layout left in `dir` are removed so loading is unambiguous.
 * A right-to-left target (src/tokenize/reversed-target.ts) is saved as the tokenizer it reverses.
 */
export function saveTokenizerPair(pair: TokenizerPair, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (pair.joint) {
    if (pair.source !== readingOrder(pair.target))
      throw new Error("a joint tokenizer pair must use one tokenizer for both sides");
    pair.source.save(join(dir, JOINT_TOKENIZER_FILE));
    for (const f of [SOURCE_TOKENIZER_FILE, TARGET_TOKENIZER_FILE]) rmSync(join(dir, f), { force: true });
  } else {
    pair.source.save(join(dir, SOURCE_TOKENIZER_FILE));
    pair.target.save(join(dir, TARGET_TOKENIZER_FILE));
    rmSync(join(dir, JOINT_TOKENIZER_FILE), { force: true });
  }
}

/** Loads a pair saved by saveTokenizerPair (or a Hugging Face folder with one tokenizer.json: joint). */
export function loadTokenizerPair(dir: string, options: LoadTokenizerOptions = {}): TokenizerPair {
  const joint = join(dir, JOINT_TOKENIZER_FILE);
  const source = join(dir, SOURCE_TOKENIZER_FILE);
  const target = join(dir, TARGET_TOKENIZER_FILE);
  const hasSeparate = existsSync(source) || existsSync(target);
  if (existsSync(joint) && hasSeparate) {
    throw new Error(
      `${dir} holds both ${JOINT_TOKENIZER_FILE} and ${SOURCE_TOKENIZER_FILE}/${TARGET_TOKENIZER_FILE}; keep one layout`,
    );
  }
  if (existsSync(joint)) return jointPair(loadTokenizer(joint, options));
  if (!existsSync(source) || !existsSync(target)) {
    throw new Error(
      `${dir} must hold ${JOINT_TOKENIZER_FILE} (joint vocabulary) or both ${SOURCE_TOKENIZER_FILE} and ` +
        `${TARGET_TOKENIZER_FILE} (separate vocabularies)`,
    );
  }
  return { source: loadTokenizer(source, options), target: loadTokenizer(target, options), joint: false };
}

/** Trains a pair: one tokenizer on sources + targets when `config.joint` (the default), else one per side. */
export async function trainTokenizerPair(
  sources: readonly string[],
  targets: readonly string[],
  config: Partial<TokenizerConfig> = {},
): Promise<TokenizerPair> {
  if (config.joint ?? tokenizerConfigDefaults.joint) {
    return jointPair(await trainTokenizer([...sources, ...targets], config));
  }
  const [source, target] = await Promise.all([
    trainTokenizer(sources, config),
    trainTokenizer(targets, config),
  ]);
  return { source, target, joint: false };
}
