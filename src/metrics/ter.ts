// TER (Snover et al., 2006) exactly as sacreBLEU 2.x computes it: Tercom's greedy block shifts over a
// beam-limited, prefix-cached edit distance, best reference per segment, average reference length.
import { groupReferences } from "./references.ts";
import { formatSignature } from "./signature.ts";
import { type TerTokenizerOptions, tokenizeTercom } from "./ter-tokenizer.ts";
import { pyRstrip, pySplit } from "./tokenizers.ts";

/** TER options: the Tercom tokenizer's (lowercasing by default, like sacreBLEU). */
export type TerOptions = TerTokenizerOptions;

/** A TER score: edits over the (average) reference length, times 100. */
export interface TerScore {
  name: "TER";
  /** TER in [0, ∞) percent. */
  score: number;
  /** Total edits (insertions, deletions, substitutions and shifts) over the corpus. */
  numEdits: number;
  /** Sum over segments of the average reference length. */
  refLength: number;
  signature: string;
}

// Tercom's limits (sacreBLEU lib_ter).
const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
const MAX_SHIFT_CANDIDATES = 1000;
const MAX_CACHE_SIZE = 10000;

// Edit operations in a trace: no-op, substitution, insertion, deletion, undefined (outside the beam).
type Op = " " | "s" | "i" | "d" | "x";
type Cell = [cost: number, op: Op];
interface CacheNode {
  children: Map<string, { node: CacheNode; row: Cell[] }>;
}

/**
 * Word-level edit distance to a fixed reference, restricted to a band around the (length-scaled)
 * diagonal, with a trie cache of matrix rows keyed by hypothesis prefixes (shifts share prefixes).
 */
export class BeamEditDistance {
  private readonly ref: readonly string[];
  private readonly initialRow: Cell[];
  private cache: CacheNode = { children: new Map() };
  private cacheSize = 0;
  // Rows depend on the hypothesis length (beam position), so the cache holds one length at a time.
  private cachedLength = -1;

  constructor(ref: readonly string[]) {
    this.ref = ref;
    this.initialRow = Array.from({ length: ref.length + 1 }, (_, j): Cell => [j, "i"]);
  }

  /** Returns the edit distance to the reference and the trace of operations (rewriting hyp into ref). */
  distance(hyp: readonly string[]): { cost: number; trace: string } {
    if (hyp.length !== this.cachedLength) {
      this.cache = { children: new Map() };
      this.cacheSize = 0;
      this.cachedLength = hyp.length;
    }
    const rows: Cell[][] = [this.initialRow];
    let node = this.cache;
    for (const word of hyp) {
      const hit = node.children.get(word);
      if (!hit) break;
      rows.push(hit.row);
      node = hit.node;
    }
    this.fillRows(hyp, rows);
    this.addToCache(hyp, rows);
    return { cost: rows[hyp.length]![this.ref.length]![0], trace: this.backtrace(rows) };
  }

  private fillRows(hyp: readonly string[], rows: Cell[][]): void {
    const nRef = this.ref.length;
    const lengthRatio = hyp.length > 0 ? nRef / hyp.length : 1;
    const beam = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
    for (let i = rows.length; i <= hyp.length; i++) {
      const prev = rows[i - 1]!;
      const row = Array.from({ length: nRef + 1 }, (): Cell => [Number.POSITIVE_INFINITY, "x"]);
      const diag = Math.floor(i * lengthRatio);
      const minJ = Math.max(0, diag - beam);
      const maxJ = i === hyp.length ? nRef + 1 : Math.min(nRef + 1, diag + beam);
      for (let j = minJ; j < maxJ; j++) {
        if (j === 0) {
          row[0] = [prev[0]![0] + 1, "d"];
          continue;
        }
        const same = hyp[i - 1] === this.ref[j - 1];
        // Tercom prefers match/substitution, then (in the flipped trace) insertion, then deletion.
        const options: Cell[] = [
          [prev[j - 1]![0] + (same ? 0 : 1), same ? " " : "s"],
          [prev[j]![0] + 1, "d"],
          [row[j - 1]![0] + 1, "i"],
        ];
        for (const option of options) if (row[j]![0] > option[0]) row[j] = option;
      }
      rows.push(row);
    }
  }

  private backtrace(rows: Cell[][]): string {
    const ops: string[] = [];
    let i = rows.length - 1;
    let j = this.ref.length;
    while (i > 0 || j > 0) {
      const op = rows[i]![j]![1];
      ops.push(op);
      if (op === " " || op === "s") {
        i--;
        j--;
      } else if (op === "i") j--;
      else if (op === "d") i--;
      else throw new Error(`TER: edit distance trace left the beam at (${i}, ${j})`);
    }
    return ops.reverse().join("");
  }

  private addToCache(hyp: readonly string[], rows: Cell[][]): void {
    if (this.cacheSize >= MAX_CACHE_SIZE) return;
    let node = this.cache;
    for (let i = 0; i < hyp.length; i++) {
      let entry = node.children.get(hyp[i]!);
      if (!entry) {
        entry = { node: { children: new Map() }, row: rows[i + 1]! };
        node.children.set(hyp[i]!, entry);
        this.cacheSize++;
      }
      node = entry.node;
    }
  }
}

/** Reads a trace (rewriting the reference into the hypothesis) as an alignment plus error flags. */
function traceToAlignment(trace: string): { align: Map<number, number>; refErr: number[]; hypErr: number[] } {
  let posHyp = -1;
  let posRef = -1;
  const align = new Map<number, number>();
  const refErr: number[] = [];
  const hypErr: number[] = [];
  for (const op of trace) {
    if (op === " " || op === "s") {
      posHyp++;
      posRef++;
      align.set(posRef, posHyp);
      const err = op === "s" ? 1 : 0;
      hypErr.push(err);
      refErr.push(err);
    } else if (op === "i") {
      posHyp++;
      hypErr.push(1);
    } else if (op === "d") {
      posRef++;
      align.set(posRef, posHyp);
      refErr.push(1);
    }
  }
  return { align, refErr, hypErr };
}

/** Moves words[start, start + length) so that it starts before index `target` of the original list. */
export function performShift(
  words: readonly string[],
  start: number,
  length: number,
  target: number,
): string[] {
  const block = words.slice(start, start + length);
  if (target < start) {
    return [
      ...words.slice(0, target),
      ...block,
      ...words.slice(target, start),
      ...words.slice(start + length),
    ];
  }
  if (target > start + length) {
    return [
      ...words.slice(0, start),
      ...words.slice(start + length, target),
      ...block,
      ...words.slice(target),
    ];
  }
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...block,
    ...words.slice(length + target),
  ];
}

/** Yields [hypStart, refStart, length] for every common word run (length ≤ 10, start distance ≤ 50). */
function* shiftedPairs(hyp: readonly string[], ref: readonly string[]): Generator<[number, number, number]> {
  for (let startH = 0; startH < hyp.length; startH++) {
    for (let startR = 0; startR < ref.length; startR++) {
      if (Math.abs(startR - startH) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (hyp[startH + length] === ref[startR + length] && length < MAX_SHIFT_SIZE) {
        length++;
        yield [startH, startR, length];
        if (hyp.length === startH + length || ref.length === startR + length) break;
      }
    }
  }
}

const sumRange = (values: readonly number[], from: number, to: number): number =>
  values.slice(from, to).reduce((a, b) => a + b, 0);

/** Tercom's ranking of a candidate shift: gain, then longer, then earlier start, then earlier target. */
type Candidate = [gain: number, length: number, negStart: number, negTarget: number, words: string[]];

function better(a: Candidate, b: Candidate | null): boolean {
  if (b === null) return true;
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return (a[k] as number) > (b[k] as number);
  return false;
}

/** Finds the best single shift; returns its gain (0 if none), the shifted words and the candidate count. */
function bestShift(
  hyp: string[],
  ref: readonly string[],
  ed: BeamEditDistance,
  checked: number,
): { gain: number; words: string[]; checked: number } {
  const { cost: preScore, trace: invTrace } = ed.distance(hyp);
  const flipped = invTrace.replace(/[id]/g, (op) => (op === "i" ? "d" : "i"));
  const { align, refErr, hypErr } = traceToAlignment(flipped);
  let best: Candidate | null = null;
  let count = checked;
  for (const [startH, startR, length] of shiftedPairs(hyp, ref)) {
    if (sumRange(hypErr, startH, startH + length) === 0) continue;
    if (sumRange(refErr, startR, startR + length) === 0) continue;
    const alignedStart = align.get(startR)!;
    if (startH <= alignedStart && alignedStart < startH + length) continue;
    let prevIdx = -1;
    for (let offset = -1; offset < length; offset++) {
      let idx: number;
      if (startR + offset === -1) idx = 0;
      else if (align.has(startR + offset)) idx = align.get(startR + offset)! + 1;
      else break;
      if (idx === prevIdx) continue;
      prevIdx = idx;
      const shifted = performShift(hyp, startH, length, idx);
      const candidate: Candidate = [preScore - ed.distance(shifted).cost, length, -startH, -idx, shifted];
      count++;
      if (better(candidate, best)) best = candidate;
    }
    if (count >= MAX_SHIFT_CANDIDATES) break;
  }
  return best === null
    ? { gain: 0, words: hyp, checked: count }
    : { gain: best[0], words: best[4], checked: count };
}

/** TER edits of a tokenized hypothesis against one tokenized reference: [edits, reference length]. */
export function translationEditRate(hyp: readonly string[], ref: readonly string[]): [number, number] {
  if (ref.length === 0) return [hyp.length, 0];
  const ed = new BeamEditDistance(ref);
  let words = [...hyp];
  let shifts = 0;
  let checked = 0;
  for (;;) {
    const result = bestShift(words, ref, ed, checked);
    checked = result.checked;
    if (checked >= MAX_SHIFT_CANDIDATES || result.gain <= 0) break;
    shifts++;
    words = result.words;
  }
  return [shifts + ed.distance(words).cost, ref.length];
}

/** The TER signature, e.g. `nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.x-local`. */
export function terSignature(nrefs: number | "var", options: TerOptions = {}): string {
  return formatSignature([
    ["nrefs", nrefs],
    ["case", options.caseSensitive ? "mixed" : "lc"],
    ["tok", "tercom"],
    ["norm", options.normalized ?? false],
    ["punct", !(options.noPunct ?? false)],
    ["asian", options.asianSupport ?? false],
  ]);
}

/**
 * Corpus TER as sacreBLEU's `corpus_ter`: per segment the fewest edits over the references, divided by
 * the sum of average reference lengths.
 * @param references reference streams: references[k][i] is the k-th reference of segment i
 */
export function corpusTer(
  hypotheses: readonly string[],
  references: readonly string[][],
  options: TerOptions = {},
): TerScore {
  const { perSegment, nrefs } = groupReferences(hypotheses.length, references);
  const words = (s: string): string[] => pySplit(tokenizeTercom(pyRstrip(s), options));
  let numEdits = 0;
  let refLength = 0;
  hypotheses.forEach((hyp, i) => {
    const hypWords = words(hyp);
    const refs = perSegment[i]!;
    let best = Number.POSITIVE_INFINITY;
    let lengths = 0;
    for (const ref of refs) {
      const [edits, length] = translationEditRate(hypWords, words(ref));
      lengths += length;
      best = Math.min(best, edits);
    }
    numEdits += best;
    refLength += lengths / refs.length;
  });
  let score = 0;
  if (refLength > 0) score = numEdits / refLength;
  else if (numEdits > 0) score = 1;
  return { name: "TER", score: 100 * score, numEdits, refLength, signature: terSignature(nrefs, options) };
}

/** Sentence TER as sacreBLEU's `sentence_ter`. */
export function sentenceTer(
  hypothesis: string,
  references: readonly string[],
  options: TerOptions = {},
): TerScore {
  return corpusTer(
    [hypothesis],
    references.map((ref) => [ref]),
    options,
  );
}
