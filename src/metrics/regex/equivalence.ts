// Language equivalence of two NL-RX expressions (the "DFA-equal" test behind semantic accuracy):
// a bisimulation over pairs of Brzozowski derivatives with union-find, bounded by a state budget.
/*
 * Two expressions are equivalent when every pair of derivatives reachable by the same input agrees on
 * accepting the empty string (Hopcroft & Karp 1971, on derivatives instead of DFA states). Pairs are
 * explored breadth-first, so a disagreement comes with a short input that tells the two apart. The
 * exploration is the product automaton built lazily; it stops with "unknown" past `maxStates` pairs.
 */
import { Alphabet, DEEP_REGEX_PLACEHOLDERS } from "./alphabet.ts";
import { checkDeadline, type Deadline, RegexLimitError, TermTable } from "./derivatives.ts";
import { parseRegex, type RegexNode } from "./parse.ts";

/** Budgets that keep one comparison to a few seconds at worst (the data's pairs need under 1000 states). */
const DEFAULT_MAX_STATES = 20_000;
const DEFAULT_MAX_TERMS = 100_000;

export interface EquivalenceOptions {
  /** The word each placeholder stands for. Default DEEP_REGEX_PLACEHOLDERS (the published checker's). */
  placeholders?: Readonly<Record<string, string>>;
  /** Most pairs of derivative states to explore before answering "unknown". Default 20000. */
  maxStates?: number;
  /** Most distinct derivative terms before answering "unknown". Default 100000. */
  maxTerms?: number;
  /**
   * Milliseconds of wall-clock time before answering "unknown" (0 or absent: no time limit). The state and
   * term budgets are deterministic; this one guards a busy machine against a slow pathological pair.
   */
  timeoutMs?: number;
}

export type EquivalenceVerdict = "equivalent" | "different" | "unknown";

export interface EquivalenceResult {
  verdict: EquivalenceVerdict;
  /** For "different": a string that one expression accepts and the other does not. */
  witness?: string;
  /** For "different": which expression accepts the witness. */
  acceptedBy?: "first" | "second";
  /** Pairs of states explored. */
  states: number;
  /** For "unknown": which budget ran out. */
  reason?: string;
}

/** One explored pair and how it was reached (for rebuilding the witness). */
interface PairEntry {
  first: number;
  second: number;
  parent: number;
  symbol: number;
}

function toNode(expression: string | RegexNode): RegexNode {
  return typeof expression === "string" ? parseRegex(expression) : expression;
}

/** The deadline `timeoutMs` from now, or none for 0 / undefined. */
function deadlineOf(timeoutMs: number | undefined): Deadline | undefined {
  return timeoutMs !== undefined && timeoutMs > 0
    ? { at: performance.now() + timeoutMs, ms: timeoutMs }
    : undefined;
}

/** Union-find over term ids, with path compression. */
class UnionFind {
  private readonly parent = new Map<number, number>();

  find(x: number): number {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined; p = this.parent.get(root)) root = p;
    for (let node = x; node !== root; ) {
      const next = this.parent.get(node)!;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }

  union(x: number, y: number): void {
    const [rx, ry] = [this.find(x), this.find(y)];
    if (rx !== ry) this.parent.set(rx, ry);
  }
}

function witnessOf(queue: readonly PairEntry[], at: number, alphabet: Alphabet): string {
  const chars: string[] = [];
  for (let i = at; queue[i]!.parent >= 0; i = queue[i]!.parent)
    chars.push(alphabet.representatives[queue[i]!.symbol]!);
  return chars.reverse().join("");
}

/** The Hopcroft–Karp loop over derivative pairs of two compiled terms. */
function bisimulate(table: TermTable, first: number, second: number, maxStates: number): EquivalenceResult {
  const { deadline } = table;
  const classes = new UnionFind();
  const queue: PairEntry[] = [{ first, second, parent: -1, symbol: -1 }];
  let states = 0;
  for (let head = 0; head < queue.length; head++) {
    const { first: p, second: q } = queue[head]!;
    if (classes.find(p) === classes.find(q)) continue;
    if (table.nullable(p) !== table.nullable(q)) {
      return {
        verdict: "different",
        witness: witnessOf(queue, head, table.alphabet),
        acceptedBy: table.nullable(p) ? "first" : "second",
        states,
      };
    }
    if (++states > maxStates) {
      return { verdict: "unknown", states: states - 1, reason: `more than ${maxStates} state pairs` };
    }
    classes.union(p, q);
    try {
      if ((states & 63) === 0) checkDeadline(deadline);
      for (let symbol = 0; symbol < table.alphabet.size; symbol++) {
        const next = { first: table.derivative(p, symbol), second: table.derivative(q, symbol) };
        queue.push({ ...next, parent: head, symbol });
      }
    } catch (error) {
      if (error instanceof RegexLimitError) return { verdict: "unknown", states, reason: error.message };
      throw error;
    }
  }
  return { verdict: "equivalent", states };
}

/**
 * Decides whether two NL-RX expressions accept the same strings. Strings are parsed with parseRegex
 * (a RegexParseError propagates); a placeholder without a word throws. Never hangs: past the budgets
 * the verdict is "unknown".
 */
export function compareRegex(
  first: string | RegexNode,
  second: string | RegexNode,
  options: EquivalenceOptions = {},
): EquivalenceResult {
  const placeholders = options.placeholders ?? DEEP_REGEX_PLACEHOLDERS;
  const nodes = [toNode(first), toNode(second)];
  const table = new TermTable(
    Alphabet.forExpressions(nodes, placeholders),
    options.maxTerms ?? DEFAULT_MAX_TERMS,
    deadlineOf(options.timeoutMs),
  );
  try {
    const [a, b] = nodes.map((node) => table.compile(node, placeholders)) as [number, number];
    return bisimulate(table, a, b, options.maxStates ?? DEFAULT_MAX_STATES);
  } catch (error) {
    if (error instanceof RegexLimitError) return { verdict: "unknown", states: 0, reason: error.message };
    throw error;
  }
}

/** True when the two expressions accept the same strings ("unknown" counts as false). */
export function regexEquivalent(
  first: string | RegexNode,
  second: string | RegexNode,
  options: EquivalenceOptions = {},
): boolean {
  return compareRegex(first, second, options).verdict === "equivalent";
}

/** Whether the expression accepts the whole of `text` (placeholders read as in compareRegex). */
export function regexMatches(
  expression: string | RegexNode,
  text: string,
  options: Pick<EquivalenceOptions, "placeholders" | "maxTerms"> = {},
): boolean {
  const placeholders = options.placeholders ?? DEEP_REGEX_PLACEHOLDERS;
  const node = toNode(expression);
  const table = new TermTable(
    Alphabet.forExpressions([node], placeholders),
    options.maxTerms ?? DEFAULT_MAX_TERMS,
  );
  let state = table.compile(node, placeholders);
  for (const char of text) {
    if (state === table.empty) return false;
    state = table.derivative(state, table.alphabet.symbolOf(char));
  }
  return table.nullable(state);
}
