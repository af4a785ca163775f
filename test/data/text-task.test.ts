// Text-to-text inputs: task prefixes, source templates over TSV fields, each truncation policy, the
// stored text-task.json check, and reading a question/context/answer TSV.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import {
  applyTextTask,
  describeTruncation,
  fillTemplate,
  isPlainTextTask,
  NO_TEXT_TASK,
  parseStoredTextTask,
  prefixTokenCount,
  readTemplatedTsv,
  renumberTemplate,
  templateFields,
  truncateTokens,
} from "../../src/data/text-task.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-text-task-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("prefix and template", () => {
  test("the prefix goes before the whole input or the filled template", () => {
    assert.equal(
      applyTextTask("a long article", { prefix: "summarize: ", template: "" }),
      "summarize: a long article",
    );
    const qa = { prefix: "", template: "question: {0} context: {1}" };
    assert.equal(applyTextTask("Who? \tAda wrote it.", qa), "question: Who? context: Ada wrote it.");
    assert.equal(applyTextTask("x\ty", { prefix: "t: ", template: "{1} / {0}" }), "t: y / x");
  });

  test("templates name their fields; a missing field or a stray brace is an error", () => {
    assert.deepEqual(templateFields("question: {3} context: {1} again {3}"), [3, 1]);
    assert.deepEqual(templateFields(""), []);
    assert.throws(() => templateFields("q: {x}"), /braces must hold a field number/);
    assert.throws(() => templateFields("no fields"), /no field placeholder/);
    assert.throws(
      () => fillTemplate("question: {0} context: {1}", ["only one"]),
      /needs field \{1\}, the input has 1/,
    );
  });

  test("a TSV template is renumbered to the order the fields are typed at decoding", () => {
    assert.equal(renumberTemplate("question: {2} context: {1}"), "question: {0} context: {1}");
    assert.equal(renumberTemplate("a {3} b {1} c {3}"), "a {0} b {1} c {0}");
    assert.equal(renumberTemplate(""), "");
  });
});

describe("truncation policies", () => {
  const tokens = ["p", ":", "a", "b", "c", "d", "e", "f"];
  test("keepStart keeps the first tokens", () => {
    assert.deepEqual(truncateTokens(tokens, 5, "keepStart"), ["p", ":", "a", "b", "c"]);
  });
  test("keepEnd keeps the prefix (head) and the last tokens", () => {
    assert.deepEqual(truncateTokens(tokens, 5, "keepEnd", 2), ["p", ":", "d", "e", "f"]);
    assert.deepEqual(truncateTokens(tokens, 5, "keepEnd", 0), ["b", "c", "d", "e", "f"]);
    assert.deepEqual(truncateTokens(tokens, 2, "keepEnd", 3), ["p", ":"], "a head over the budget is cut");
  });
  test("drop returns null; none and short inputs keep everything", () => {
    assert.equal(truncateTokens(tokens, 5, "drop"), null);
    assert.deepEqual(truncateTokens(tokens, 5, "none"), tokens);
    assert.deepEqual(truncateTokens(tokens, 8, "drop"), tokens);
    assert.deepEqual(truncateTokens(tokens, 8, "keepEnd", 2), tokens);
  });
  test("the prefix's tokens are the common start of encode(prefix) and the source", () => {
    assert.equal(prefixTokenCount([5, 6, 7], [5, 6, 7, 8]), 3);
    assert.equal(prefixTokenCount([5, 6, 9], [5, 6, 7, 8]), 2, "a merge across the boundary protects less");
    assert.equal(prefixTokenCount([], [1, 2]), 0);
  });
  test("the log line says what was cut or dropped", () => {
    const task = { ...NO_TEXT_TASK, maxSourceTokens: 64, truncate: "keepStart" as const };
    assert.equal(
      describeTruncation("training data", { truncated: 12, dropped: 0 }, task),
      "training data: cut 12 sources to 64 tokens (EOS included), keeping their start (keepStart)",
    );
    assert.equal(
      describeTruncation("training data", { truncated: 0, dropped: 3 }, { ...task, truncate: "drop" }),
      "training data: dropped 3 pairs with a source over 64 tokens",
    );
    assert.equal(describeTruncation("training data", { truncated: 0, dropped: 0 }, task), "");
  });
});

describe("text-task.json", () => {
  const good = {
    format: 1,
    prefix: "summarize: ",
    template: "",
    maxSourceTokens: 64,
    truncate: "keepEnd",
    tasks: [],
  };
  test("a well-formed file is read as it is", () => {
    assert.deepEqual(parseStoredTextTask(good, "f.json"), good);
  });
  test("each malformed field is named with the file", () => {
    assert.throws(
      () => parseStoredTextTask({ ...good, format: 2 }, "f.json"),
      /f\.json: unsupported format 2/,
    );
    assert.throws(
      () => parseStoredTextTask({ ...good, truncate: "cut" }, "f.json"),
      /"truncate" must be one of/,
    );
    assert.throws(() => parseStoredTextTask({ ...good, maxSourceTokens: -1 }, "f.json"), /"maxSourceTokens"/);
    assert.throws(
      () => parseStoredTextTask({ ...good, tasks: [{ name: "x" }] }, "f.json"),
      /"tasks" must be/,
    );
    assert.throws(() => parseStoredTextTask({ ...good, template: "{a}" }, "f.json"), /braces/);
    assert.throws(
      () => parseStoredTextTask({ ...good, reverseTarget: "yes" }, "f.json"),
      /"reverseTarget" must be true or false, got "yes"/,
    );
  });
  test("a right-to-left model's task is not plain, even with nothing else set", () => {
    const plain = { ...NO_TEXT_TASK, format: 1 as const, tasks: [] };
    assert.ok(isPlainTextTask(plain));
    assert.ok(!isPlainTextTask({ ...plain, reverseTarget: true }));
    assert.ok(isPlainTextTask({ ...plain, reverseTarget: false }));
  });
});

describe("readTemplatedTsv", () => {
  const file = path.join(dir, "qa.tsv");
  writeFileSync(
    file,
    [
      "id\tquestion\tcontext\tanswer",
      "1\tWho wrote it?\tAda wrote the first program.\tAda",
      "2\tWhen?\tIn 1843.\t1843",
      "3\tWhat?\t\tnothing",
      "4\tWhere is a very long question?\tHere.\tHere",
    ].join("\n"),
  );
  const template = "question: {1} context: {2}";

  test("composes question and context into the source, the answer is the target", async () => {
    const data = await readTemplatedTsv(file, { template, tgtColumn: 3, header: true, limit: 2 });
    assert.deepEqual(data.examples, [
      { src: "question: Who wrote it? context: Ada wrote the first program.", tgt: "Ada" },
      { src: "question: When? context: In 1843.", tgt: "1843" },
    ]);
  });

  test("an empty field is an error naming file and line, or dropped and counted", async () => {
    await assert.rejects(
      readTemplatedTsv(file, { template, tgtColumn: 3, header: true }),
      /qa\.tsv:4: column 2 is empty/,
    );
    const data = await readTemplatedTsv(file, {
      template,
      tgtColumn: 3,
      header: true,
      filter: { dropEmpty: true, maxLength: 58 }, // line 2 composes to 61 characters
    });
    assert.deepEqual(data.stats, { lines: 4, kept: 2, droppedEmpty: 1, droppedTooLong: 1 });
  });

  test("too few columns names the line", async () => {
    await assert.rejects(
      readTemplatedTsv(file, { template: "{1} {5}", tgtColumn: 3, header: true }),
      /qa\.tsv:2: 4 tab-separated column\(s\), need 6/,
    );
  });
});
