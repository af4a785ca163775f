// Joint and separate source/target tokenizers: training, the folder layout, loading back, layout errors.

import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";
import {
  jointPair,
  loadTokenizerPair,
  SOURCE_TOKENIZER_FILE,
  saveTokenizerPair,
  TARGET_TOKENIZER_FILE,
  trainTokenizerPair,
} from "../../src/tokenize/tokenizer-pair.ts";
import { tempDir } from "./fixtures.ts";

const SOURCES = ["Ein Hund läuft.", "Zwei Katzen schlafen."];
const TARGETS = ["A dog runs.", "Two cats sleep."];

describe("tokenizer pairs", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  test("joint: one vocabulary from both sides, saved as tokenizer.json", async () => {
    const pair = await trainTokenizerPair(SOURCES, TARGETS, { kind: "char" });
    assert.equal(pair.joint, true);
    assert.equal(pair.source, pair.target);
    assert.notEqual(pair.source.tokenToId("ä"), undefined);
    assert.notEqual(pair.source.tokenToId("g"), undefined);
    const folder = join(dir, "joint");
    saveTokenizerPair(pair, folder);
    assert.ok(existsSync(join(folder, "tokenizer.json")));
    const loaded = loadTokenizerPair(folder);
    assert.equal(loaded.joint, true);
    assert.equal(loaded.source, loaded.target);
    assert.deepEqual(loaded.source.encode("Hund dog"), pair.source.encode("Hund dog"));
  });

  test("separate: one vocabulary per side, saved as source_ and target_tokenizer.json", async () => {
    const pair = await trainTokenizerPair(SOURCES, TARGETS, { kind: "word", joint: false });
    assert.equal(pair.joint, false);
    assert.equal(pair.source.tokenToId("dog"), undefined);
    assert.equal(pair.target.tokenToId("Hund"), undefined);
    const folder = join(dir, "separate");
    saveTokenizerPair(pair, folder);
    const loaded = loadTokenizerPair(folder);
    assert.equal(loaded.joint, false);
    assert.deepEqual(loaded.source.encode("Ein Hund"), pair.source.encode("Ein Hund"));
    assert.deepEqual(loaded.target.encode("A dog"), pair.target.encode("A dog"));
  });

  test("re-saving in the other layout removes the old files", async () => {
    const folder = join(dir, "switch");
    saveTokenizerPair(await trainTokenizerPair(SOURCES, TARGETS, { kind: "char", joint: false }), folder);
    saveTokenizerPair(jointPair(trainCharTokenizer(SOURCES)), folder);
    assert.ok(!existsSync(join(folder, SOURCE_TOKENIZER_FILE)));
    assert.equal(loadTokenizerPair(folder).joint, true);
  });

  test("layout errors are explained", () => {
    const tok = trainCharTokenizer(SOURCES);
    assert.throws(
      () =>
        saveTokenizerPair({ source: tok, target: trainCharTokenizer(TARGETS), joint: true }, join(dir, "x")),
      /joint tokenizer pair must use one tokenizer/,
    );
    const folder = join(dir, "both");
    saveTokenizerPair(jointPair(tok), folder);
    writeFileSync(join(folder, SOURCE_TOKENIZER_FILE), "{}");
    assert.throws(() => loadTokenizerPair(folder), /holds both tokenizer\.json and source_tokenizer\.json/);
    const half = join(dir, "half");
    saveTokenizerPair({ source: tok, target: tok, joint: false }, half);
    rmSync(join(half, TARGET_TOKENIZER_FILE));
    assert.throws(() => loadTokenizerPair(half), /must hold tokenizer\.json \(joint vocabulary\) or both/);
  });
});
