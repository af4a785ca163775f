// Truecasing as a same-length tagging task: the source is a line lowercased, the target the line as
// written, so a character tokenizer gives exactly one output token per input token (German: nouns).

import type { ParallelExample } from "./parallel.ts";

/** Truecasing pairs from lines, and how many lines were left out. */
export interface TruecasePairs {
  pairs: ParallelExample[];
  /** Empty lines (after trimming). */
  droppedEmpty: number;
  /** Lines whose lowercased form has another number of code points (e.g. "İ"): not one label per character. */
  droppedLength: number;
}

/** `line` trimmed, lowercased -> as written; null when empty or when lowercasing changes its length. */
export function truecasePair(line: string): ParallelExample | null {
  const tgt = line.trim();
  const src = tgt.toLowerCase();
  if (tgt === "" || [...src].length !== [...tgt].length) return null;
  return { src, tgt };
}

/** The truecasing pairs of `lines` (in order), counting the lines left out. */
export function truecasePairs(lines: readonly string[]): TruecasePairs {
  const out: TruecasePairs = { pairs: [], droppedEmpty: 0, droppedLength: 0 };
  for (const line of lines) {
    const pair = truecasePair(line);
    if (pair) out.pairs.push(pair);
    else if (line.trim() === "") out.droppedEmpty++;
    else out.droppedLength++;
  }
  return out;
}
