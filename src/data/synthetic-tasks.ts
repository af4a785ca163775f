// Generated toy tasks for quick starts and tests: copy, reverse and sort symbol sequences,
// addition written as text, and date-format normalisation. All seeded, with disjoint train/valid/test.

import type { ParallelExample } from "./parallel.ts";
import { Rng } from "./rng.ts";

/** Options shared by the built-in tasks; each task reads the task-specific ones it documents. */
export interface TaskOptions {
  /** Training examples (for "g2p": training words). Default 1000 (g2p: all). */
  count?: number;
  /** Validation examples. Default count / 10, at least 1 (g2p: all). */
  validCount?: number;
  /** Test examples. Default count / 10, at least 1 (g2p: all). */
  testCount?: number;
  /** Seed of the generator. Default 1. */
  seed?: number;
  /** copy/reverse/sort: the symbols, one character each. Default "abcdefghij". */
  symbols?: string;
  /** copy/reverse/sort: shortest and longest sequence. Defaults 3 and 10. */
  minLength?: number;
  maxLength?: number;
  /** copy/reverse/sort: text between symbols. Default "" ("abc"); " " gives "a b c". */
  separator?: string;
  /** addition: most digits per operand (1-15). Default 3. */
  maxDigits?: number;
  /** dates: range of years. Defaults 1900 and 2099. */
  minYear?: number;
  maxYear?: number;
  /** g2p: percent of words in the validation and in the test split (chosen by a hash of the word). Default 5 each. */
  validPercent?: number;
  testPercent?: number;
}

/** The splits of a task. */
export interface TaskSplits {
  train: ParallelExample[];
  valid: ParallelExample[];
  test: ParallelExample[];
}

export type ExampleSampler = (rng: Rng) => ParallelExample;

function splitSizes(options: TaskOptions): [number, number, number] {
  const count = options.count ?? 1000;
  const small = Math.max(1, Math.round(count / 10));
  const sizes: [number, number, number] = [count, options.validCount ?? small, options.testCount ?? small];
  for (const [i, key] of ["count", "validCount", "testCount"].entries()) {
    if (!Number.isInteger(sizes[i]) || sizes[i]! < 0)
      throw new Error(`task option ${key} must be a non-negative integer`);
  }
  return sizes;
}

/**
 * Draws distinct examples (by source) with a seeded Rng: test first, then valid, then train, so the
 * test set does not change when only `count` does. Throws when the task has too few distinct examples.
 */
export function generateSplits(name: string, sample: ExampleSampler, options: TaskOptions): TaskSplits {
  const [trainCount, validCount, testCount] = splitSizes(options);
  const rng = new Rng(options.seed ?? 1);
  const seen = new Set<string>();
  const draw = (n: number): ParallelExample[] => {
    const out: ParallelExample[] = [];
    let attempts = 0;
    while (out.length < n) {
      if (++attempts > 50 * n + 1000) {
        throw new Error(
          `task "${name}" ran out of distinct examples after ${seen.size}; ` +
            `ask for fewer or widen the task (e.g. maxLength, maxDigits)`,
        );
      }
      const example = sample(rng);
      if (seen.has(example.src)) continue;
      seen.add(example.src);
      out.push(example);
    }
    return out;
  };
  const test = draw(testCount);
  const valid = draw(validCount);
  return { train: draw(trainCount), valid, test };
}

function symbolSequence(options: TaskOptions): (rng: Rng) => string[] {
  const symbols = Array.from(options.symbols ?? "abcdefghij");
  const min = options.minLength ?? 3;
  const max = options.maxLength ?? 10;
  if (symbols.length === 0) throw new Error("task option symbols must not be empty");
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new Error(`task options need 1 <= minLength <= maxLength, got ${min} and ${max}`);
  }
  return (rng) => Array.from({ length: rng.range(min, max) }, () => rng.pick(symbols));
}

/** Copy, reverse or sort (in the order of `symbols`) a random symbol sequence. */
export function symbolTask(op: "copy" | "reverse" | "sort", options: TaskOptions): ExampleSampler {
  const draw = symbolSequence(options);
  const order = new Map(Array.from(options.symbols ?? "abcdefghij").map((s, i) => [s, i]));
  const sep = options.separator ?? "";
  return (rng) => {
    const seq = draw(rng);
    const out =
      op === "copy"
        ? seq
        : op === "reverse"
          ? [...seq].reverse()
          : [...seq].sort((a, b) => order.get(a)! - order.get(b)!);
    return { src: seq.join(sep), tgt: out.join(sep) };
  };
}

/** "12+345" -> "357", operands of 1 to maxDigits digits. */
export function additionTask(options: TaskOptions): ExampleSampler {
  const maxDigits = options.maxDigits ?? 3;
  if (!Number.isInteger(maxDigits) || maxDigits < 1 || maxDigits > 15) {
    throw new Error(`task option maxDigits must be an integer from 1 to 15, got ${maxDigits}`);
  }
  const operand = (rng: Rng): number => {
    const digits = rng.range(1, maxDigits);
    return digits === 1 ? rng.int(10) : rng.range(10 ** (digits - 1), 10 ** digits - 1);
  };
  return (rng) => {
    const a = operand(rng);
    const b = operand(rng);
    return { src: `${a}+${b}`, tgt: String(a + b) };
  };
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n !== 11
      ? "st"
      : n % 10 === 2 && n !== 12
        ? "nd"
        : n % 10 === 3 && n !== 13
          ? "rd"
          : "th";
  return `${n}${suffix}`;
}

/** Ways to write year y, month m (1-12), day d; each takes the weekday name too. */
const DATE_FORMATS: ((y: number, m: number, d: number, weekday: string) => string)[] = [
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${MONTHS[m - 1]!.slice(0, 3)} ${d}, ${y}`,
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${d} ${MONTHS[m - 1]!.slice(0, 3)} ${y}`,
  (y, m, d) => `${String(m).padStart(2, "0")}/${String(d).padStart(2, "0")}/${y}`,
  (y, m, d) => `${String(d).padStart(2, "0")}.${String(m).padStart(2, "0")}.${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${ordinal(d)}, ${y}`,
  (y, m, d, weekday) => `${weekday}, ${MONTHS[m - 1]} ${d}, ${y}`,
];

/** "March 5, 1999" / "5 Mar 1999" / "03/05/1999" (US order) / "05.03.1999" / ... -> "1999-03-05". */
export function datesTask(options: TaskOptions): ExampleSampler {
  const minYear = options.minYear ?? 1900;
  const maxYear = options.maxYear ?? 2099;
  if (
    !Number.isInteger(minYear) ||
    !Number.isInteger(maxYear) ||
    minYear < 1000 ||
    maxYear > 9999 ||
    maxYear < minYear
  ) {
    throw new Error(`task options need 1000 <= minYear <= maxYear <= 9999, got ${minYear} and ${maxYear}`);
  }
  const first = Date.UTC(minYear, 0, 1);
  const days = Math.round((Date.UTC(maxYear + 1, 0, 1) - first) / 86_400_000);
  return (rng) => {
    const date = new Date(first + rng.int(days) * 86_400_000);
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const format = rng.pick(DATE_FORMATS);
    const iso = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    return { src: format(y, m, d, WEEKDAYS[date.getUTCDay()]!), tgt: iso };
  };
}
