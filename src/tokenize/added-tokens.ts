// Finds the added tokens of a tokenizer.json (special tokens and friends) in raw text before the model runs,
// as the Rust crate does: un-normalized tokens on the raw text, then normalized tokens on the normalized text.

import type { AddedTokenJson } from "./tokenizer.ts";

/** A piece of input: either an added token (its id) or normalized text for the pre-tokenizer and model. */
export type Segment = { id: number } | { text: string };

interface Matcher {
  regex: RegExp | null;
  byContent: Map<string, AddedTokenJson>;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const SPACE = /\s/u;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function buildMatcher(tokens: readonly AddedTokenJson[], contentOf: (t: AddedTokenJson) => string): Matcher {
  const byContent = new Map<string, AddedTokenJson>();
  for (const t of tokens) if (contentOf(t) !== "") byContent.set(contentOf(t), t);
  // Longest first, so the alternation picks the longest token at the leftmost position.
  const contents = [...byContent.keys()].sort((a, b) => b.length - a.length);
  const regex = contents.length === 0 ? null : new RegExp(contents.map(escapeRegex).join("|"), "gu");
  return { regex, byContent };
}

/** Splits text around added tokens, honouring their lstrip / rstrip / single_word flags. */
export class AddedTokenSplitter {
  private readonly raw: Matcher;
  private readonly normalizedMatcher: Matcher;

  /** `normalize` is the tokenizer's normalizer (identity when it has none). */
  constructor(
    tokens: readonly AddedTokenJson[],
    private readonly normalize: (text: string) => string,
  ) {
    this.raw = buildMatcher(
      tokens.filter((t) => !t.normalized),
      (t) => t.content,
    );
    this.normalizedMatcher = buildMatcher(
      tokens.filter((t) => t.normalized),
      (t) => normalize(t.content),
    );
  }

  /** Added-token ids and normalized text pieces, in order. */
  split(text: string): Segment[] {
    const out: Segment[] = [];
    for (const part of splitWith(this.raw, text)) {
      if ("id" in part) {
        out.push(part);
        continue;
      }
      const normalized = this.normalize(part.text);
      for (const piece of splitWith(this.normalizedMatcher, normalized)) {
        if ("id" in piece || piece.text !== "") out.push(piece);
      }
    }
    return out;
  }
}

function splitWith(matcher: Matcher, text: string): Segment[] {
  const { regex } = matcher;
  if (regex === null || text === "") return [{ text }];
  const out: Segment[] = [];
  let done = 0; // text before `done` is already in `out`
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const token = matcher.byContent.get(m[0])!;
    let start = m.index;
    let end = start + m[0].length;
    if (token.single_word && !isWholeWord(text, start, end)) {
      regex.lastIndex = start + 1;
      continue;
    }
    if (token.lstrip) while (start > done && SPACE.test(text[start - 1]!)) start--;
    if (token.rstrip) while (end < text.length && SPACE.test(text[end]!)) end++;
    if (start > done) out.push({ text: text.slice(done, start) });
    out.push({ id: token.id });
    done = end;
    regex.lastIndex = end;
  }
  if (done < text.length) out.push({ text: text.slice(done) });
  return out;
}

function isWholeWord(text: string, start: number, end: number): boolean {
  const before = start > 0 ? text[start - 1]! : "";
  const after = end < text.length ? text[end]! : "";
  return !WORD_CHAR.test(before) && !WORD_CHAR.test(after);
}
