// A right-to-left target: the same vocabulary and files as the tokenizer it wraps, with every target read
// backwards. A model trained through it generates the last token first (a right-to-left model, as the
// L2R/R2L pairs of Sennrich et al. 2016 and Liu et al. 2016 that rescore each other's n-best lists); its
// decode() puts the tokens back in reading order, so training, validation and translation need no other change.

import type { DecodeOptions, SpecialTokenIds, Tokenizer, TokenizerJson } from "./tokenizer.ts";
import type { TokenizerPair } from "./tokenizer-pair.ts";

/** Reverses ids of a right-to-left output into reading order, or back (a final EOS stays last: it ends either). */
export function reverseIds(ids: readonly number[], eos: number): number[] {
  const ended = ids.length > 0 && ids[ids.length - 1] === eos;
  const body = ended ? ids.slice(0, -1) : [...ids];
  body.reverse();
  return ended ? [...body, eos] : body;
}

/** `tokenizer` with its token order reversed: encode() gives the ids last-first, decode() reads them back. */
export class ReversedTokenizer implements Tokenizer {
  constructor(readonly base: Tokenizer) {}

  get kind() {
    return this.base.kind;
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  get specials(): Readonly<SpecialTokenIds> {
    return this.base.specials;
  }

  encode(text: string): number[] {
    return this.base.encode(text).reverse();
  }

  encodeBatch(texts: readonly string[]): number[][] {
    return this.base.encodeBatch(texts).map((ids) => ids.reverse());
  }

  decode(ids: readonly number[], options?: DecodeOptions): string {
    return this.base.decode(reverseIds(ids, this.base.specials.eos), options);
  }

  idToToken(id: number): string | undefined {
    return this.base.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.base.tokenToId(token);
  }

  tokens(text: string): string[] {
    return this.base.tokens(text).reverse();
  }

  toJSON(): TokenizerJson {
    return this.base.toJSON();
  }

  save(path: string): void {
    this.base.save(path);
  }
}

/** The pair with its target read right to left (a joint pair keeps one vocabulary; its source is unchanged). */
export function reverseTarget(pair: TokenizerPair): TokenizerPair {
  if (pair.target instanceof ReversedTokenizer) return pair;
  return { ...pair, target: new ReversedTokenizer(pair.target) };
}

/** The tokenizer a ReversedTokenizer wraps, or `tokenizer` itself: what is saved to and compared with files. */
export function readingOrder(tokenizer: Tokenizer): Tokenizer {
  return tokenizer instanceof ReversedTokenizer ? tokenizer.base : tokenizer;
}

/** The pair with its target in reading order (what a fine-tuning run starts from; it may reverse it again). */
export function inReadingOrder(pair: TokenizerPair): TokenizerPair {
  return pair.target instanceof ReversedTokenizer ? { ...pair, target: pair.target.base } : pair;
}
