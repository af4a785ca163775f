// A finite alphabet for deciding NL-RX expressions: the infinite set of characters is cut into the few
// cells that no expression can tell apart, so automata over those cells decide languages over all text.
/*
 * Every character predicate in the dialect is a union of six base cells (lower-case vowels, lower-case
 * consonants, capital vowels, capital consonants, digits, everything else) or a single literal character
 * (from `\ b` or from a placeholder's word). The coarsest partition that respects all of them has one
 * symbol per literal character used and one symbol per base cell minus those characters (when anything
 * is left of it; "everything else" always has something left). Two expressions accept the same strings
 * exactly when they accept the same words over these symbols.
 */
import type { CharClassName, RegexNode } from "./parse.ts";

/**
 * The words that stand for the placeholders, as in deep-regex's regexDFAEquals.py, which replaced
 * `<M0>`..`<M3>` by "dog", "truck", "ring" and "lake" before handing the expression to the automaton
 * library. A placeholder is thus a string of ordinary characters: `( <M0> ) & ( [ <LOW> ] ) { 3 , }`
 * accepts "dog" and `( <M0> ) & ( . )` accepts nothing, exactly as the published checker decided.
 */
export const DEEP_REGEX_PLACEHOLDERS: Readonly<Record<string, string>> = {
  "<M0>": "dog",
  "<M1>": "truck",
  "<M2>": "ring",
  "<M3>": "lake",
};

type Cell = "lowVowel" | "lowConsonant" | "capVowel" | "capConsonant" | "digit" | "other";

const CELLS: readonly Cell[] = ["lowVowel", "lowConsonant", "capVowel", "capConsonant", "digit", "other"];

/** Candidate representatives of each cell, in order of preference (for readable counterexamples). */
const CELL_MEMBERS: Record<Exclude<Cell, "other">, string> = {
  lowVowel: "aeiou",
  lowConsonant: "bcdfghjklmnpqrstvwxyz",
  capVowel: "AEIOU",
  capConsonant: "BCDFGHJKLMNPQRSTVWXYZ",
  digit: "0123456789",
};

const CLASS_CELLS: Record<CharClassName, readonly Cell[]> = {
  LET: ["lowVowel", "lowConsonant", "capVowel", "capConsonant"],
  VOW: ["lowVowel", "capVowel"],
  CAP: ["capVowel", "capConsonant"],
  LOW: ["lowVowel", "lowConsonant"],
  NUM: ["digit"],
};

function cellOf(char: string): Cell {
  for (const [cell, members] of Object.entries(CELL_MEMBERS)) {
    if (members.includes(char)) return cell as Cell;
  }
  return "other";
}

/** Printable ASCII that is in no class: tried in order for the "other" cell's representative. */
const OTHER_CANDIDATES = "_!#$%&'*+,-./:;=?@~^|\"()<>[]{}\\`";

/** The placeholder's word; throws naming the placeholder when there is none. */
export function placeholderText(name: string, placeholders: Readonly<Record<string, string>>): string {
  const text = placeholders[name];
  if (text === undefined) {
    throw new Error(
      `no string for placeholder ${name} (known: ${Object.keys(placeholders).join(", ")}; pass options.placeholders)`,
    );
  }
  if (text.length === 0)
    throw new Error(`placeholder ${name} stands for the empty string, which is not allowed`);
  return text;
}

/** Collects the literal characters of an expression: escaped characters, class items, placeholder words. */
function collectLiterals(
  node: RegexNode,
  placeholders: Readonly<Record<string, string>>,
  into: Set<string>,
): void {
  switch (node.kind) {
    case "char":
      into.add(node.char);
      return;
    case "placeholder":
      for (const c of placeholderText(node.name, placeholders)) into.add(c);
      return;
    case "class":
      for (const c of node.chars) into.add(c);
      return;
    case "concat":
    case "union":
    case "intersection":
      for (const child of node.kind === "concat"
        ? node.parts
        : node.kind === "union"
          ? node.options
          : node.operands) {
        collectLiterals(child, placeholders, into);
      }
      return;
    case "complement":
    case "repeat":
      collectLiterals(node.operand, placeholders, into);
      return;
    default:
      return;
  }
}

/** Symbols are 0..size-1; sets of symbols are bigint bit masks. */
export class Alphabet {
  /** A character standing for each symbol (the literal itself, or an unused member of the cell). */
  readonly representatives: string[] = [];
  private readonly literalSymbol = new Map<string, number>();
  private readonly cellSymbol = new Map<Cell, number>();

  private constructor(literals: Iterable<string>) {
    for (const char of [...literals].sort()) {
      this.literalSymbol.set(char, this.representatives.length);
      this.representatives.push(char);
    }
    for (const cell of CELLS) {
      const pool = cell === "other" ? OTHER_CANDIDATES : CELL_MEMBERS[cell];
      let rep = [...pool].find((c) => !this.literalSymbol.has(c));
      if (rep === undefined && cell !== "other") continue; // every member is a literal: nothing left
      // "Everything else" is infinite, so some character beyond printable ASCII is always free.
      for (let code = 0xa1; rep === undefined; code++) {
        if (!this.literalSymbol.has(String.fromCodePoint(code))) rep = String.fromCodePoint(code);
      }
      this.cellSymbol.set(cell, this.representatives.length);
      this.representatives.push(rep);
    }
  }

  /** The alphabet that can decide every expression given (all of them must use the same placeholders). */
  static forExpressions(
    nodes: readonly RegexNode[],
    placeholders: Readonly<Record<string, string>>,
  ): Alphabet {
    const literals = new Set<string>();
    for (const node of nodes) collectLiterals(node, placeholders, literals);
    return new Alphabet(literals);
  }

  get size(): number {
    return this.representatives.length;
  }

  /** Every symbol. */
  get all(): bigint {
    return (1n << BigInt(this.size)) - 1n;
  }

  /** The symbol of one character of input text. */
  symbolOf(char: string): number {
    return this.literalSymbol.get(char) ?? this.cellSymbol.get(cellOf(char))!;
  }

  /** The set of one literal character. */
  charSet(char: string): bigint {
    return 1n << BigInt(this.symbolOf(char));
  }

  /** The set of a class: its cells' leftover symbols plus the literal characters inside it. */
  classSet(name: CharClassName): bigint {
    const cells = CLASS_CELLS[name];
    let mask = 0n;
    for (const [cell, symbol] of this.cellSymbol) if (cells.includes(cell)) mask |= 1n << BigInt(symbol);
    for (const [char, symbol] of this.literalSymbol)
      if (cells.includes(cellOf(char))) mask |= 1n << BigInt(symbol);
    return mask;
  }
}
