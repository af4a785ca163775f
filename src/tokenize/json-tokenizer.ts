// The one Tokenizer implementation: any Hugging Face tokenizer.json (ours or a model's). Normalizer,
// pre-tokenizer and decoder run in the Rust `tokenizers` binding (synchronously); the model step runs here.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Decoder, type PreTokenizer, Tokenizer as RustTokenizer } from "tokenizers";
import { AddedTokenSplitter } from "./added-tokens.ts";
import { BpeModel } from "./bpe-model.ts";
import { byteLevelToText } from "./byte-level.ts";
import { findSpecialIds, type SpecialTokenNames } from "./special-tokens.ts";
import type {
  AddedTokenJson,
  ComponentJson,
  DecodeOptions,
  SpecialTokenIds,
  Tokenizer,
  TokenizerJson,
  TokenizerKind,
} from "./tokenizer.ts";
import { UnigramModel } from "./unigram-model.ts";
import { type TokenizerModel, WordLevelModel, WordPieceModel } from "./word-models.ts";

export interface JsonTokenizerOptions {
  /** Names of special tokens, overriding the conventional spellings (see findSpecialIds). */
  specials?: SpecialTokenNames;
  /** Where the JSON came from (a file path), for error messages. */
  where?: string;
}

const PIECE_CACHE_SIZE = 20_000;

function buildModel(json: TokenizerJson, where: string): TokenizerModel {
  switch (json.model.type) {
    case "BPE":
      return new BpeModel(json.model, where);
    case "Unigram":
      return new UnigramModel(json.model, where);
    case "WordLevel":
      return new WordLevelModel(json.model, where);
    case "WordPiece":
      return new WordPieceModel(json.model, where);
    default:
      throw new Error(
        `${where}: model.type "${json.model.type}" is not BPE, Unigram, WordLevel or WordPiece`,
      );
  }
}

/** Types of a component and of the components of a Sequence inside it. */
function componentTypes(component: ComponentJson | null): string[] {
  if (component === null) return [];
  const inner = [component.pretokenizers, component.decoders, component.normalizers].find(Array.isArray);
  const nested = (inner ?? []) as ComponentJson[];
  return [component.type, ...nested.flatMap(componentTypes)];
}

/** A copy of `component` whose Metaspace parts with prepend_scheme "first" never prepend; null if it has none. */
function laterSegmentPreTokenizer(component: ComponentJson | null): ComponentJson | null {
  if (component === null || !JSON.stringify(component).includes('"prepend_scheme":"first"')) return null;
  const rewrite = (c: ComponentJson): ComponentJson =>
    c.type === "Metaspace" && c.prepend_scheme === "first"
      ? { ...c, prepend_scheme: "never" }
      : Array.isArray(c.pretokenizers)
        ? { ...c, pretokenizers: (c.pretokenizers as ComponentJson[]).map(rewrite) }
        : c;
  return rewrite(component);
}

/** Our char tokenizer is a BPE without merges or pre-tokenizer; our word tokenizer a WordLevel after WhitespaceSplit. */
export function inferKind(json: TokenizerJson): TokenizerKind {
  const { model } = json;
  if (model.type === "BPE") {
    const noMerges = Array.isArray(model.merges) && model.merges.length === 0;
    const fused = json.decoder?.type === "Fuse";
    return noMerges && fused && json.pre_tokenizer === null ? "char" : "bpe";
  }
  if (model.type === "WordLevel") {
    const [first, second] = componentTypes(json.pre_tokenizer);
    const whitespace = first === "WhitespaceSplit" || (first === "Sequence" && second === "WhitespaceSplit");
    return whitespace ? "word" : "wordlevel";
  }
  return model.type === "Unigram" ? "unigram" : "wordpiece";
}

/** A tokenizer defined by a tokenizer.json object. */
export class JsonTokenizer implements Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  readonly specials: Readonly<SpecialTokenIds>;
  private readonly json: TokenizerJson;
  private readonly model: TokenizerModel;
  private readonly splitter: AddedTokenSplitter;
  private readonly addedById = new Map<number, AddedTokenJson>();
  private readonly addedByContent = new Map<string, number>();
  private readonly preTokenizer: PreTokenizer | null;
  /** For text after an added token when a Metaspace prepends "▁" only at the start of the input. */
  private readonly laterPreTokenizer: PreTokenizer | null;
  private readonly decoder: Decoder | null;
  private readonly byteLevel: boolean;
  private readonly cache = new Map<string, number[]>();

  /** Checks `json` by loading it into the Rust binding; errors name `options.where`. */
  constructor(json: TokenizerJson, options: JsonTokenizerOptions = {}) {
    const where = options.where ?? "tokenizer.json";
    let rust: RustTokenizer;
    try {
      rust = RustTokenizer.fromString(JSON.stringify(json));
    } catch (error) {
      throw new Error(`${where}: not a valid tokenizer.json: ${(error as Error).message}`);
    }
    this.json = structuredClone(json);
    this.model = buildModel(this.json, where);
    // The Rust crate numbers added tokens itself (model id, else the next free id); keep its ids.
    for (const token of this.json.added_tokens) token.id = rust.tokenToId(token.content) ?? token.id;
    for (const token of this.json.added_tokens) {
      this.addedById.set(token.id, token);
      this.addedByContent.set(token.content, token.id);
    }
    const normalizer = rust.getNormalizer();
    this.splitter = new AddedTokenSplitter(
      this.json.added_tokens,
      (s) => normalizer?.normalizeString(s) ?? s,
    );
    this.preTokenizer = rust.getPreTokenizer();
    const later = laterSegmentPreTokenizer(this.json.pre_tokenizer);
    this.laterPreTokenizer =
      later === null
        ? this.preTokenizer
        : RustTokenizer.fromString(JSON.stringify({ ...json, pre_tokenizer: later })).getPreTokenizer();
    this.decoder = rust.getDecoder();
    this.kind = inferKind(this.json);
    this.vocabSize = Math.max(this.model.vocabSize, ...[...this.addedById.keys()].map((id) => id + 1));
    this.byteLevel = [...componentTypes(json.pre_tokenizer), ...componentTypes(json.decoder)].includes(
      "ByteLevel",
    );
    this.specials = findSpecialIds(this.json, (t) => this.tokenToId(t), options.specials ?? {}, where);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    this.splitter.split(text).forEach((segment, i) => {
      if ("id" in segment) {
        ids.push(segment.id);
        return;
      }
      // The Rust crate pre-tokenizes each segment at its offset in the input: only the first is at 0.
      const preTokenizer = i === 0 ? this.preTokenizer : this.laterPreTokenizer;
      const pieces = preTokenizer ? preTokenizer.preTokenizeString(segment.text) : [[segment.text]];
      for (const [piece] of pieces) ids.push(...this.tokenizePiece(piece as string));
    });
    return ids;
  }

  /** The model step, with a bounded cache of short pieces (words recur a lot). */
  private tokenizePiece(piece: string): number[] {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      ids = this.model.tokenize(piece);
      if (piece.length <= 64) {
        if (this.cache.size >= PIECE_CACHE_SIZE) this.cache.clear();
        this.cache.set(piece, ids);
      }
    }
    return ids;
  }

  encodeBatch(texts: readonly string[]): number[][] {
    return texts.map((text) => this.encode(text));
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const token = this.idToToken(id);
      if (token === undefined) {
        throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      }
      if (options.skipSpecial && this.isSpecial(token)) continue;
      tokens.push(token);
    }
    return this.decoder ? this.decoder.decode(tokens) : tokens.join(" ");
  }

  private isSpecial(token: string): boolean {
    const id = this.addedByContent.get(token);
    return id !== undefined && this.addedById.get(id)!.special;
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token) ?? this.model.tokenToId(token);
  }

  tokens(text: string): string[] {
    return this.encode(text).map((id) => {
      const token = this.idToToken(id)!;
      return this.byteLevel && !this.addedById.has(id) ? byteLevelToText(token) : token;
    });
  }

  toJSON(): TokenizerJson {
    return structuredClone(this.json);
  }

  save(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(this.json, null, 2) + "\n");
  }
}
