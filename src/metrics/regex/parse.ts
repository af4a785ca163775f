// Parser and printer for the NL-RX regular-expression dialect (Locascio et al. 2016), the targets of
// English -> regex code generation: space-separated tokens read with dk.brics.automaton's grammar.
/*
 * Grammar (the one dk.brics.automaton's RegExp uses, which the NL-RX checker ran), loosest first:
 *
 *   union        := inter ( "|" inter )*
 *   inter        := concat ( "&" concat )*
 *   concat       := repeat+
 *   repeat       := complement ( "*" | "+" | "?" | "{" n "}" | "{" n "," "}" | "{" n "," m "}" )*
 *   complement   := "~" complement | atom          (so "~ a *" is "( ~ a ) *", as in brics)
 *   atom         := "(" union ")" | "(" ")" | "." | "[" "^"? item+ "]" | <Mk> | "\" char | char
 *   item         := <LET> | <VOW> | <CAP> | <LOW> | <NUM> | "\"? char
 *
 * Tokens are separated by spaces; a chunk without spaces is read character by character except for
 * `<...>` names, so "( [ <VOW> ] ) { 3 , }" and "([<VOW>]){3,}" parse alike. `\ b` is the literal
 * character "b": the dataset's generator meant a word boundary, but the published checker removed the
 * spaces and handed "\b" to brics, which reads a backslash as "the next character, literally".
 * Unlike brics, an operator where an operand belongs ("* a", "a | | b") is an error, not a literal.
 */

/** The dialect's character classes: letters, vowels (both cases), capitals, lower case, digits. */
export type CharClassName = "LET" | "VOW" | "CAP" | "LOW" | "NUM";

export const CHAR_CLASS_NAMES: readonly CharClassName[] = ["LET", "VOW", "CAP", "LOW", "NUM"];

/** A parsed expression. Unions, intersections and concatenations are flattened (n-ary). */
export type RegexNode =
  | { kind: "epsilon" }
  | { kind: "any" }
  | { kind: "char"; char: string }
  | { kind: "placeholder"; name: string }
  | { kind: "class"; negated: boolean; classes: CharClassName[]; chars: string[] }
  | { kind: "concat"; parts: RegexNode[] }
  | { kind: "union"; options: RegexNode[] }
  | { kind: "intersection"; operands: RegexNode[] }
  | { kind: "complement"; operand: RegexNode }
  | { kind: "repeat"; operand: RegexNode; min: number; max: number | null };

/** A malformed expression; `position` is the 0-based index of the offending token. */
export class RegexParseError extends Error {
  constructor(
    readonly input: string,
    readonly position: number,
    problem: string,
  ) {
    super(`cannot parse regex "${input}": ${problem} (token ${position + 1})`);
    this.name = "RegexParseError";
  }
}

/** Characters with a meaning of their own; as literals they must be written `\ x`. */
const RESERVED = new Set([...'()[]{}|&~*+?.\\"#@<>^']);
const NAME_TOKEN = /^<([A-Za-z]+[0-9]*)>/;
const PLACEHOLDER = /^M[0-9]+$/;
/** Repetition counts above this are refused (they would only blow up the automaton). */
const MAX_REPEAT_COUNT = 1000;

/** Splits an expression into tokens: `<NAME>` tokens whole, everything else one character each. */
export function tokenizeRegex(text: string): string[] {
  const tokens: string[] = [];
  for (const chunk of text.split(/\s+/)) {
    let rest = chunk;
    while (rest.length > 0) {
      const name = NAME_TOKEN.exec(rest);
      const token = name ? name[0] : String.fromCodePoint(rest.codePointAt(0)!);
      tokens.push(token);
      rest = rest.slice(token.length);
    }
  }
  return tokens;
}

/** Recursive-descent parser over the token list, one method per grammar rule. */
class Parser {
  private pos = 0;

  constructor(
    private readonly input: string,
    private readonly tokens: readonly string[],
  ) {}

  parse(): RegexNode {
    if (this.tokens.length === 0) throw this.error("empty expression");
    const node = this.union();
    if (this.pos < this.tokens.length) throw this.error(`unexpected "${this.peek()}"`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private take(token: string): boolean {
    if (this.tokens[this.pos] !== token) return false;
    this.pos++;
    return true;
  }

  private expect(token: string, context: string): void {
    if (this.take(token)) return;
    const found = this.peek();
    throw this.error(
      `expected "${token}" ${context}, found ${found === undefined ? "the end" : `"${found}"`}`,
    );
  }

  private error(problem: string): RegexParseError {
    return new RegexParseError(this.input, Math.min(this.pos, this.tokens.length), problem);
  }

  private union(): RegexNode {
    const options = [this.intersection()];
    while (this.take("|")) options.push(this.intersection());
    return flatten("union", options);
  }

  private intersection(): RegexNode {
    const operands = [this.concat()];
    while (this.take("&")) operands.push(this.concat());
    return flatten("intersection", operands);
  }

  private concat(): RegexNode {
    const parts = [this.repeat()];
    for (let t = this.peek(); t !== undefined && t !== ")" && t !== "|" && t !== "&"; t = this.peek()) {
      parts.push(this.repeat());
    }
    return flatten("concat", parts);
  }

  private repeat(): RegexNode {
    let node = this.complement();
    for (;;) {
      if (this.take("*")) node = { kind: "repeat", operand: node, min: 0, max: null };
      else if (this.take("+")) node = { kind: "repeat", operand: node, min: 1, max: null };
      else if (this.take("?")) node = { kind: "repeat", operand: node, min: 0, max: 1 };
      else if (this.take("{")) node = this.bounds(node);
      else return node;
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` after the "{" has been taken. */
  private bounds(operand: RegexNode): RegexNode {
    const min = this.integer();
    let max: number | null = min;
    if (this.take(",")) max = /^[0-9]$/.test(this.peek() ?? "") ? this.integer() : null;
    this.expect("}", "to close a repetition count");
    if (max !== null && max < min) throw this.error(`repetition {${min},${max}} has max < min`);
    return { kind: "repeat", operand, min, max };
  }

  private integer(): number {
    let digits = "";
    while (/^[0-9]$/.test(this.peek() ?? "")) digits += this.tokens[this.pos++];
    if (digits === "") throw this.error("expected a repetition count");
    const value = Number(digits);
    if (value > MAX_REPEAT_COUNT) throw this.error(`repetition count ${value} over ${MAX_REPEAT_COUNT}`);
    return value;
  }

  private complement(): RegexNode {
    if (this.take("~")) return { kind: "complement", operand: this.complement() };
    return this.atom();
  }

  private atom(): RegexNode {
    const token = this.peek();
    if (token === undefined) throw this.error("expression ends where an operand was expected");
    this.pos++;
    if (token === "(") {
      if (this.take(")")) return { kind: "epsilon" };
      const inner = this.union();
      this.expect(")", "to close a group");
      return inner;
    }
    if (token === ".") return { kind: "any" };
    if (token === "[") return this.charClass();
    if (token === "\\") return { kind: "char", char: this.escaped() };
    const name = NAME_TOKEN.exec(token);
    if (name) {
      if (PLACEHOLDER.test(name[1]!)) return { kind: "placeholder", name: token };
      this.pos--;
      throw this.error(`${token} is only valid inside brackets, as "[ ${token} ]"`);
    }
    if (RESERVED.has(token)) {
      this.pos--;
      throw this.error(`operator "${token}" where an operand was expected`);
    }
    return { kind: "char", char: token };
  }

  /** The character after a backslash. */
  private escaped(): string {
    const token = this.peek();
    if (token === undefined || NAME_TOKEN.test(token))
      throw this.error('"\\" must be followed by one character');
    this.pos++;
    return token;
  }

  /** `[ ^? item+ ]` after the "[" has been taken. */
  private charClass(): RegexNode {
    const negated = this.take("^");
    const classes: CharClassName[] = [];
    const chars: string[] = [];
    for (let t = this.peek(); t !== "]"; t = this.peek()) {
      if (t === undefined) throw this.error('unclosed "["');
      const name = NAME_TOKEN.exec(t)?.[1];
      if (name !== undefined) {
        if (!(CHAR_CLASS_NAMES as readonly string[]).includes(name)) {
          throw this.error(`unknown class ${t} (known: ${CHAR_CLASS_NAMES.map((c) => `<${c}>`).join(", ")})`);
        }
        classes.push(name as CharClassName);
        this.pos++;
      } else if (t === "\\") {
        this.pos++;
        chars.push(this.escaped());
      } else if (RESERVED.has(t) || t === "-") {
        throw this.error(
          `"${t}" inside brackets (ranges are not part of the dialect; escape it as "\\ ${t}")`,
        );
      } else {
        chars.push(t);
        this.pos++;
      }
    }
    this.pos++;
    if (classes.length === 0 && chars.length === 0) throw this.error("empty brackets");
    return { kind: "class", negated, classes, chars };
  }
}

/** Builds an n-ary node, merging children of the same kind; a single child is returned as is. */
function flatten(kind: "union" | "intersection" | "concat", children: RegexNode[]): RegexNode {
  if (children.length === 1) return children[0]!;
  const merged = children.flatMap((child) => (child.kind === kind ? childrenOf(child) : [child]));
  if (kind === "union") return { kind, options: merged };
  if (kind === "intersection") return { kind, operands: merged };
  return { kind, parts: merged };
}

function childrenOf(node: RegexNode): RegexNode[] {
  if (node.kind === "union") return node.options;
  if (node.kind === "intersection") return node.operands;
  if (node.kind === "concat") return node.parts;
  return [node];
}

/**
 * Parses one NL-RX expression, e.g. `( [ <VOW> ] ) { 3 , } . * <M0>`.
 * Throws a RegexParseError naming the expression and the offending token when it is malformed.
 */
export function parseRegex(text: string): RegexNode {
  return new Parser(text.trim(), tokenizeRegex(text.trim())).parse();
}

/** Binding strength of each node when printed: a child weaker than its context gets parentheses. */
function strength(node: RegexNode): number {
  switch (node.kind) {
    case "union":
      return 0;
    case "intersection":
      return 1;
    case "concat":
      return 2;
    case "repeat":
      return 3;
    default:
      return 4;
  }
}

function printAt(node: RegexNode, minStrength: number): string {
  const text = printNode(node);
  return strength(node) < minStrength ? `( ${text} )` : text;
}

/** Literal characters are always printed escaped, as the dataset writes `\ b`. */
function printChar(char: string): string {
  return `\\ ${char}`;
}

function printNode(node: RegexNode): string {
  switch (node.kind) {
    case "epsilon":
      return "( )";
    case "any":
      return ".";
    case "char":
      return printChar(node.char);
    case "placeholder":
      return node.name;
    case "class": {
      const items = [...node.classes.map((c) => `<${c}>`), ...node.chars.map(printChar)];
      return `[ ${node.negated ? "^ " : ""}${items.join(" ")} ]`;
    }
    case "concat":
      return node.parts.map((p) => printAt(p, 3)).join(" ");
    case "union":
      return node.options.map((o) => printAt(o, 1)).join(" | ");
    case "intersection":
      return node.operands.map((o) => printAt(o, 2)).join(" & ");
    case "complement":
      // "~" binds tighter than the postfix operators, so its operand must be an atom or a complement.
      return `~ ${printAt(node.operand, 4)}`;
    case "repeat":
      // Parenthesise a complement under a repeat even though brics would not need it: "( ~ a ) *" reads better.
      return `${node.operand.kind === "complement" ? `( ${printNode(node.operand)} )` : printAt(node.operand, 4)} ${printSuffix(node.min, node.max)}`;
  }
}

function printSuffix(min: number, max: number | null): string {
  if (max === null) return min === 0 ? "*" : min === 1 ? "+" : `{ ${[...String(min)].join(" ")} , }`;
  if (min === 0 && max === 1) return "?";
  const digits = (n: number): string => [...String(n)].join(" ");
  return min === max ? `{ ${digits(min)} }` : `{ ${digits(min)} , ${digits(max)} }`;
}

/** Prints an expression in the dataset's space-separated form; `parseRegex(printRegex(x))` equals x. */
export function printRegex(node: RegexNode): string {
  return printNode(node);
}
