// An interpolated Kneser-Ney n-gram model over integer tokens (Kneser & Ney 1995; Chen & Goodman 1998,
// section 2.7): the joint-sequence G2P model's language model over graphones (src/models/joint-sequence.ts).

/** Pads the start of each sequence (never predicted). */
const BOS = -1;
/** Ends each sequence: predicted after its last token. */
export const KN_EOS = -2;

interface Context {
  /** Sum of the counts of the n-grams with this history. */
  total: number;
  /** How many distinct tokens follow it. */
  types: number;
}

/**
 * P(w | h) = max(c(h w) - D, 0) / c(h) + D * types(h) / c(h) * P(w | h minus its first token), down to a
 * uniform distribution over `vocabSize` tokens plus the end. The highest order counts n-grams; lower orders
 * count the distinct tokens seen before them (continuation counts), except n-grams that start at the padded
 * sequence start, which have no left neighbour and keep their counts. One discount per order,
 * D = n1 / (n1 + 2 n2) from the counts of counts.
 */
export class KneserNey {
  /** counts[k]: the k-gram ("id,id,...") -> its count (k = order) or continuation count. */
  private readonly counts: Map<string, number>[] = [];
  private readonly contexts: Map<string, Context>[] = [];
  readonly discounts: number[] = [];

  /** `sequences` hold tokens 0..vocabSize-1; each is padded with order-1 starts and ends with KN_EOS. */
  constructor(
    readonly order: number,
    readonly vocabSize: number,
    sequences: readonly (readonly number[])[],
  ) {
    if (!Number.isInteger(order) || order < 1) throw new Error(`KneserNey: order must be >= 1, got ${order}`);
    for (let k = 0; k <= order; k++) {
      this.counts.push(new Map());
      this.contexts.push(new Map());
    }
    const top = this.counts[order]!;
    for (const sequence of sequences) {
      const padded = [...new Array<number>(order - 1).fill(BOS), ...sequence, KN_EOS];
      for (let end = order - 1; end < padded.length; end++) {
        const key = padded.slice(end - order + 1, end + 1).join(",");
        top.set(key, (top.get(key) ?? 0) + 1);
      }
    }
    for (let k = order; k > 1; k--) {
      const lower = this.counts[k - 1]!;
      for (const [key, count] of this.counts[k]!) {
        const comma = key.indexOf(",");
        const suffix = key.slice(comma + 1);
        // An n-gram that starts with two paddings has only padding to its left: it passes its count down.
        const padded = key.startsWith(`${BOS},${BOS},`);
        lower.set(suffix, (lower.get(suffix) ?? 0) + (padded ? count : 1));
      }
    }
    for (let k = 1; k <= order; k++) {
      let [n1, n2] = [0, 0];
      for (const [key, count] of this.counts[k]!) {
        if (count === 1) n1++;
        else if (count === 2) n2++;
        const history = k === 1 ? "" : key.slice(0, key.lastIndexOf(","));
        const context = this.contexts[k]!.get(history);
        if (context) {
          context.total += count;
          context.types++;
        } else this.contexts[k]!.set(history, { total: count, types: 1 });
      }
      this.discounts[k] = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
    }
  }

  /** The history a sequence starts with, to pass to logProb. */
  start(): number[] {
    return new Array<number>(this.order - 1).fill(BOS);
  }

  /** ln P(token | the last order-1 tokens of history); token may be KN_EOS. */
  logProb(history: readonly number[], token: number): number {
    let p = 1 / (this.vocabSize + 1);
    let historyKey = "";
    for (let k = 1; k <= this.order; k++) {
      if (k > 1) {
        const previous = history[history.length - k + 1];
        if (previous === undefined) break;
        historyKey = historyKey === "" ? String(previous) : `${previous},${historyKey}`;
      }
      const context = this.contexts[k]!.get(historyKey);
      if (!context) break; // an unseen history: no longer one is seen either
      const count = this.counts[k]!.get(historyKey === "" ? String(token) : `${historyKey},${token}`) ?? 0;
      const d = this.discounts[k]!;
      p = (Math.max(count - d, 0) + d * context.types * p) / context.total;
    }
    return Math.log(p);
  }
}
