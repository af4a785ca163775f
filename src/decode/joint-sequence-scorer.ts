// Lets a joint-sequence G2P model (src/models/joint-sequence.ts) score the candidates of a left-to-right and
// right-to-left pair (src/decode/bidirectional.ts): token ids become the letters and phonemes it knows.

import type { JointSequenceModel } from "../models/joint-sequence.ts";
import type { TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import type { CandidateScorer } from "./bidirectional.ts";

/**
 * ln P(letters, phonemes) of a source word and a candidate pronunciation, weighted by `weight`: the letters
 * are the characters of the decoded source, the phonemes the whitespace-separated words of the candidate, as
 * the model read them from a WORD<TAB>PHONEMES file.
 */
export function jointSequenceScorer(
  model: JointSequenceModel,
  weight: number,
  tokenizers: TokenizerPair,
): CandidateScorer {
  if (!(weight >= 0)) throw new Error(`the joint-sequence weight must be >= 0, got ${weight}`);
  return {
    weight,
    logProb(source, candidate) {
      const letters = [...tokenizers.source.decode(source, { skipSpecial: true })];
      const phones = tokenizers.target.decode(candidate, { skipSpecial: true }).split(/\s+/).filter(Boolean);
      return model.logProb(letters, phones);
    },
  };
}
