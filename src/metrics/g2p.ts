// Grapheme-to-phoneme scoring as in the CMUdict G2P literature (Phonetisaurus, Yao & Zweig 2015): a word
// is right when its phonemes equal ANY reference pronunciation; PER uses the closest pronunciation.
import { closestReference } from "./edit-distance.ts";
import { pySplit } from "./tokenizers.ts";

/** G2P scores of a word list. */
export interface G2pScore {
  /** Percent of words whose output matches no reference pronunciation. */
  wordErrorRate: number;
  /** 100 × Σ edits to the closest pronunciation / Σ its length (in phonemes). */
  phonemeErrorRate: number;
  words: number;
  wrongWords: number;
  phonemeEdits: number;
  phonemeRefLength: number;
}

/**
 * Scores G2P output. Phoneme strings are space-separated symbols ("HH AH L OW").
 * @param hypotheses one predicted pronunciation per word
 * @param pronunciations pronunciations[i]: every reference pronunciation of word i (at least one)
 */
export function g2pScore(
  hypotheses: readonly string[],
  pronunciations: readonly (readonly string[])[],
): G2pScore {
  if (pronunciations.length !== hypotheses.length) {
    throw new Error(`G2P: ${hypotheses.length} hypotheses but ${pronunciations.length} reference sets`);
  }
  let wrongWords = 0;
  let phonemeEdits = 0;
  let phonemeRefLength = 0;
  hypotheses.forEach((hyp, i) => {
    const refs = pronunciations[i]!.map((ref) => pySplit(ref));
    if (refs.length === 0) throw new Error(`G2P: word ${i + 1} has no reference pronunciation`);
    const closest = closestReference(pySplit(hyp), refs);
    if (closest.edits > 0) wrongWords++;
    phonemeEdits += closest.edits;
    phonemeRefLength += closest.length;
  });
  const words = hypotheses.length;
  return {
    wordErrorRate: words > 0 ? (100 * wrongWords) / words : 0,
    phonemeErrorRate: phonemeRefLength > 0 ? (100 * phonemeEdits) / phonemeRefLength : 0,
    words,
    wrongWords,
    phonemeEdits,
    phonemeRefLength,
  };
}
