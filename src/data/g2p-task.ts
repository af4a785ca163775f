// English grapheme-to-phoneme pairs from the CMU Pronouncing Dictionary (npm package, offline):
// "HELLO" -> "HH AH L OW", stress digits stripped, split into train/valid/test by a hash of the word.

import type { ParallelExample } from "./parallel.ts";
import { Rng } from "./rng.ts";
import type { TaskOptions, TaskSplits } from "./synthetic-tasks.ts";

/** FNV-1a, 32 bits: a stable hash, so a word's split never depends on the seed or the package order. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Letters and apostrophes only: drops "a.", "ad-hoc" and the like. */
const WORD = /^[a-z']*[a-z][a-z']*$/;

/** word (uppercase) -> its pronunciations (ARPAbet without stress digits), in dictionary order. */
async function loadPronunciations(): Promise<Map<string, string[]>> {
  const { dictionary } = await import("cmu-pronouncing-dictionary");
  const words = new Map<string, string[]>();
  for (const [key, phones] of Object.entries(dictionary)) {
    const word = key.replace(/\(\d+\)$/, "");
    if (!WORD.test(word)) continue;
    // Some entries carry a comment ("AO L B AO R G # place, danish").
    const pron = phones.replace(/#.*$/, "").replace(/\d/g, "").trim().split(/\s+/).join(" ");
    const upper = word.toUpperCase();
    const list = words.get(upper);
    if (list === undefined) words.set(upper, [pron]);
    else if (!list.includes(pron)) list.push(pron);
  }
  return words;
}

function checkPercent(value: number, key: string): void {
  if (!(value >= 0 && value <= 100))
    throw new Error(`task option ${key} must be from 0 to 100, got ${value}`);
}

/**
 * CMUdict G2P splits. A word goes to test when fnv1a32(word) % 100 < testPercent, to valid when below
 * testPercent + validPercent, else to train; all its pronunciations go with it (one example each).
 * count / validCount / testCount, when given, take that many words per split by a seeded shuffle.
 */
export async function g2pTask(options: TaskOptions): Promise<TaskSplits> {
  const testPercent = options.testPercent ?? 5;
  const validPercent = options.validPercent ?? 5;
  checkPercent(testPercent, "testPercent");
  checkPercent(testPercent + validPercent, "testPercent + validPercent");
  const words = await loadPronunciations();
  const byWord: Record<keyof TaskSplits, string[]> = { train: [], valid: [], test: [] };
  for (const word of [...words.keys()].sort()) {
    const bucket = fnv1a32(word) % 100;
    byWord[bucket < testPercent ? "test" : bucket < testPercent + validPercent ? "valid" : "train"].push(
      word,
    );
  }
  const rng = new Rng(options.seed ?? 1);
  const take = (list: string[], n: number | undefined): ParallelExample[] => {
    const chosen = n === undefined || n >= list.length ? list : rng.shuffle([...list]).slice(0, n);
    return chosen.flatMap((word) => words.get(word)!.map((tgt) => ({ src: word, tgt })));
  };
  return {
    train: take(byWord.train, options.count),
    valid: take(byWord.valid, options.validCount),
    test: take(byWord.test, options.testCount),
  };
}
