// Brzozowski derivatives of extended regular expressions (with complement and intersection) over a
// finite Alphabet: the engine that decides NL-RX equivalence without building automata up front.
/*
 * Terms are hash-consed: equal terms share an id, so a derivative is computed once per (term, symbol).
 * Smart constructors normalise up to "similarity" (Brzozowski 1964; Owens, Reppy & Turon 2009):
 * | and & are associative, commutative and idempotent (sorted, deduplicated, character sets merged),
 * ∅ and ε are units or zeros, concatenation is right-nested, ~~r = r, (r*)* = r*. That keeps the set of
 * derivatives of any term finite, so exploring them terminates; a term budget still guards the rare
 * expression whose derivative set is large, with a RegexLimitError instead of a hang.
 */
import { type Alphabet, placeholderText } from "./alphabet.ts";
import type { RegexNode } from "./parse.ts";

/** A normalised term; children are term ids in the same table, sets are bit masks of symbols. */
export type Term =
  | { kind: "empty" }
  | { kind: "eps" }
  | { kind: "set"; mask: bigint }
  | { kind: "cat"; head: number; tail: number }
  | { kind: "star"; body: number }
  | { kind: "or"; items: number[] }
  | { kind: "and"; items: number[] }
  | { kind: "not"; body: number };

/** Raised when a table would grow past its term budget, or work on it runs past its deadline. */
export class RegexLimitError extends Error {
  /** @param limit the budget that ran out: a term count, or milliseconds when `kind` is "time" */
  constructor(
    readonly limit: number,
    readonly kind: "terms" | "time" = "terms",
  ) {
    super(
      kind === "terms"
        ? `regular expression too complex: more than ${limit} distinct derivative terms`
        : `regular expression too complex: no answer within ${limit} ms`,
    );
    this.name = "RegexLimitError";
  }
}

/** A wall-clock budget: `at` is a performance.now() time, `ms` the budget it came from (for messages). */
export interface Deadline {
  at: number;
  ms: number;
}

/** Throws RegexLimitError when `deadline` has passed. */
export function checkDeadline(deadline: Deadline | undefined): void {
  if (deadline !== undefined && performance.now() > deadline.at) {
    throw new RegexLimitError(deadline.ms, "time");
  }
}

/** Hash-consed terms of one alphabet, their nullability and their memoised derivatives. */
export class TermTable {
  /** The empty language ∅. */
  readonly empty: number;
  /** The language of the empty string ε. */
  readonly eps: number;
  /** Every string: ~∅ (also what `. *` normalises to). */
  readonly full: number;
  private readonly terms: Term[] = [];
  private readonly nullables: boolean[] = [];
  private readonly index = new Map<string, number>();
  private readonly derivatives = new Map<number, number>();

  /**
   * @param maxTerms the term budget; creating one more throws RegexLimitError
   * @param deadline a wall-clock budget, checked every 256 new terms; past it, RegexLimitError
   */
  constructor(
    readonly alphabet: Alphabet,
    readonly maxTerms = 100_000,
    readonly deadline?: Deadline,
  ) {
    this.empty = this.intern({ kind: "empty" }, "0", false);
    this.eps = this.intern({ kind: "eps" }, "1", true);
    this.full = this.intern({ kind: "not", body: this.empty }, `~${this.empty}`, true);
  }

  /** How many distinct terms exist. */
  get size(): number {
    return this.terms.length;
  }

  term(id: number): Term {
    return this.terms[id]!;
  }

  /** Whether the term's language contains the empty string. */
  nullable(id: number): boolean {
    return this.nullables[id]!;
  }

  private intern(term: Term, key: string, nullable: boolean): number {
    const found = this.index.get(key);
    if (found !== undefined) return found;
    if (this.terms.length >= this.maxTerms) throw new RegexLimitError(this.maxTerms);
    if ((this.terms.length & 255) === 255) checkDeadline(this.deadline);
    const id = this.terms.length;
    this.terms.push(term);
    this.nullables.push(nullable);
    this.index.set(key, id);
    return id;
  }

  /** A set of symbols (one character of input). */
  set(mask: bigint): number {
    if (mask === 0n) return this.empty;
    return this.intern({ kind: "set", mask }, `s${mask.toString(36)}`, false);
  }

  /** Concatenation, right-nested, with ∅ as zero and ε as unit. */
  cat(head: number, tail: number): number {
    if (head === this.empty || tail === this.empty) return this.empty;
    if (head === this.eps) return tail;
    if (tail === this.eps) return head;
    const h = this.term(head);
    if (h.kind === "cat") return this.cat(h.head, this.cat(h.tail, tail));
    if (h.kind === "star" && (tail === head || this.headOf(tail) === head)) return tail; // r* r* = r*
    return this.intern(
      { kind: "cat", head, tail },
      `c${head},${tail}`,
      this.nullable(head) && this.nullable(tail),
    );
  }

  private headOf(id: number): number | undefined {
    const t = this.term(id);
    return t.kind === "cat" ? t.head : undefined;
  }

  /** Kleene star: ∅* = ε* = ε, (r*)* = r*, (ε|r)* = r*, (any char)* = every string. */
  star(body: number): number {
    if (body === this.empty || body === this.eps) return this.eps;
    if (body === this.full) return this.full;
    const b = this.term(body);
    if (b.kind === "star") return body;
    if (b.kind === "set" && b.mask === this.alphabet.all) return this.full;
    if (b.kind === "or" && b.items.includes(this.eps))
      return this.star(this.or(b.items.filter((i) => i !== this.eps)));
    return this.intern({ kind: "star", body }, `*${body}`, true);
  }

  /** Union: flattened, ∅ dropped, sets merged, sorted and deduplicated; anything | ~∅ = ~∅. */
  or(items: readonly number[]): number {
    const flat = new Set<number>();
    let mask = 0n;
    for (const id of this.flatten("or", items)) {
      const t = this.term(id);
      if (t.kind === "set") mask |= t.mask;
      else if (id !== this.empty) flat.add(id);
    }
    if (flat.has(this.full)) return this.full;
    if (mask !== 0n) flat.add(this.set(mask));
    return this.nary("or", flat, this.empty);
  }

  /** Intersection: flattened, ~∅ dropped, sets intersected, sorted and deduplicated; ∅ absorbs. */
  and(items: readonly number[]): number {
    const flat = new Set<number>();
    let mask: bigint | undefined;
    for (const id of this.flatten("and", items)) {
      const t = this.term(id);
      if (id === this.empty) return this.empty;
      if (t.kind === "set") mask = mask === undefined ? t.mask : mask & t.mask;
      else if (id !== this.full) flat.add(id);
    }
    if (mask !== undefined) {
      if (mask === 0n) return this.empty;
      flat.add(this.set(mask));
    }
    // ε & r is ε when r accepts the empty string, else ∅.
    if (flat.has(this.eps)) return [...flat].every((i) => this.nullable(i)) ? this.eps : this.empty;
    return this.nary("and", flat, this.full);
  }

  /** The items, with nested terms of the same kind spliced in. */
  private flatten(kind: "or" | "and", items: readonly number[]): number[] {
    return items.flatMap((id) => {
      const t = this.term(id);
      return (t.kind === "or" || t.kind === "and") && t.kind === kind ? t.items : [id];
    });
  }

  private nary(kind: "or" | "and", items: Set<number>, unit: number): number {
    if (items.size === 0) return unit;
    if (items.size === 1) return items.values().next().value!;
    const sorted = [...items].sort((x, y) => x - y);
    const nullable =
      kind === "or" ? sorted.some((i) => this.nullable(i)) : sorted.every((i) => this.nullable(i));
    return this.intern({ kind, items: sorted }, `${kind === "or" ? "|" : "&"}${sorted.join(",")}`, nullable);
  }

  /** Complement with respect to all strings; ~~r = r. */
  not(body: number): number {
    const b = this.term(body);
    if (b.kind === "not") return b.body;
    return this.intern({ kind: "not", body }, `~${body}`, !this.nullable(body));
  }

  /** The derivative of a term by one symbol: the strings w such that symbol·w is in the term's language. */
  derivative(id: number, symbol: number): number {
    const key = id * this.alphabet.size + symbol;
    const memo = this.derivatives.get(key);
    if (memo !== undefined) return memo;
    const result = this.computeDerivative(this.term(id), id, symbol);
    this.derivatives.set(key, result);
    return result;
  }

  private computeDerivative(t: Term, id: number, symbol: number): number {
    switch (t.kind) {
      case "empty":
      case "eps":
        return this.empty;
      case "set":
        return (t.mask >> BigInt(symbol)) & 1n ? this.eps : this.empty;
      case "cat": {
        const first = this.cat(this.derivative(t.head, symbol), t.tail);
        return this.nullable(t.head) ? this.or([first, this.derivative(t.tail, symbol)]) : first;
      }
      case "star":
        return this.cat(this.derivative(t.body, symbol), id);
      case "or":
        return this.or(t.items.map((i) => this.derivative(i, symbol)));
      case "and":
        return this.and(t.items.map((i) => this.derivative(i, symbol)));
      case "not":
        return this.not(this.derivative(t.body, symbol));
    }
  }

  /** The term of a parsed expression; placeholders become their words (see DEEP_REGEX_PLACEHOLDERS). */
  compile(node: RegexNode, placeholders: Readonly<Record<string, string>>): number {
    const sub = (child: RegexNode): number => this.compile(child, placeholders);
    switch (node.kind) {
      case "epsilon":
        return this.eps;
      case "any":
        return this.set(this.alphabet.all);
      case "char":
        return this.set(this.alphabet.charSet(node.char));
      case "placeholder":
        return [...placeholderText(node.name, placeholders)]
          .reverse()
          .reduce((tail, c) => this.cat(this.set(this.alphabet.charSet(c)), tail), this.eps);
      case "class": {
        let mask = 0n;
        for (const name of node.classes) mask |= this.alphabet.classSet(name);
        for (const c of node.chars) mask |= this.alphabet.charSet(c);
        return this.set(node.negated ? this.alphabet.all & ~mask : mask);
      }
      case "concat":
        return node.parts.reduceRight((tail, part) => this.cat(sub(part), tail), this.eps);
      case "union":
        return this.or(node.options.map(sub));
      case "intersection":
        return this.and(node.operands.map(sub));
      case "complement":
        return this.not(sub(node.operand));
      case "repeat":
        return this.repeat(sub(node.operand), node.min, node.max);
    }
  }

  /** r{min,max}: min copies, then r* (max null) or max-min nested optional copies. */
  private repeat(body: number, min: number, max: number | null): number {
    let tail = max === null ? this.star(body) : this.eps;
    if (max !== null) for (let i = min; i < max; i++) tail = this.or([this.eps, this.cat(body, tail)]);
    for (let i = 0; i < min; i++) tail = this.cat(body, tail);
    return tail;
  }
}
