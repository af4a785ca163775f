// Decoding constraints as small composable logits processors (the transformers.js / Hugging Face design):
// each edits a [rows × vocab] log-probability array in place; a search applies a list of them every step.

/** What a processor may look at for each row of the batch (a sentence, or one beam of a sentence). */
export interface ProcessorContext {
  /** Tokens generated so far by each row (no BOS; forced tokens included): [rows][generated]. */
  readonly generated: readonly (readonly number[])[];
  /** Source length in tokens (EOS included) of each row's sentence: [rows]. */
  readonly srcLengths: readonly number[];
}

/** One decoding constraint: edits `scores` [rows * vocab] (log-probabilities) in place. */
export interface LogitsProcessor {
  process(scores: Float32Array, context: ProcessorContext): void;
}

const BANNED = Number.NEGATIVE_INFINITY;

/** Bans token `id` in row `row` of scores [rows * vocab]. */
function ban(scores: Float32Array, vocab: number, row: number, id: number): void {
  if (id >= 0 && id < vocab) scores[row * vocab + id] = BANNED;
}

/** Makes `id` the only possible token of row `row`; a forced token costs nothing (log-probability 0). */
function force(scores: Float32Array, vocab: number, row: number, id: number): void {
  scores.fill(BANNED, row * vocab, (row + 1) * vocab);
  scores[row * vocab + id] = 0;
}

const vocabOf = (scores: Float32Array, context: ProcessorContext): number =>
  scores.length / context.generated.length;

/** Bans EOS until a row has generated `minLength` tokens (EOS itself not counted). */
export class MinLengthProcessor implements LogitsProcessor {
  constructor(
    readonly minLength: number,
    readonly eos: number,
  ) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    context.generated.forEach((tokens, row) => {
      if (tokens.length < this.minLength) ban(scores, vocab, row, this.eos);
    });
  }
}

/**
 * Forces EOS once a row has `limit` tokens, where limit = maxLength, lowered to ⌊offset + ratio · srcLen⌋ when
 * `relative` is given and to sharedPositions − srcLen − 1 when the source and decoder share positions. So
 * outputs have at most `limit` tokens before their EOS.
 */
export class MaxLengthProcessor implements LogitsProcessor {
  constructor(
    readonly maxLength: number,
    readonly eos: number,
    readonly relative?: { readonly offset: number; readonly ratio: number },
    readonly sharedPositions?: number,
  ) {}

  /** The most tokens (before EOS) a row whose source has `srcLength` tokens may generate. */
  limit(srcLength: number): number {
    let limit = this.maxLength;
    if (this.relative)
      limit = Math.min(limit, Math.floor(this.relative.offset + this.relative.ratio * srcLength));
    // BOS and every output token but the last are fed at positions srcLength .. srcLength + limit.
    if (this.sharedPositions !== undefined) limit = Math.min(limit, this.sharedPositions - srcLength - 1);
    return Math.max(0, limit);
  }

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    context.generated.forEach((tokens, row) => {
      if (tokens.length >= this.limit(context.srcLengths[row]!)) force(scores, vocab, row, this.eos);
    });
  }
}

/** Bans every token that would repeat an n-gram (of size n) the row has already generated. */
export class NoRepeatNGramProcessor implements LogitsProcessor {
  constructor(readonly n: number) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    const n = this.n;
    context.generated.forEach((tokens, row) => {
      if (tokens.length < n - 1 || n < 1) return;
      const prefix = tokens.slice(tokens.length - n + 1); // the n-1 tokens the next one would extend
      for (let start = 0; start + n <= tokens.length; start++) {
        if (prefix.every((t, i) => tokens[start + i] === t)) ban(scores, vocab, row, tokens[start + n - 1]!);
      }
    });
  }
}

/**
 * Bans token sequences (Hugging Face `bad_words_ids`): the last token of a sequence is banned whenever the
 * row's latest tokens equal the rest of it; a one-token sequence is banned at every step.
 */
export class BannedSequencesProcessor implements LogitsProcessor {
  constructor(readonly sequences: readonly (readonly number[])[]) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    context.generated.forEach((tokens, row) => {
      for (const sequence of this.sequences) {
        const prefix = sequence.slice(0, -1);
        if (prefix.length > tokens.length) continue;
        const tail = tokens.slice(tokens.length - prefix.length);
        if (prefix.every((t, i) => tail[i] === t)) ban(scores, vocab, row, sequence[sequence.length - 1]!);
      }
    });
  }
}

/** Bans the given token ids at every step (Hugging Face `suppress_tokens`). */
export class SuppressTokensProcessor implements LogitsProcessor {
  constructor(readonly ids: readonly number[]) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    for (let row = 0; row < context.generated.length; row++)
      for (const id of this.ids) ban(scores, vocab, row, id);
  }
}

/** Bans the given token ids as the first generated token only (Hugging Face `begin_suppress_tokens`). */
export class BeginSuppressTokensProcessor implements LogitsProcessor {
  constructor(readonly ids: readonly number[]) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    context.generated.forEach((tokens, row) => {
      if (tokens.length === 0) for (const id of this.ids) ban(scores, vocab, row, id);
    });
  }
}

/**
 * Forces the first generated token (Hugging Face `forced_bos_token_id`): the target-language tag of a
 * multilingual model. It costs nothing (log-probability 0).
 */
export class ForcedFirstTokenProcessor implements LogitsProcessor {
  constructor(readonly id: number) {}

  process(scores: Float32Array, context: ProcessorContext): void {
    const vocab = vocabOf(scores, context);
    context.generated.forEach((tokens, row) => {
      if (tokens.length === 0) force(scores, vocab, row, this.id);
    });
  }
}

/** Applies `processors` in order to scores [rows * vocab]. */
export function applyProcessors(
  processors: readonly LogitsProcessor[],
  scores: Float32Array,
  context: ProcessorContext,
): void {
  for (const processor of processors) processor.process(scores, context);
}

/** The constraints every search takes; only `eos` and `maxLength` are required. */
export interface ConstraintOptions {
  eos: number;
  /** Most tokens generated before EOS (EOS is forced at this length). */
  maxLength: number;
  /** Fewest tokens before EOS (default 0). */
  minLength?: number;
  /** Also cap the length at ⌊offset + ratio · srcLen⌋ (srcLen counts the source's EOS). */
  relativeMaxLength?: { offset: number; ratio: number };
  /**
   * Source and decoder input share this many positions (a prefix LM's `sharedPositions`): also cap the
   * length at sharedPositions − srcLen − 1, so that BOS + output fit after the source.
   */
  sharedPositions?: number;
  /** n for no-repeat-n-gram (0 or absent: off). */
  noRepeatNgram?: number;
  /** Token sequences never generated (one-token sequences: banned ids). */
  bannedSequences?: readonly (readonly number[])[];
  /** Ids never generated. */
  suppressTokens?: readonly number[];
  /** Ids never generated first. */
  beginSuppressTokens?: readonly number[];
  /** Id forced as the first generated token (a target-language tag). */
  forcedFirstToken?: number;
}

/**
 * The processor list for `options`. Order matters only for forcing: bans run first, then the forced
 * first token, then min length, and max length last so that EOS always wins at the length limit.
 */
export function buildProcessors(options: ConstraintOptions): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (options.noRepeatNgram) list.push(new NoRepeatNGramProcessor(options.noRepeatNgram));
  if (options.bannedSequences?.length) list.push(new BannedSequencesProcessor(options.bannedSequences));
  if (options.suppressTokens?.length) list.push(new SuppressTokensProcessor(options.suppressTokens));
  if (options.beginSuppressTokens?.length)
    list.push(new BeginSuppressTokensProcessor(options.beginSuppressTokens));
  if (options.forcedFirstToken !== undefined)
    list.push(new ForcedFirstTokenProcessor(options.forcedFirstToken));
  if (options.minLength) list.push(new MinLengthProcessor(options.minLength, options.eos));
  list.push(
    new MaxLengthProcessor(
      options.maxLength,
      options.eos,
      options.relativeMaxLength,
      options.sharedPositions,
    ),
  );
  return list;
}
