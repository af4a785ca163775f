// Truecasing pairs: lowercased source, the line as written as target, equal lengths in characters, and the
// lines left out counted by reason; checked on Multi30k German when the shared data is present.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { truecasePair, truecasePairs } from "../../src/data/truecase-task.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../..");
const multi30k = resolve(repoRoot, "../shared/data/multi30k");

test("a pair is the lowercased line and the line as written", () => {
  assert.deepEqual(truecasePair("  Ein Mann läuft über die Straße. "), {
    src: "ein mann läuft über die straße.",
    tgt: "Ein Mann läuft über die Straße.",
  });
  assert.equal(truecasePair("   "), null);
  // "İ" lowercases to "i" + a combining dot: two code points for one, so no label per character.
  assert.equal(truecasePair("İstanbul"), null);
});

test("lines left out are counted by reason, kept pairs stay in order", () => {
  const out = truecasePairs(["Der Hund", "", "İzmir", "Die Katze"]);
  assert.deepEqual(
    out.pairs.map((p) => p.tgt),
    ["Der Hund", "Die Katze"],
  );
  assert.equal(out.droppedEmpty, 1);
  assert.equal(out.droppedLength, 1);
});

test("Multi30k German: every kept pair has as many character tokens on both sides", (t) => {
  const file = resolve(multi30k, "val.de");
  if (!existsSync(file)) {
    t.skip(`Multi30k not found at ${multi30k} (see ../shared/data/README.md)`);
    return;
  }
  const lines = readFileSync(file, "utf8").replace(/\n$/, "").split("\n");
  const { pairs, droppedEmpty, droppedLength } = truecasePairs(lines);
  assert.equal(pairs.length + droppedEmpty + droppedLength, lines.length);
  assert.ok(pairs.length > 1000, `${pairs.length} pairs`);
  const tokenizer = trainCharTokenizer([...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt)]);
  const differing = pairs.filter((p) => tokenizer.encode(p.src).length !== tokenizer.encode(p.tgt).length);
  assert.deepEqual(differing, []);
  assert.ok(
    pairs.some((p) => p.src !== p.tgt),
    "casing differs somewhere",
  );
});
