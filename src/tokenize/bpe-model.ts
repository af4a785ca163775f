// Byte-pair encoding of one pre-tokenized piece, read from a tokenizer.json "BPE" model.
// Mirrors the Rust `tokenizers` crate (merge order, unk fusing, byte fallback) so ids match it exactly.

import type { ModelJson } from "./tokenizer.ts";
import type { TokenizerModel } from "./word-models.ts";
import { readVocabObject } from "./word-models.ts";

interface MergeTarget {
  rank: number;
  newId: number;
}

/** BPE (Sennrich et al. 2016): split a piece into characters, then apply merges in rank order. */
export class BpeModel implements TokenizerModel {
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly ids: string[] = [];
  private readonly merges = new Map<number, MergeTarget>();
  private readonly unkToken: string | null;
  private readonly fuseUnk: boolean;
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;
  private readonly prefix: string | null;
  private readonly suffix: string | null;

  constructor(json: ModelJson, where: string) {
    this.vocab = readVocabObject(json.vocab, where);
    for (const [token, id] of this.vocab) this.ids[id] = token;
    this.vocabSize = this.ids.length;
    this.unkToken = typeof json.unk_token === "string" ? json.unk_token : null;
    this.fuseUnk = json.fuse_unk === true;
    this.byteFallback = json.byte_fallback === true;
    this.ignoreMerges = json.ignore_merges === true;
    this.prefix = typeof json.continuing_subword_prefix === "string" ? json.continuing_subword_prefix : null;
    this.suffix = typeof json.end_of_word_suffix === "string" ? json.end_of_word_suffix : null;
    this.readMerges(json.merges, where);
  }

  private readMerges(merges: unknown, where: string): void {
    if (!Array.isArray(merges)) throw new Error(`${where}: model.merges must be a list`);
    merges.forEach((merge: unknown, rank) => {
      const pair = typeof merge === "string" ? merge.split(" ") : merge;
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new Error(`${where}: model.merges[${rank}] is not a pair of tokens: ${JSON.stringify(merge)}`);
      }
      const [a, b] = pair as [string, string];
      const idA = this.vocab.get(a);
      const idB = this.vocab.get(b);
      const newId = this.vocab.get(a + b.slice(this.prefix?.length ?? 0));
      if (idA === undefined || idB === undefined || newId === undefined) {
        throw new Error(`${where}: model.merges[${rank}] (${a} ${b}) uses a token missing from model.vocab`);
      }
      // Like the Rust crate, a repeated pair keeps its last rank.
      this.merges.set(this.pairKey(idA, idB), { rank, newId });
    });
  }

  private pairKey(a: number, b: number): number {
    return a * this.vocabSize + b;
  }

  idToToken(id: number): string | undefined {
    return this.ids[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Ids of one piece: its characters, merged pair by pair (lowest rank first, leftmost on ties). */
  tokenize(piece: string): number[] {
    if (piece === "") return [];
    if (this.ignoreMerges) {
      const whole = this.vocab.get(piece);
      if (whole !== undefined) return [whole];
    }
    const symbols = this.initialSymbols(piece);
    for (;;) {
      let best: MergeTarget | undefined;
      let at = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const merge = this.merges.get(this.pairKey(symbols[i]!, symbols[i + 1]!));
        if (merge !== undefined && (best === undefined || merge.rank < best.rank)) {
          best = merge;
          at = i;
        }
      }
      if (best === undefined) return symbols;
      symbols.splice(at, 2, best.newId);
    }
  }

  /** One id per character (with prefix/suffix), byte-fallback ids, or (fused) unk ids. */
  private initialSymbols(piece: string): number[] {
    const chars = Array.from(piece);
    const out: number[] = [];
    let pendingUnk = false;
    const unkId = this.unkToken === null ? undefined : this.vocab.get(this.unkToken);
    chars.forEach((ch, i) => {
      let s = ch;
      if (i > 0 && this.prefix !== null) s = this.prefix + s;
      if (i === chars.length - 1 && this.suffix !== null) s = s + this.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        if (pendingUnk) out.push(unkId!);
        pendingUnk = false;
        out.push(id);
        return;
      }
      const bytes = this.byteFallback ? this.byteIds(s) : undefined;
      if (bytes !== undefined) {
        out.push(...bytes);
        return;
      }
      if (unkId === undefined) return;
      if (pendingUnk && !this.fuseUnk) out.push(unkId);
      pendingUnk = true;
    });
    if (pendingUnk) out.push(unkId!);
    return out;
  }

  private byteIds(s: string): number[] | undefined {
    const ids: number[] = [];
    for (const b of new TextEncoder().encode(s)) {
      const id = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
      if (id === undefined) return undefined;
      ids.push(id);
    }
    return ids;
  }
}
