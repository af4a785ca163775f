// The model step of a tokenizer (one pre-tokenized piece -> ids) behind one small interface,
// with the two simplest tokenizer.json models: WordLevel (whole-word lookup) and WordPiece (BERT).

import type { ModelJson } from "./tokenizer.ts";

/** Turns one pre-tokenized piece into ids; BPE, Unigram, WordLevel and WordPiece implement it. */
export interface TokenizerModel {
  readonly vocabSize: number;
  tokenize(piece: string): number[];
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
}

/** Reads a `{token: id}` vocabulary object, checking the ids. `where` names the file for errors. */
export function readVocabObject(vocab: unknown, where: string): Map<string, number> {
  if (vocab === null || typeof vocab !== "object" || Array.isArray(vocab)) {
    throw new Error(`${where}: model.vocab must be an object of token -> id`);
  }
  const map = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new Error(
        `${where}: model.vocab["${token}"] is ${JSON.stringify(id)}, not a non-negative integer`,
      );
    }
    map.set(token, id as number);
  }
  return map;
}

function invert(vocab: Map<string, number>): string[] {
  const ids: string[] = [];
  for (const [token, id] of vocab) ids[id] = token;
  return ids;
}

function requireUnkId(vocab: Map<string, number>, unkToken: unknown, where: string): number | undefined {
  if (typeof unkToken !== "string") return undefined;
  const id = vocab.get(unkToken);
  if (id === undefined) throw new Error(`${where}: model.unk_token "${unkToken}" is not in model.vocab`);
  return id;
}

/** WordLevel: each piece is one token, or `unk_token` when it is not in the vocabulary. */
export class WordLevelModel implements TokenizerModel {
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly ids: string[];
  private readonly unkId: number | undefined;

  constructor(json: ModelJson, where: string) {
    this.vocab = readVocabObject(json.vocab, where);
    this.ids = invert(this.vocab);
    this.vocabSize = this.ids.length;
    this.unkId = requireUnkId(this.vocab, json.unk_token, where);
  }

  tokenize(piece: string): number[] {
    if (piece === "") return [];
    const id = this.vocab.get(piece) ?? this.unkId;
    if (id === undefined)
      throw new Error(`"${piece}" is not in the vocabulary and the tokenizer has no unk token`);
    return [id];
  }

  idToToken(id: number): string | undefined {
    return this.ids[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }
}

/** WordPiece (BERT): greedy longest match, continuation pieces start with "##"; a piece that fails is one unk. */
export class WordPieceModel implements TokenizerModel {
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly ids: string[];
  private readonly unkId: number;
  private readonly prefix: string;
  private readonly maxChars: number;

  constructor(json: ModelJson, where: string) {
    this.vocab = readVocabObject(json.vocab, where);
    this.ids = invert(this.vocab);
    this.vocabSize = this.ids.length;
    const unkId = requireUnkId(this.vocab, json.unk_token ?? "[UNK]", where);
    if (unkId === undefined) throw new Error(`${where}: a WordPiece model needs model.unk_token`);
    this.unkId = unkId;
    this.prefix = typeof json.continuing_subword_prefix === "string" ? json.continuing_subword_prefix : "##";
    this.maxChars = typeof json.max_input_chars_per_word === "number" ? json.max_input_chars_per_word : 100;
  }

  tokenize(piece: string): number[] {
    const chars = Array.from(piece);
    if (chars.length === 0) return [];
    if (chars.length > this.maxChars) return [this.unkId];
    const out: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let found: number | undefined;
      let end = chars.length;
      for (; end > start; end--) {
        const sub = (start > 0 ? this.prefix : "") + chars.slice(start, end).join("");
        found = this.vocab.get(sub);
        if (found !== undefined) break;
      }
      if (found === undefined) return [this.unkId];
      out.push(found);
      start = end;
    }
    return out;
  }

  idToToken(id: number): string | undefined {
    return this.ids[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }
}
