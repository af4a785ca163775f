// Unigram language-model segmentation (Kudo 2018) of one piece, read from a tokenizer.json "Unigram" model.
// Viterbi over all vocabulary pieces, the same lattice rules and tie-breaking as the Rust `tokenizers` crate.

import type { ModelJson } from "./tokenizer.ts";
import type { TokenizerModel } from "./word-models.ts";

/** Score penalty of an unknown character below the lowest piece score (the Rust crate's K_UNK_PENALTY). */
const UNK_PENALTY = 10;

interface BestPath {
  score: number;
  start: number;
  id: number;
}

/** Unigram model: the segmentation with the highest sum of piece log-probabilities. */
export class UnigramModel implements TokenizerModel {
  readonly vocabSize: number;
  private readonly pieces: string[] = [];
  private readonly scores: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly unkId: number | undefined;
  private readonly unkScore: number;
  private readonly byteFallback: boolean;
  private readonly maxPieceChars: number;

  constructor(json: ModelJson, where: string) {
    if (!Array.isArray(json.vocab))
      throw new Error(`${where}: model.vocab of a Unigram model must be a list`);
    let minScore = Number.POSITIVE_INFINITY;
    let maxChars = 1;
    json.vocab.forEach((entry: unknown, id) => {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number") {
        throw new Error(`${where}: model.vocab[${id}] is not a [piece, score] pair`);
      }
      const [piece, score] = entry as [string, number];
      this.pieces.push(piece);
      this.scores.push(score);
      this.index.set(piece, id);
      minScore = Math.min(minScore, score);
      maxChars = Math.max(maxChars, Array.from(piece).length);
    });
    this.vocabSize = this.pieces.length;
    this.unkId = typeof json.unk_id === "number" ? json.unk_id : undefined;
    if (this.unkId !== undefined && this.pieces[this.unkId] === undefined) {
      throw new Error(`${where}: model.unk_id ${this.unkId} is outside model.vocab`);
    }
    this.unkScore = minScore - UNK_PENALTY;
    this.byteFallback = json.byte_fallback === true;
    this.maxPieceChars = maxChars;
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  tokenToId(token: string): number | undefined {
    return this.index.get(token);
  }

  tokenize(piece: string): number[] {
    const chars = Array.from(piece);
    if (chars.length === 0) return [];
    const best = this.viterbi(chars);
    return this.backtrack(chars, best);
  }

  /** best[end] = best-scoring segmentation of chars[0, end); ties keep the earliest candidate. */
  private viterbi(chars: string[]): (BestPath | undefined)[] {
    const n = chars.length;
    const best: (BestPath | undefined)[] = new Array(n + 1);
    best[0] = { score: 0, start: -1, id: -1 };
    const offer = (end: number, candidate: BestPath): void => {
      const current = best[end];
      if (current === undefined || candidate.score > current.score) best[end] = candidate;
    };
    for (let start = 0; start < n; start++) {
      const here = best[start];
      if (here === undefined) continue;
      let hasSingle = false;
      let sub = "";
      for (let len = 1; len <= this.maxPieceChars && start + len <= n; len++) {
        sub += chars[start + len - 1];
        const id = this.index.get(sub);
        if (id === undefined) continue;
        if (len === 1) hasSingle = true;
        offer(start + len, { score: here.score + this.scores[id]!, start, id });
      }
      if (!hasSingle) {
        if (this.unkId === undefined) {
          throw new Error(`"${chars[start]}" is not in the Unigram vocabulary and the model has no unk_id`);
        }
        offer(start + 1, { score: here.score + this.unkScore, start, id: this.unkId });
      }
    }
    return best;
  }

  /** Ids along the best path; consecutive unknown characters become one token (fuse_unk). */
  private backtrack(chars: string[], best: (BestPath | undefined)[]): number[] {
    const surfaces: { text: string; unk: boolean }[] = [];
    let end = chars.length;
    while (end > 0) {
      const node = best[end]!;
      const text = chars.slice(node.start, end).join("");
      const unk = node.id === this.unkId;
      const last = surfaces[surfaces.length - 1];
      if (unk && last?.unk) last.text = text + last.text;
      else surfaces.push({ text, unk });
      end = node.start;
    }
    surfaces.reverse();
    const ids: number[] = [];
    for (const { text } of surfaces) {
      const id = this.index.get(text);
      if (id !== undefined) ids.push(id);
      else if (this.byteFallback) ids.push(...this.byteIds(text));
      else ids.push(this.unkId!);
    }
    return ids;
  }

  private byteIds(text: string): number[] {
    const ids: number[] = [];
    for (const b of new TextEncoder().encode(text)) {
      const id = this.index.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
      if (id === undefined) return [this.unkId!];
      ids.push(id);
    }
    return ids;
  }
}
