// Many-to-many letter/phoneme alignment by expectation maximization (Jiampojamarn et al. 2007; Bisani & Ney
// 2008, "Joint-sequence models for grapheme-to-phoneme conversion", section 3): each word segments into
// graphones, a chunk of 1-2 letters paired with 0-3 phonemes, and EM learns how likely each graphone is.

/** A word's letters and one of its pronunciations' phonemes. */
export interface Pronunciation {
  letters: readonly string[];
  phones: readonly string[];
}

/** The [letters, phonemes] sizes a graphone may have: 1-2 letters with 0-3 phonemes, but not 2 with 3. */
export const GRAPHONE_SHAPES: readonly (readonly [number, number])[] = [
  [1, 0],
  [1, 1],
  [1, 2],
  [1, 3],
  [2, 0],
  [2, 1],
  [2, 2],
];

/** The readable name of a graphone: its letters and phonemes, e.g. "p h|F" or "e|" (a silent e). */
export function graphoneName(letters: readonly string[], phones: readonly string[]): string {
  return `${letters.join(" ")}|${phones.join(" ")}`;
}

/** Interns letters and phonemes as small codes and a graphone's spans as one number. */
export class SymbolCodes {
  readonly letters = new Map<string, number>();
  readonly phones = new Map<string, number>();

  /** The code of a letter (or phoneme), added when `grow`, else undefined when unseen. */
  letter(s: string, grow: boolean): number | undefined {
    return code(this.letters, s, grow);
  }

  phone(s: string, grow: boolean): number | undefined {
    return code(this.phones, s, grow);
  }

  /**
   * The number that names letters[i, i+a) with phones[j, j+b) (codes from 1, 0 pads a shorter span), or
   * undefined when a symbol is unseen and `grow` is false. Codes stay below 2^10, so it fits 2^50.
   */
  spanKey(p: Pronunciation, i: number, j: number, a: number, b: number, grow: boolean): number | undefined {
    let key = 0;
    for (let k = 0; k < 2; k++) {
      const c = k < a ? this.letter(p.letters[i + k]!, grow) : 0;
      if (c === undefined) return undefined;
      key = key * 1024 + c;
    }
    for (let k = 0; k < 3; k++) {
      const c = k < b ? this.phone(p.phones[j + k]!, grow) : 0;
      if (c === undefined) return undefined;
      key = key * 1024 + c;
    }
    return key;
  }
}

function code(map: Map<string, number>, s: string, grow: boolean): number | undefined {
  const known = map.get(s);
  if (known !== undefined || !grow) return known;
  if (map.size >= 1023) throw new Error("graphone alignment: more than 1,023 distinct letters or phonemes");
  map.set(s, map.size + 1);
  return map.size;
}

/** Every possible segmentation edge of every word: edge (i, j, shape) of word w holds a graphone id or -1. */
class EdgeTable {
  readonly offsets: number[] = [];
  readonly ids: Int32Array;
  /** The first occurrence of each candidate graphone: [word, i, j, shape]. */
  readonly examples: [number, number, number, number][] = [];

  constructor(readonly words: readonly Pronunciation[]) {
    let total = 0;
    for (const p of words) {
      this.offsets.push(total);
      total += (p.letters.length + 1) * (p.phones.length + 1) * GRAPHONE_SHAPES.length;
    }
    this.ids = new Int32Array(total).fill(-1);
    const codes = new SymbolCodes();
    const idOf = new Map<number, number>();
    words.forEach((p, w) => {
      const [I, J] = [p.letters.length, p.phones.length];
      for (let i = 0; i < I; i++)
        for (let j = 0; j <= J; j++)
          GRAPHONE_SHAPES.forEach(([a, b], s) => {
            if (i + a > I || j + b > J) return;
            const key = codes.spanKey(p, i, j, a, b, true)!;
            let id = idOf.get(key);
            if (id === undefined) {
              id = idOf.size;
              idOf.set(key, id);
              this.examples.push([w, i, j, s]);
            }
            this.ids[this.index(w, i, j, s)] = id;
          });
    });
  }

  get graphoneCount(): number {
    return this.examples.length;
  }

  index(w: number, i: number, j: number, s: number): number {
    const J = this.words[w]!.phones.length;
    return this.offsets[w]! + (i * (J + 1) + j) * GRAPHONE_SHAPES.length + s;
  }

  name(id: number): { letters: string[]; phones: string[] } {
    const [w, i, j, s] = this.examples[id]!;
    const [a, b] = GRAPHONE_SHAPES[s]!;
    const p = this.words[w]!;
    return { letters: p.letters.slice(i, i + a), phones: p.phones.slice(j, j + b) };
  }
}

/** What `alignGraphones` learned: each word's best segmentation into graphones, and the graphones used. */
export interface GraphoneAlignment {
  /** The graphones of the segmentations: [letters, phonemes]. */
  graphones: [string[], string[]][];
  /** Each word's graphone ids in order, or null when no segmentation exists (e.g. a letter with 4 phonemes). */
  segmentations: (number[] | null)[];
  /** Log-likelihood of the data after each EM iteration. */
  logLikelihoods: number[];
}

/**
 * Segments each word into graphones: `iterations` rounds of EM over all segmentations (forward-backward on
 * the letters x phonemes lattice, unigram graphone probabilities, uniform at the start), then each word's most
 * probable segmentation (Viterbi).
 */
export function alignGraphones(words: readonly Pronunciation[], iterations = 5): GraphoneAlignment {
  const edges = new EdgeTable(words);
  let prob = new Float64Array(edges.graphoneCount).fill(1 / edges.graphoneCount);
  const logLikelihoods: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const counts = new Float64Array(prob.length);
    let logLikelihood = 0;
    words.forEach((_, w) => {
      logLikelihood += expectedCounts(edges, w, prob, counts);
    });
    let total = 0;
    for (const c of counts) total += c;
    prob = counts.map((c) => c / total);
    logLikelihoods.push(logLikelihood);
  }
  const used = new Map<number, number>();
  const graphones: [string[], string[]][] = [];
  const segmentations = words.map(
    (_, w) =>
      viterbi(edges, w, prob)?.map((id) => {
        let dense = used.get(id);
        if (dense === undefined) {
          dense = used.size;
          used.set(id, dense);
          const { letters, phones } = edges.name(id);
          graphones.push([letters, phones]);
        }
        return dense;
      }) ?? null,
  );
  return { graphones, segmentations, logLikelihoods };
}

/** Adds word w's expected graphone counts (its posterior over segmentations) to `counts`; returns log Z. */
function expectedCounts(edges: EdgeTable, w: number, prob: Float64Array, counts: Float64Array): number {
  const p = edges.words[w]!;
  const [I, J] = [p.letters.length, p.phones.length];
  const cell = (i: number, j: number) => i * (J + 1) + j;
  const alpha = new Float64Array((I + 1) * (J + 1));
  const beta = new Float64Array((I + 1) * (J + 1));
  alpha[0] = 1;
  for (let i = 0; i < I; i++)
    for (let j = 0; j <= J; j++) {
      const from = alpha[cell(i, j)]!;
      if (from === 0) continue;
      GRAPHONE_SHAPES.forEach(([a, b], s) => {
        const id = edges.ids[edges.index(w, i, j, s)]!;
        if (id >= 0) alpha[cell(i + a, j + b)]! += from * prob[id]!;
      });
    }
  const z = alpha[cell(I, J)]!;
  if (!(z > 0)) return 0;
  beta[cell(I, J)] = 1;
  for (let i = I - 1; i >= 0; i--)
    for (let j = J; j >= 0; j--) {
      let sum = 0;
      GRAPHONE_SHAPES.forEach(([a, b], s) => {
        const id = edges.ids[edges.index(w, i, j, s)]!;
        if (id >= 0) sum += prob[id]! * beta[cell(i + a, j + b)]!;
      });
      beta[cell(i, j)] = sum;
    }
  for (let i = 0; i < I; i++)
    for (let j = 0; j <= J; j++) {
      const from = alpha[cell(i, j)]!;
      if (from === 0) continue;
      GRAPHONE_SHAPES.forEach(([a, b], s) => {
        const id = edges.ids[edges.index(w, i, j, s)]!;
        if (id >= 0) counts[id]! += (from * prob[id]! * beta[cell(i + a, j + b)]!) / z;
      });
    }
  return Math.log(z);
}

/** Word w's most probable segmentation as graphone ids, or null when it has none. */
function viterbi(edges: EdgeTable, w: number, prob: Float64Array): number[] | null {
  const p = edges.words[w]!;
  const [I, J] = [p.letters.length, p.phones.length];
  const cell = (i: number, j: number) => i * (J + 1) + j;
  const best = new Float64Array((I + 1) * (J + 1)).fill(-Infinity);
  const back = new Int32Array((I + 1) * (J + 1)).fill(-1); // the edge index into edges.ids that arrived
  const shapeOf = new Int8Array((I + 1) * (J + 1));
  best[0] = 0;
  for (let i = 0; i < I; i++)
    for (let j = 0; j <= J; j++) {
      const from = best[cell(i, j)]!;
      if (from === -Infinity) continue;
      GRAPHONE_SHAPES.forEach(([a, b], s) => {
        const edge = edges.index(w, i, j, s);
        const id = edges.ids[edge]!;
        if (id < 0 || !(prob[id]! > 0)) return;
        const score = from + Math.log(prob[id]!);
        const to = cell(i + a, j + b);
        if (score > best[to]!) {
          best[to] = score;
          back[to] = edge;
          shapeOf[to] = s;
        }
      });
    }
  if (best[cell(I, J)] === -Infinity) return null;
  const ids: number[] = [];
  for (let [i, j] = [I, J]; i > 0 || j > 0; ) {
    const to = cell(i, j);
    ids.push(edges.ids[back[to]!]!);
    const [a, b] = GRAPHONE_SHAPES[shapeOf[to]!]!;
    [i, j] = [i - a, j - b];
  }
  return ids.reverse();
}
