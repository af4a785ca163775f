// The NL-RX reader: real splits (skipped when ../shared/data/nl-rx is absent) and errors on small
// hand-made files that name the file and line.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nlRxPaths, readNlRx } from "../../src/data/nl-rx.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const nlRx = resolve(repoRoot, "../shared/data/nl-rx");
const missing = existsSync(join(nlRx, "synth")) ? false : `NL-RX not found at ${nlRx}`;

test("real splits: 6500 train and 1000 val pairs per variant, descriptions to expressions", {
  skip: missing,
}, async () => {
  for (const variant of ["synth", "turk"] as const) {
    const train = await readNlRx(nlRx, variant, "train");
    const val = await readNlRx(nlRx, variant, "val");
    assert.equal(train.examples.length, 6500, variant);
    assert.equal(val.examples.length, 1000, variant);
    assert.deepEqual(val.stats, { lines: 1000, kept: 1000, droppedEmpty: 0, droppedTooLong: 0 });
  }
  const turk = await readNlRx(nlRx, "turk", "val", { limit: 2 });
  assert.equal(turk.examples.length, 2);
  assert.equal(
    turk.examples[0]!.src,
    "lines with at least 7 or more vowels and either a lower-case letter or letter .",
  );
  assert.equal(turk.examples[0]!.tgt, "( ( ( [ <VOW> ] ) & ( [ <LOW> ] ) ) | ( [ <LET> ] ) ) { 7 , }");
});

/** A temporary NL-RX folder with one `synth` split; removed after `body`. */
async function withFiles(src: string, tgt: string, body: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "nl-rx-"));
  try {
    mkdirSync(join(root, "synth"));
    writeFileSync(join(root, "synth", "src-val.txt"), src);
    writeFileSync(join(root, "synth", "targ-val.txt"), tgt);
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("a target that is not a well-formed expression is an error naming the file and line", async () => {
  await withFiles("lines with a vowel\nlines with a dog\n", "[ <VOW> ]\n( <M0>\n", async (root) => {
    const tgt = nlRxPaths(root, "synth", "val").tgt;
    await assert.rejects(readNlRx(root, "synth", "val"), (error: Error) => {
      assert.ok(error.message.startsWith(`${tgt}:2: cannot parse regex "( <M0>"`), error.message);
      return true;
    });
    const unchecked = await readNlRx(root, "synth", "val", { validate: false });
    assert.equal(unchecked.examples[1]!.tgt, "( <M0>");
  });
});

test("misaligned or missing files and unknown variants are clear errors", async () => {
  await withFiles("a\nb\nc\n", "[ <VOW> ]\n[ <NUM> ]\n", async (root) => {
    await assert.rejects(
      readNlRx(root, "synth", "val"),
      /misaligned parallel files: .*targ-val\.txt has 2 lines/,
    );
    await assert.rejects(readNlRx(root, "synth", "train"), /data file not found: .*src-train\.txt/);
  });
  assert.throws(
    () => nlRxPaths("/x", "kushman" as "synth", "val"),
    /unknown NL-RX variant "kushman" \(valid: synth, turk\)/,
  );
});
