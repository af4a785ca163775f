// Length normalisation for beam search: without it, summed log-probabilities favour short outputs.
// Two common forms, chosen by option.

/**
 * How finished hypotheses of different lengths are compared: score = logProb / lp(length), length counting
 * the EOS. "gnmt": lp = ((5 + length) / 6)^α (Wu et al. 2016, §7). "power": lp = length^α (Hugging Face
 * `length_penalty`). α = 0 ranks by raw log-probability; larger α favours longer outputs.
 */
export interface LengthPenalty {
  form: "gnmt" | "power";
  alpha: number;
}

export const DEFAULT_LENGTH_PENALTY: LengthPenalty = { form: "gnmt", alpha: 0.6 };

/** The length penalty lp(length). */
export function lengthPenalty(length: number, penalty: LengthPenalty): number {
  return penalty.form === "gnmt" ? ((5 + length) / 6) ** penalty.alpha : length ** penalty.alpha;
}
