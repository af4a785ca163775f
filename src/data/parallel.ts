// Parallel text (source/target pairs) from two line-aligned files or one TSV file, checked line by line:
// misalignment, invalid UTF-8, empty and over-long lines are errors naming file and line, or counted filters.

import { existsSync } from "node:fs";
import { DataFileError, readLines } from "./line-reader.ts";

/** One source/target pair of strings. */
export interface ParallelExample {
  src: string;
  tgt: string;
}

export interface ParallelFilter {
  /** Drop pairs where either side is empty (after trimming) instead of failing. Default false. */
  dropEmpty?: boolean;
  /** Drop pairs where either side has more than this many characters (code points). Default: keep all. */
  maxLength?: number;
}

export interface ReadOptions {
  filter?: ParallelFilter;
  /** A line with more characters than this is an error (wrong file?). Default 100000. */
  maxLineLength?: number;
  /** Stop after this many kept pairs (the rest of the files is not read or checked). */
  limit?: number;
}

export interface TsvOptions extends ReadOptions {
  /** 0-based column of the source text. Default 0. */
  srcColumn?: number;
  /** 0-based column of the target text. Default 1. */
  tgtColumn?: number;
  /** Skip the first line. Default false. */
  header?: boolean;
}

/** What reading did: lines read, pairs kept, pairs dropped by each filter. */
export interface ReadStats {
  lines: number;
  kept: number;
  droppedEmpty: number;
  droppedTooLong: number;
}

export interface ParallelData {
  examples: ParallelExample[];
  stats: ReadStats;
}

/** Applies the filters and limits to pairs one at a time, collecting examples and stats. */
class PairCollector {
  readonly examples: ParallelExample[] = [];
  readonly stats: ReadStats = { lines: 0, kept: 0, droppedEmpty: 0, droppedTooLong: 0 };
  private readonly maxLineLength: number;

  constructor(private readonly options: ReadOptions) {
    this.maxLineLength = options.maxLineLength ?? 100_000;
  }

  get full(): boolean {
    return this.options.limit !== undefined && this.stats.kept >= this.options.limit;
  }

  /** `where` gives the file of each side, for errors; `line` is 1-based. */
  add(src: string, tgt: string, line: number, where: [string, string]): void {
    this.stats.lines++;
    const sides = [src.trim(), tgt.trim()];
    sides.forEach((text, i) => {
      if (text.length > this.maxLineLength) {
        throw new DataFileError(
          where[i]!,
          line,
          `line of ${text.length} characters, over maxLineLength ${this.maxLineLength}`,
        );
      }
    });
    const emptySide = sides.indexOf("");
    if (emptySide !== -1) {
      if (this.options.filter?.dropEmpty) {
        this.stats.droppedEmpty++;
        return;
      }
      throw new DataFileError(
        where[emptySide]!,
        line,
        "empty line (set filter.dropEmpty to skip empty pairs)",
      );
    }
    const maxLength = this.options.filter?.maxLength;
    if (
      maxLength !== undefined &&
      sides.some((s) => s.length > maxLength && Array.from(s).length > maxLength)
    ) {
      this.stats.droppedTooLong++;
      return;
    }
    this.examples.push({ src: sides[0]!, tgt: sides[1]! });
    this.stats.kept++;
  }
}

function requireFile(path: string): void {
  if (!existsSync(path)) throw new Error(`data file not found: ${path}`);
}

async function countRest(lines: AsyncGenerator<string>): Promise<number> {
  let n = 0;
  for await (const _ of lines) n++;
  return n;
}

/**
 * Pairs from two line-aligned files (line i of `srcPath` translates line i of `tgtPath`).
 * Text is trimmed. Throws a DataFileError naming file and line for invalid UTF-8, an empty line (unless
 * filter.dropEmpty) or a line over maxLineLength; an Error naming both files and their line counts when
 * one file has more lines than the other.
 */
export async function readParallelFiles(
  srcPath: string,
  tgtPath: string,
  options: ReadOptions = {},
): Promise<ParallelData> {
  requireFile(srcPath);
  requireFile(tgtPath);
  const collector = new PairCollector(options);
  const src = readLines(srcPath);
  const tgt = readLines(tgtPath);
  try {
    for (let line = 1; !collector.full; line++) {
      const [a, b] = await Promise.all([src.next(), tgt.next()]);
      if (a.done && b.done) break;
      if (a.done || b.done) {
        const [longer, rest] = a.done ? [tgtPath, tgt] : [srcPath, src];
        const total = line + (await countRest(rest));
        const shorter = a.done ? srcPath : tgtPath;
        throw new Error(
          `misaligned parallel files: ${shorter} has ${line - 1} lines but ${longer} has ${total}; ` +
            `${shorter} ends after line ${line - 1}`,
        );
      }
      collector.add(a.value, b.value, line, [srcPath, tgtPath]);
    }
  } finally {
    await Promise.all([src.return(undefined), tgt.return(undefined)]);
  }
  return { examples: collector.examples, stats: collector.stats };
}

/**
 * Pairs from the columns of a tab-separated file; a CMUdict-style `WORD<TAB>PHONEMES` file works with
 * the defaults. Same checks as readParallelFiles, plus a clear error for a row with too few columns.
 */
export async function readTsv(path: string, options: TsvOptions = {}): Promise<ParallelData> {
  requireFile(path);
  const srcColumn = options.srcColumn ?? 0;
  const tgtColumn = options.tgtColumn ?? 1;
  const needed = Math.max(srcColumn, tgtColumn) + 1;
  const collector = new PairCollector(options);
  let line = 0;
  for await (const text of readLines(path)) {
    line++;
    if (collector.full) break;
    if (line === 1 && options.header) continue;
    const columns = text.split("\t");
    if (columns.length < needed && text.trim() !== "") {
      throw new DataFileError(
        path,
        line,
        `${columns.length} tab-separated column(s), need ${needed} (srcColumn ${srcColumn}, tgtColumn ${tgtColumn})`,
      );
    }
    collector.add(columns[srcColumn] ?? "", columns[tgtColumn] ?? "", line, [path, path]);
  }
  return { examples: collector.examples, stats: collector.stats };
}

/** All targets of each distinct source, in order (e.g. the pronunciations of a word, for multi-reference scoring). */
export function referencesBySource(examples: readonly ParallelExample[]): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const { src, tgt } of examples) {
    const list = refs.get(src);
    if (list) list.push(tgt);
    else refs.set(src, [tgt]);
  }
  return refs;
}
