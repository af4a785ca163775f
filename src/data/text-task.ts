// Text-to-text tasks (Raffel et al. 2020, T5): a task prefix ("summarize: "), a template that builds the
// source from several TSV fields ("question: {0} context: {1}") and a policy for sources that are too long.

import { existsSync } from "node:fs";
import { DataFileError, readLines } from "./line-reader.ts";
import type { ParallelData, ParallelFilter, ReadStats } from "./parallel.ts";

/** What happens to a source over the token limit: nothing (the model's own limit then drops it), cut, dropped. */
export type TruncatePolicy = "none" | "keepStart" | "keepEnd" | "drop";

export const TRUNCATE_POLICIES: readonly TruncatePolicy[] = ["none", "keepStart", "keepEnd", "drop"];

/** How raw input becomes a model source; stored with a trained model so decoding does the same. */
export interface TextTask {
  /** Put before every source, e.g. "summarize: " (after the template is filled in). */
  prefix: string;
  /**
   * Builds the source from tab-separated fields: `{0}` is the first field, `{1}` the second, ...; "" uses
   * the whole input. E.g. "question: {0} context: {1}".
   */
  template: string;
  /** Longest source in tokens, EOS included; 0 = no limit of its own. */
  maxSourceTokens: number;
  truncate: TruncatePolicy;
}

/** A task of a multi-task model, as `seq2seq translate --task NAME` applies it. */
export interface StoredTask {
  name: string;
  prefix: string;
  /** Template over the input's tab-separated fields in order ("" = the whole input). */
  template: string;
}

/** What a model folder stores (text-task.json): the default text task plus the tasks of a mixture. */
export interface StoredTextTask extends TextTask {
  format: 1;
  tasks: StoredTask[];
  /**
   * true: the model writes its targets right to left (trained with data.reverseTarget); decoding reads its
   * outputs back (src/tokenize/reversed-target.ts). Absent in left-to-right folders.
   */
  reverseTarget?: boolean;
}

/** Whether `task` changes nothing (then a model folder needs no text-task.json). */
export function isPlainTextTask(task: StoredTextTask): boolean {
  return (
    task.prefix === "" &&
    task.template === "" &&
    task.truncate === "none" &&
    task.tasks.length === 0 &&
    task.reverseTarget !== true
  );
}

export const NO_TEXT_TASK: TextTask = { prefix: "", template: "", maxSourceTokens: 0, truncate: "none" };

const PLACEHOLDER = /\{(\d+)\}/g;

/** The field numbers a template uses, in order of first appearance; a stray brace is an error. */
export function templateFields(template: string): number[] {
  const rest = template.replace(PLACEHOLDER, "");
  if (/[{}]/.test(rest))
    throw new Error(`template "${template}": braces must hold a field number, like {0} or {2}`);
  const fields: number[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const n = Number(m[1]);
    if (!fields.includes(n)) fields.push(n);
  }
  if (template !== "" && fields.length === 0)
    throw new Error(`template "${template}" has no field placeholder such as {0}`);
  return fields;
}

/** Fills `{n}` with fields[n]; a missing field is an error naming it. */
export function fillTemplate(template: string, fields: readonly string[]): string {
  return template.replace(PLACEHOLDER, (_, n: string) => {
    const value = fields[Number(n)];
    if (value === undefined)
      throw new Error(`template "${template}" needs field {${n}}, the input has ${fields.length} field(s)`);
    return value.trim();
  });
}

/**
 * The template renumbered so its fields are given in order of appearance: a TSV template over columns
 * 1 and 3 ("question: {1} context: {3}") becomes "question: {0} context: {1}" for decoding.
 */
export function renumberTemplate(template: string): string {
  const order = templateFields(template);
  return template.replace(PLACEHOLDER, (_, n: string) => `{${order.indexOf(Number(n))}}`);
}

/** The source `task` makes of one input: the template over its tab-separated fields, then the prefix. */
export function applyTextTask(input: string, task: Pick<TextTask, "prefix" | "template">): string {
  const body = task.template === "" ? input : fillTemplate(task.template, input.split("\t"));
  return task.prefix + body;
}

/**
 * Applies a truncation policy to a source's tokens (without EOS): at most `budget` are kept. keepStart
 * keeps the first `budget`; keepEnd keeps the first `head` (the task prefix) and the last ones; drop
 * returns null; none returns the tokens as they are. Works on ids and on their surface pieces alike.
 */
export function truncateTokens<T>(
  tokens: readonly T[],
  budget: number,
  policy: TruncatePolicy,
  head = 0,
): T[] | null {
  if (policy === "none" || tokens.length <= budget) return [...tokens];
  if (policy === "drop") return null;
  if (policy === "keepStart") return tokens.slice(0, budget);
  const kept = Math.min(head, budget);
  return [...tokens.slice(0, kept), ...tokens.slice(tokens.length - (budget - kept))];
}

/** Tokens at the start of `ids` that spell the prefix (the common start of encode(prefix) and `ids`). */
export function prefixTokenCount(prefixIds: readonly number[], ids: readonly number[]): number {
  let n = 0;
  while (n < prefixIds.length && n < ids.length && prefixIds[n] === ids[n]) n++;
  return n;
}

/** Counts of what a truncation policy did to a set of sources. */
export interface TruncationCounts {
  truncated: number;
  dropped: number;
}

/** "training data: cut 12 sources to 64 tokens (EOS included), keeping their start (keepStart)", or "". */
export function describeTruncation(what: string, counts: TruncationCounts, task: TextTask): string {
  const max = task.maxSourceTokens;
  if (counts.dropped > 0) return `${what}: dropped ${counts.dropped} pairs with a source over ${max} tokens`;
  if (counts.truncated === 0) return "";
  const kept = task.truncate === "keepStart" ? "keeping their start" : "keeping the prefix and their end";
  return `${what}: cut ${counts.truncated} sources to ${max} tokens (EOS included), ${kept} (${task.truncate})`;
}

export interface TemplatedTsvOptions {
  /** The source template over 0-based columns, e.g. "question: {1} context: {2}". */
  template: string;
  tgtColumn: number;
  header?: boolean;
  filter?: ParallelFilter;
  maxLineLength?: number;
  limit?: number;
}

function tooLong(text: string, max: number | undefined): boolean {
  return max !== undefined && text.length > max && Array.from(text).length > max;
}

/**
 * Pairs from a TSV file whose source is a template over several columns (question + context -> answer).
 * Errors name file and line: too few columns, invalid UTF-8, an empty field (unless filter.dropEmpty), a
 * line over maxLineLength; filter.maxLength drops pairs whose source or target is longer (counted).
 */
export async function readTemplatedTsv(path: string, options: TemplatedTsvOptions): Promise<ParallelData> {
  if (!existsSync(path)) throw new Error(`data file not found: ${path}`);
  const used = [...templateFields(options.template), options.tgtColumn];
  const needed = Math.max(...used) + 1;
  const maxLineLength = options.maxLineLength ?? 100_000;
  const stats: ReadStats = { lines: 0, kept: 0, droppedEmpty: 0, droppedTooLong: 0 };
  const examples: ParallelData["examples"] = [];
  let line = 0;
  for await (const text of readLines(path)) {
    line++;
    if (options.limit !== undefined && stats.kept >= options.limit) break;
    if (line === 1 && options.header) continue;
    stats.lines++;
    if (text.length > maxLineLength)
      throw new DataFileError(
        path,
        line,
        `line of ${text.length} characters, over maxLineLength ${maxLineLength}`,
      );
    const columns = text.split("\t");
    if (columns.length < needed)
      throw new DataFileError(path, line, `${columns.length} tab-separated column(s), need ${needed}`);
    const empty = used.find((c) => columns[c]!.trim() === "");
    if (empty !== undefined) {
      if (options.filter?.dropEmpty) {
        stats.droppedEmpty++;
        continue;
      }
      throw new DataFileError(
        path,
        line,
        `column ${empty} is empty (set filter.dropEmpty to skip such rows)`,
      );
    }
    const src = fillTemplate(options.template, columns);
    const tgt = columns[options.tgtColumn]!.trim();
    if (tooLong(src, options.filter?.maxLength) || tooLong(tgt, options.filter?.maxLength)) {
      stats.droppedTooLong++;
      continue;
    }
    examples.push({ src, tgt });
    stats.kept++;
  }
  return { examples, stats };
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** Checks a parsed text-task.json; errors name `origin` and the field. */
export function parseStoredTextTask(raw: unknown, origin: string): StoredTextTask {
  const fail = (what: string): never => {
    throw new Error(`${origin}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null) fail("expected a JSON object");
  const r = raw as Record<string, unknown>;
  if (r["format"] !== 1) fail(`unsupported format ${JSON.stringify(r["format"])} (this version reads 1)`);
  if (!isString(r["prefix"]) || !isString(r["template"])) fail(`"prefix" and "template" must be strings`);
  const max = r["maxSourceTokens"];
  if (typeof max !== "number" || !Number.isInteger(max) || max < 0)
    fail(`"maxSourceTokens" must be an integer ≥ 0, got ${JSON.stringify(max)}`);
  if (!(TRUNCATE_POLICIES as readonly unknown[]).includes(r["truncate"]))
    fail(`"truncate" must be one of ${TRUNCATE_POLICIES.join(", ")}, got ${JSON.stringify(r["truncate"])}`);
  const tasks = r["tasks"];
  const task = (t: unknown): t is StoredTask =>
    typeof t === "object" &&
    t !== null &&
    ["name", "prefix", "template"].every((k) => isString((t as Record<string, unknown>)[k]));
  if (!Array.isArray(tasks) || !tasks.every(task)) fail(`"tasks" must be a list of {name, prefix, template}`);
  for (const t of [r, ...(tasks as StoredTask[])]) templateFields(t["template"] as string);
  if (r["reverseTarget"] !== undefined && typeof r["reverseTarget"] !== "boolean")
    fail(`"reverseTarget" must be true or false, got ${JSON.stringify(r["reverseTarget"])}`);
  return raw as StoredTextTask;
}
