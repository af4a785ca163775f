// Trains BPE and Unigram tokenizers with the Rust `tokenizers` binding, then cuts them to the requested size.
// The binding has no trainer options (BPE: 30k tokens, Unigram: 8k, no specials), so the size is set afterwards.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToUnicode } from "./byte-level.ts";
import { JsonTokenizer } from "./json-tokenizer.ts";
import { normalizerJson } from "./simple-tokenizers.ts";
import { specialAddedTokens } from "./special-tokens.ts";
import {
  type ComponentJson,
  SPECIAL_IDS,
  SPECIAL_TOKEN_LIST,
  SPECIAL_TOKENS,
  type TokenizerJson,
} from "./tokenizer.ts";

/** Largest sizes the binding's fixed trainers reach, plus our 4 special tokens. */
export const MAX_BPE_VOCAB = 30_000 + SPECIAL_TOKEN_LIST.length;
export const MAX_UNIGRAM_VOCAB = 8_000 + SPECIAL_TOKEN_LIST.length;

export interface SubwordOptions {
  /** Vocabulary size, the 4 special tokens included. A small corpus can give fewer tokens. */
  vocabSize: number;
  lowercase?: boolean;
  /** Unicode NFC normalisation. Default true. */
  nfc?: boolean;
}

export interface BpeOptions extends SubwordOptions {
  /**
   * "byte" (default): byte-level BPE as GPT-2, all 256 bytes in the vocabulary, never <unk>.
   * "char": characters seen in training, words marked with "▁" (SentencePiece style), unseen characters -> <unk>.
   */
  alphabet?: "byte" | "char";
}

const BYTE_LEVEL: ComponentJson = {
  type: "ByteLevel",
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
};
const METASPACE: ComponentJson = {
  type: "Metaspace",
  replacement: "▁",
  prepend_scheme: "always",
  split: true,
};

// Runs in a child process: the binding's trainer prints blank lines to stdout and blocks its thread.
const TRAIN_SCRIPT = `
const [tokenizersPath, templatePath, corpusPath, outPath] = process.argv.slice(1);
const { Tokenizer } = require(tokenizersPath);
const fs = require("node:fs");
const tokenizer = Tokenizer.fromString(fs.readFileSync(templatePath, "utf8"));
tokenizer.train([corpusPath]);
tokenizer.save(outPath);
`;

function runProcess(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`tokenizer training failed (exit code ${code}): ${stderr.trim()}`));
    });
  });
}

/** Trains `template` (a tokenizer.json with an empty model) on `texts` in a child process. */
async function trainWithBinding(template: TokenizerJson, texts: readonly string[]): Promise<TokenizerJson> {
  if (texts.length === 0) throw new Error("cannot train a tokenizer on no texts");
  const dir = mkdtempSync(join(tmpdir(), "seq2seq-tokenizer-"));
  try {
    const paths = ["template.json", "corpus.txt", "trained.json"].map((f) => join(dir, f));
    writeFileSync(paths[0]!, JSON.stringify(template));
    writeFileSync(paths[1]!, texts.map((t) => t.replace(/[\r\n]+/g, " ")).join("\n") + "\n");
    const tokenizersPath = createRequire(import.meta.url).resolve("tokenizers");
    await runProcess(["-e", TRAIN_SCRIPT, tokenizersPath, ...paths]);
    return JSON.parse(readFileSync(paths[2]!, "utf8")) as TokenizerJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The tokenizer.json of a subword tokenizer. For "training" (the binding's input) the normalizer also
 * strips each line (the trainer reads lines with their "\n") and there are no special tokens yet.
 */
function subwordJson(
  stage: "training" | "final",
  options: SubwordOptions,
  preTokenizer: ComponentJson,
  model: TokenizerJson["model"],
): TokenizerJson {
  const normalizer = normalizerJson(options);
  const strip = { type: "Strip", strip_left: true, strip_right: true };
  const training = stage === "training";
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: training ? [] : specialAddedTokens(),
    normalizer: training
      ? { type: "Sequence", normalizers: normalizer ? [normalizer, strip] : [strip] }
      : normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: training ? null : preTokenizer,
    model,
  };
}

function checkSize(vocabSize: number, max: number, what: string): void {
  if (!Number.isInteger(vocabSize) || vocabSize <= SPECIAL_TOKEN_LIST.length || vocabSize > max) {
    throw new Error(
      `vocabSize of a ${what} tokenizer must be an integer from ${SPECIAL_TOKEN_LIST.length + 1} to ${max} ` +
        `(the tokenizers binding trains at most ${max - SPECIAL_TOKEN_LIST.length} tokens), got ${vocabSize}`,
    );
  }
}

/** Merges as pairs (tokenizer.json has both "a b" strings and [a, b] lists). */
function mergePairs(merges: unknown): [string, string][] {
  return (merges as (string | [string, string])[]).map((m) =>
    typeof m === "string" ? (m.split(" ") as [string, string]) : m,
  );
}

/**
 * Specials, alphabet, then the first merges until `vocabSize` tokens: a BPE of K merges is the
 * first K merges of a longer training, as merges are learned in order.
 */
export function truncateBpe(
  trained: TokenizerJson["model"],
  vocabSize: number,
  alphabet: readonly string[],
): { vocab: Record<string, number>; merges: [string, string][] } {
  const vocab = new Map<string, number>();
  for (const token of [...SPECIAL_TOKEN_LIST, ...alphabet])
    if (!vocab.has(token)) vocab.set(token, vocab.size);
  if (vocab.size > vocabSize) {
    throw new Error(
      `vocabSize ${vocabSize} is below the ${vocab.size} tokens of the alphabet and the special tokens; ` +
        `raise vocabSize or use alphabet "char" with fewer distinct characters`,
    );
  }
  const merges: [string, string][] = [];
  for (const [a, b] of mergePairs(trained.merges)) {
    if (vocab.size >= vocabSize) break;
    merges.push([a, b]);
    if (!vocab.has(a + b)) vocab.set(a + b, vocab.size);
  }
  return { vocab: Object.fromEntries(vocab), merges };
}

function trainedAlphabet(trained: TokenizerJson["model"]): string[] {
  const vocab = trained.vocab as Record<string, number>;
  return Object.keys(vocab)
    .filter((token) => Array.from(token).length === 1)
    .sort((a, b) => vocab[a]! - vocab[b]!);
}

/** A BPE tokenizer of (at most) `options.vocabSize` tokens trained on `texts`; specials at ids 0-3. */
export async function trainBpeTokenizer(
  texts: readonly string[],
  options: BpeOptions,
): Promise<JsonTokenizer> {
  checkSize(options.vocabSize, MAX_BPE_VOCAB, "BPE");
  const byte = (options.alphabet ?? "byte") === "byte";
  const preTokenizer = byte ? BYTE_LEVEL : METASPACE;
  const emptyBpe = {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: {},
    merges: [],
  };
  const trained = await trainWithBinding(subwordJson("training", options, preTokenizer, emptyBpe), texts);
  const alphabet = byte ? bytesToUnicode() : trainedAlphabet(trained.model);
  const { vocab, merges } = truncateBpe(trained.model, options.vocabSize, alphabet);
  const model = { ...emptyBpe, unk_token: SPECIAL_TOKENS.unk, vocab, merges };
  return new JsonTokenizer(subwordJson("final", options, preTokenizer, model));
}

/**
 * Keeps every single-character piece (so any seen text stays encodable) and the highest-scoring longer
 * pieces, `vocabSize` in all with the specials; SentencePiece prunes by score the same way.
 */
export function pruneUnigram(pieces: readonly [string, number][], vocabSize: number): [string, number][] {
  const usable = pieces.filter(([p]) => !p.includes("\n") && !SPECIAL_TOKEN_LIST.includes(p));
  const isSingle = ([p]: [string, number]): boolean => Array.from(p).length === 1;
  const room = vocabSize - SPECIAL_TOKEN_LIST.length;
  const singles = usable.filter(isSingle);
  if (singles.length > room) {
    throw new Error(
      `vocabSize ${vocabSize} cannot hold the ${singles.length} characters of the training texts ` +
        `plus ${SPECIAL_TOKEN_LIST.length} special tokens`,
    );
  }
  const longest = usable.filter((p) => !isSingle(p)).sort((a, b) => b[1] - a[1]);
  const kept = new Set([...singles, ...longest.slice(0, room - singles.length)]);
  const specials = SPECIAL_TOKEN_LIST.map((s): [string, number] => [s, 0]);
  return [...specials, ...usable.filter((p) => kept.has(p))];
}

/** A Unigram tokenizer of (at most) `options.vocabSize` pieces trained on `texts`; specials at ids 0-3. */
export async function trainUnigramTokenizer(
  texts: readonly string[],
  options: SubwordOptions,
): Promise<JsonTokenizer> {
  checkSize(options.vocabSize, MAX_UNIGRAM_VOCAB, "Unigram");
  const emptyUnigram = { type: "Unigram", unk_id: null, vocab: [], byte_fallback: false };
  const trained = await trainWithBinding(subwordJson("training", options, METASPACE, emptyUnigram), texts);
  const vocab = pruneUnigram(trained.model.vocab as [string, number][], options.vocabSize);
  const model = { ...emptyUnigram, unk_id: SPECIAL_IDS.unk, vocab };
  return new JsonTokenizer(subwordJson("final", options, METASPACE, model));
}
