// The translation library applies a model folder's text-task.json: the task prefix, a template over
// tab-separated fields, each truncation policy, and the --prefix / --task overrides with their errors.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { StoredTextTask } from "../../src/data/text-task.ts";
import {
  InputFormatError,
  loadTranslator,
  SourceTooLongError,
  TranslateOptionsError,
  type Translator,
} from "../../src/decode/translate.ts";
import { TEXT_TASK_FILE } from "../../src/models/folder.ts";
import { saveTinyModelFolder } from "./toy-models.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-decode-text-task-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STORED: StoredTextTask = {
  format: 1,
  prefix: "ab ",
  template: "",
  maxSourceTokens: 7,
  truncate: "keepEnd",
  tasks: [
    { name: "pair", prefix: "h ", template: "{0}|{1}" },
    { name: "plain", prefix: "", template: "" },
  ],
};

let translator: Translator;
const plainDir = path.join(dir, "plain");
before(async () => {
  const model = path.join(dir, "model");
  await saveTinyModelFolder(model);
  await saveTinyModelFolder(plainDir);
  // "|" is not in the tiny vocabulary: the template uses it anyway to show where fields go.
  writeFileSync(path.join(model, TEXT_TASK_FILE), JSON.stringify(STORED));
  translator = await loadTranslator(model);
});
after(() => translator.release());

const EOS = "</s>";

async function sourceTokens(texts: string[], task = translator.textTask): Promise<string[][]> {
  const out = await translator.translate(texts, { beam: 1, maxLength: 2 }, task);
  return out.map((t) => t.sourceTokens);
}

test("the folder's prefix goes first and keepEnd keeps it with the end of a long input", async () => {
  assert.deepEqual(translator.textTask, STORED);
  const [short, long] = await sourceTokens(["cd", "cdefgh"]);
  assert.deepEqual(short!.slice(0, -1), [..."ab cd"]);
  assert.deepEqual(long!.slice(0, -1), [..."ab fgh"], "the prefix (3 tokens) and the last 3, then EOS: 7");
  assert.equal(long!.length, 7);
  assert.equal(long!.at(-1), EOS);
});

test("keepStart and drop, and --prefix / --task overrides", async () => {
  const keepStart = { ...translator.textTask, truncate: "keepStart" as const };
  assert.deepEqual((await sourceTokens(["cdefgh"], keepStart))[0]!.slice(0, -1), [..."ab cde"]);
  const drop = { ...translator.textTask, truncate: "drop" as const };
  await assert.rejects(translator.translate(["cd", "cdefgh"], {}, drop), (e: unknown) => {
    assert.ok(e instanceof SourceTooLongError);
    assert.equal(e.index, 1);
    assert.equal(e.limit, 7);
    return true;
  });
  const none = translator.textTaskFor({ prefix: "" });
  assert.deepEqual((await sourceTokens(["cdefghab"], none))[0]!.slice(0, -1), [..."efghab"]);
  const pair = translator.textTaskFor({ task: "pair" });
  assert.deepEqual(pair, { ...STORED, prefix: "h ", template: "{0}|{1}" });
  await assert.rejects(translator.translate(["only one field"], {}, pair), InputFormatError);
  assert.throws(
    () => translator.textTaskFor({ task: "nope" }),
    (e: unknown) => {
      assert.ok(e instanceof TranslateOptionsError);
      assert.match(e.message, /unknown task "nope": this model's tasks are pair, plain/);
      return true;
    },
  );
});

test("a folder without text-task.json uses inputs as they are", async () => {
  const plain = await loadTranslator(plainDir);
  try {
    assert.deepEqual(plain.textTask, { prefix: "", template: "", maxSourceTokens: 0, truncate: "none" });
    const [t] = await plain.translate(["cd"], { beam: 1, maxLength: 2 });
    assert.deepEqual(t!.sourceTokens.slice(0, -1), ["c", "d"]);
    assert.throws(() => plain.textTaskFor({ task: "x" }), /this model has no named tasks/);
  } finally {
    await plain.release();
  }
});
