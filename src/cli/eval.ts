// `seq2seq eval`: scores a hypothesis file against one or more reference files (BLEU, chrF, TER, WER, CER,
// PER, exact match, regex semantic accuracy), optionally broken down by source length. Parsing and printing
// only; src/metrics computes.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  BLEU_TOKENIZERS,
  type BleuTokenizerName,
  type EvaluateOptions,
  type EvaluationResult,
  evaluate,
  evaluateByLength,
  type LengthBreakdown,
  type MetricName,
  parseMetricNames,
  SMOOTH_METHODS,
  type SmoothMethod,
} from "../metrics/index.ts";

interface EvalFlags {
  hyp: string;
  ref: string[];
  metrics: string;
  src?: string;
  byLength?: boolean;
  bucketWidth: string;
  lowercase?: boolean;
  tokenize: string;
  smoothMethod: string;
  smoothValue?: string;
  chrfWordOrder: string;
  chrfCharOrder: string;
  chrfBeta: string;
  chrfWhitespace?: boolean;
  terCaseSensitive?: boolean;
  terNormalized?: boolean;
  terNoPunct?: boolean;
  terAsianSupport?: boolean;
  json?: boolean;
}

/** Reads a text file as lines (a final newline does not add an empty line; CRLF is accepted). */
function readLines(path: string, role: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new Error(`cannot read ${role} file "${path}": ${reason}`);
  }
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function parseInteger(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new Error(`${flag} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function toOptions(flags: EvalFlags): EvaluateOptions {
  const smoothValue = flags.smoothValue === undefined ? undefined : Number(flags.smoothValue);
  if (smoothValue !== undefined && !Number.isFinite(smoothValue)) {
    throw new Error(`--smooth-value must be a number, got "${flags.smoothValue}"`);
  }
  return {
    lowercase: flags.lowercase ?? false,
    tokenize: parseChoice<BleuTokenizerName>(flags.tokenize, "--tokenize", BLEU_TOKENIZERS),
    smoothMethod: parseChoice<SmoothMethod>(flags.smoothMethod, "--smooth-method", SMOOTH_METHODS),
    smoothValue,
    chrf: {
      wordOrder: parseInteger(flags.chrfWordOrder, "--chrf-word-order", 0),
      charOrder: parseInteger(flags.chrfCharOrder, "--chrf-char-order", 1),
      beta: parseInteger(flags.chrfBeta, "--chrf-beta", 0),
      whitespace: flags.chrfWhitespace ?? false,
    },
    ter: {
      caseSensitive: flags.terCaseSensitive ?? false,
      normalized: flags.terNormalized ?? false,
      noPunct: flags.terNoPunct ?? false,
      asianSupport: flags.terAsianSupport ?? false,
    },
  };
}

/** Loads hypotheses, reference streams and (optionally) sources, checking that line counts agree. */
function loadCorpus(flags: EvalFlags): { hyps: string[]; refs: string[][]; sources?: string[] } {
  const hyps = readLines(flags.hyp, "hypothesis");
  const refs = flags.ref.map((path) => {
    const lines = readLines(path, "reference");
    if (lines.length !== hyps.length) {
      throw new Error(
        `line count mismatch: hypothesis file "${flags.hyp}" has ${hyps.length} lines but reference file "${path}" has ${lines.length}`,
      );
    }
    return lines;
  });
  const emptyLine = hyps.findIndex((_, i) => refs.every((lines) => lines[i] === ""));
  if (emptyLine >= 0) {
    const files = flags.ref.map((path) => `"${path}"`).join(", ");
    throw new Error(
      `line ${emptyLine + 1} is empty in every reference file (${files}); each line needs a reference`,
    );
  }
  if (!flags.byLength) return { hyps, refs };
  if (!flags.src) throw new Error("--by-length needs --src <file> (the source sentences)");
  const sources = readLines(flags.src, "source");
  if (sources.length !== hyps.length) {
    throw new Error(
      `line count mismatch: hypothesis file "${flags.hyp}" has ${hyps.length} lines but source file "${flags.src}" has ${sources.length}`,
    );
  }
  return { hyps, refs, sources };
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function scoresTable(result: EvaluationResult): string {
  const rows = [["metric", "score", "signature"]];
  for (const score of Object.values(result)) rows.push([score.name, score.score.toFixed(2), score.signature]);
  const table = formatTable(rows);
  const regex = result.regex;
  if (regex === undefined || !("verdicts" in regex)) return table;
  const detail =
    `SemAcc: ${regex.correct}/${regex.total} equivalent to a reference, ${regex.exactCorrect} exact ` +
    `(${(100 * regex.exactMatch).toFixed(2)}%), ${regex.unparsable} unparsable, ${regex.unknown} undecided (counted wrong)`;
  return `${table}\n${detail}`;
}

function byLengthTable(metrics: MetricName[], breakdown: LengthBreakdown<EvaluationResult>[]): string {
  const header = ["source length", "count", ...metrics.map((m) => breakdown[0]?.result[m]?.name ?? m)];
  const rows = breakdown.map((b) => [
    b.label,
    String(b.count),
    ...metrics.map((m) => b.result[m]!.score.toFixed(2)),
  ]);
  return formatTable([header, ...rows]);
}

/** JSON output: one object keyed by metric name; with --by-length each metric also gets `byLength`. */
function toJson(
  metrics: MetricName[],
  overall: EvaluationResult,
  breakdown?: LengthBreakdown<EvaluationResult>[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const metric of metrics) {
    const byLength = breakdown?.map((b) => ({
      bucket: b.label,
      count: b.count,
      score: b.result[metric]!.score,
    }));
    out[metric] = byLength ? { ...overall[metric], byLength } : overall[metric];
  }
  return out;
}

function runEval(flags: EvalFlags): void {
  const metrics = parseMetricNames(flags.metrics);
  const options = toOptions(flags);
  const bucketWidth = parseInteger(flags.bucketWidth, "--bucket-width", 1);
  const { hyps, refs, sources } = loadCorpus(flags);
  const overall = evaluate(hyps, refs, metrics, options);
  const breakdown = sources
    ? evaluateByLength(sources, hyps, refs, metrics, options, { width: bucketWidth })
    : undefined;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(toJson(metrics, overall, breakdown), null, 2)}\n`);
    return;
  }
  process.stdout.write(`${scoresTable(overall)}\n`);
  if (breakdown) process.stdout.write(`\n${byLengthTable(metrics, breakdown)}\n`);
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Registers `seq2seq eval` on the program. */
export function register(program: Command): void {
  program
    .command("eval")
    .description(
      "score hypotheses against references (sacreBLEU-compatible BLEU, chrF, TER; WER, CER, PER, exact match; " +
        "regex: semantic accuracy of NL-RX regular expressions)",
    )
    .requiredOption("--hyp <file>", "hypotheses, one per line")
    .requiredOption("--ref <file>", "references, one per line (repeat for several references)", collect)
    .option("--metrics <list>", "comma-separated: bleu,chrf,ter,wer,cer,per,exact,regex", "bleu,chrf,ter")
    .option("--src <file>", "source sentences (for --by-length)")
    .option("--by-length", "also score buckets of source length in words")
    .option("--bucket-width <n>", "source-length bucket width in words", "10")
    .option("--lowercase", "case-insensitive BLEU, chrF, WER, CER, PER and exact match")
    .option("--tokenize <name>", `BLEU tokenizer: ${BLEU_TOKENIZERS.join("|")}`, "13a")
    .option("--smooth-method <name>", `BLEU smoothing: ${SMOOTH_METHODS.join("|")}`, "exp")
    .option("--smooth-value <x>", "BLEU smoothing value (floor: 0.1, add-k: 1)")
    .option("--chrf-word-order <n>", "chrF word n-gram order (2 = chrF++)", "0")
    .option("--chrf-char-order <n>", "chrF character n-gram order", "6")
    .option("--chrf-beta <n>", "chrF recall weight", "2")
    .option("--chrf-whitespace", "keep whitespace in chrF character n-grams")
    .option("--ter-case-sensitive", "TER keeps case (default: lowercases)")
    .option("--ter-normalized", "TER applies Tercom's punctuation normalisation")
    .option("--ter-no-punct", "TER removes punctuation")
    .option("--ter-asian-support", "TER splits CJK characters / removes CJK punctuation")
    .option("--json", "print one JSON object keyed by metric name")
    .action((flags: EvalFlags) => runEval(flags));
}
