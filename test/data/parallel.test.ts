// Reading parallel text: line endings, BOM, TSV columns, and every error path (misaligned files,
// invalid UTF-8, empty and over-long lines, missing columns) naming the file and line; filters counted.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readLines } from "../../src/data/line-reader.ts";
import { readParallelFiles, readTsv, referencesBySource } from "../../src/data/parallel.ts";

const dir = mkdtempSync(join(tmpdir(), "seq2seq-data-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("readLines", () => {
  test("handles \\n, \\r\\n, a BOM and a missing final newline", async () => {
    const path = file(
      "mixed.txt",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("eins\r\nzwei\nd\u00e4rei")]),
    );
    const lines: string[] = [];
    for await (const line of readLines(path)) lines.push(line);
    assert.deepEqual(lines, ["eins", "zwei", "d\u00e4rei"]);
  });

  test("a line over maxLineBytes is an error naming file and line", async () => {
    const path = file("long.txt", "ok\n" + "x".repeat(100) + "\n");
    await assert.rejects(async () => {
      for await (const _ of readLines(path, { maxLineBytes: 50 }));
    }, /long\.txt:2: line longer than 50 bytes/);
  });
});

describe("readParallelFiles", () => {
  test("pairs line i with line i, trimmed", async () => {
    const src = file("a.de", "Ein Hund.\r\nZwei Katzen. \n");
    const tgt = file("a.en", "A dog.\nTwo cats.");
    const data = await readParallelFiles(src, tgt);
    assert.deepEqual(data.examples, [
      { src: "Ein Hund.", tgt: "A dog." },
      { src: "Zwei Katzen.", tgt: "Two cats." },
    ]);
    assert.deepEqual(data.stats, { lines: 2, kept: 2, droppedEmpty: 0, droppedTooLong: 0 });
  });

  test("misaligned files: both names, both counts, where the shorter ends", async () => {
    const src = file("m.de", "a\nb\nc\n");
    const tgt = file("m.en", "a\nb\n");
    await assert.rejects(
      readParallelFiles(src, tgt),
      (e: Error) =>
        e.message.includes(`${tgt} has 2 lines but ${src} has 3`) &&
        e.message.includes(`${tgt} ends after line 2`),
    );
    await assert.rejects(readParallelFiles(tgt, src), /m\.de has 3.*m\.en ends after line 2/);
  });

  test("invalid UTF-8 names the file and line", async () => {
    const src = file(
      "u.de",
      Buffer.concat([Buffer.from("gut\nauch gut\nschlecht "), Buffer.from([0xc3, 0x28]), Buffer.from("\n")]),
    );
    const tgt = file("u.en", "good\nalso good\nbad\n");
    await assert.rejects(readParallelFiles(src, tgt), /u\.de:3: invalid UTF-8/);
  });

  test("an empty line is an error naming file and line, or dropped and counted", async () => {
    const src = file("e.de", "eins\n\ndrei\n");
    const tgt = file("e.en", "one\ntwo\n   \n");
    await assert.rejects(readParallelFiles(src, tgt), /e\.de:2: empty line \(set filter\.dropEmpty/);
    const data = await readParallelFiles(src, tgt, { filter: { dropEmpty: true } });
    assert.deepEqual(data.examples, [{ src: "eins", tgt: "one" }]);
    assert.equal(data.stats.droppedEmpty, 2);
    assert.equal(data.stats.lines, 3);
  });

  test("maxLength drops and counts long pairs (in code points); maxLineLength is an error", async () => {
    const src = file("l.de", "kurz\nviel zu lang\n😀😀😀\n");
    const tgt = file("l.en", "short\nmuch too long\nabc\n");
    const data = await readParallelFiles(src, tgt, { filter: { maxLength: 5 } });
    assert.deepEqual(
      data.examples.map((e) => e.src),
      ["kurz", "😀😀😀"],
    );
    assert.equal(data.stats.droppedTooLong, 1);
    await assert.rejects(
      readParallelFiles(src, tgt, { maxLineLength: 10 }),
      /l\.de:2: line of 12 characters, over maxLineLength 10/,
    );
  });

  test("limit stops early; a missing file is named", async () => {
    const src = file("n.de", "a\nb\nc\n");
    const tgt = file("n.en", "x\ny\n");
    assert.equal((await readParallelFiles(src, tgt, { limit: 2 })).examples.length, 2);
    await assert.rejects(
      readParallelFiles(join(dir, "missing.de"), tgt),
      /data file not found: .*missing\.de/,
    );
  });
});

describe("readTsv", () => {
  test("CMUdict-style WORD<TAB>PHONEMES works with the defaults", async () => {
    const path = file("dict.tsv", "HELLO\tHH AH L OW\nHELLO\tHH EH L OW\nWORLD\tW ER L D\n");
    const { examples } = await readTsv(path);
    assert.equal(examples.length, 3);
    assert.deepEqual(referencesBySource(examples).get("HELLO"), ["HH AH L OW", "HH EH L OW"]);
  });

  test("chosen columns and a header line", async () => {
    const path = file("cols.tsv", "id\tde\ten\n1\tHund\tdog\n2\tKatze\tcat\n");
    const { examples } = await readTsv(path, { srcColumn: 2, tgtColumn: 1, header: true });
    assert.deepEqual(examples, [
      { src: "dog", tgt: "Hund" },
      { src: "cat", tgt: "Katze" },
    ]);
  });

  test("a row with too few columns, or an empty row, names file and line", async () => {
    const path = file("short.tsv", "a\tb\nonly-one\n");
    await assert.rejects(readTsv(path), /short\.tsv:2: 1 tab-separated column\(s\), need 2/);
    const empty = file("gap.tsv", "a\tb\n\nc\td\n");
    await assert.rejects(readTsv(empty), /gap\.tsv:2: empty line/);
    const kept = await readTsv(empty, { filter: { dropEmpty: true } });
    assert.deepEqual(kept.stats, { lines: 3, kept: 2, droppedEmpty: 1, droppedTooLong: 0 });
  });
});
