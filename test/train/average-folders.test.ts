// `seq2seq average` and averageFolders: the averaged folder holds the element-wise mean, loads and translates,
// and folders of different models are refused with the file named.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { loadTranslator } from "../../src/decode/translate.ts";
import { readSafetensors } from "../../src/io/safetensors.ts";
import { averageFolders } from "../../src/train/average-folders.ts";
import { saveTinyModel } from "../server/tiny-model.ts";

const repo = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "s2s-average-"));
after(() => rmSync(work, { recursive: true, force: true }));
const a = join(work, "a");
const b = join(work, "b");
const c = join(work, "c");

before(async () => {
  await saveTinyModel(a, {}, 1); // same config, different seeds: two checkpoints of one model
  await saveTinyModel(b, {}, 2);
  await saveTinyModel(c, { ffDim: 48 }, 3); // another model
  writeFileSync(join(a, "trainer_state.json"), '{"step": 7}'); // training files are not part of the average
});

async function tensor(dir: string, name: string): Promise<Float32Array> {
  const t = (await readSafetensors(join(dir, "model.safetensors"))).tensors.get(name)!;
  return t.data as Float32Array;
}

test("the averaged folder holds the element-wise mean and the first folder's model files", async () => {
  const out = join(work, "avg");
  const report = await averageFolders([a, b], out);
  assert.deepEqual(report.sources, [a, b]);
  const names = [...(await readSafetensors(join(a, "model.safetensors"))).tensors.keys()];
  assert.ok(names.length > 10);
  for (const name of names) {
    const [x, y, m] = [await tensor(a, name), await tensor(b, name), await tensor(out, name)];
    assert.equal(m.length, x.length, name);
    for (let i = 0; i < m.length; i++)
      assert.ok(Math.abs(m[i]! - (x[i]! + y[i]!) / 2) < 1e-6, `${name}[${i}]`);
  }
  assert.equal(readFileSync(join(out, "config.json"), "utf8"), readFileSync(join(a, "config.json"), "utf8"));
  assert.ok(!existsSync(join(out, "trainer_state.json")));
  assert.deepEqual(JSON.parse(readFileSync(join(out, "averaged.json"), "utf8")), {
    sources: [a, b],
    steps: [7, null], // b has no trainer_state.json: not a checkpoint
  });
  const translator = await loadTranslator(out);
  const [first] = await translator.translate(["abc"], { beam: 1, nbest: 1, maxLength: 8 });
  assert.equal(typeof first!.text, "string");
  await translator.release();
});

test("folders of different models, or a single folder, are refused", async () => {
  await assert.rejects(
    averageFolders([a, c], join(work, "x")),
    /config\.json differs from .*not checkpoints of one model/,
  );
  await assert.rejects(averageFolders([a], join(work, "x")), /at least two model folders/);
  await assert.rejects(averageFolders([a, join(work, "missing")], join(work, "x")), /missing.*cannot read/);
  assert.ok(!existsSync(join(work, "x")));
});

test("seq2seq average writes the folder from the command line", () => {
  const out = join(work, "cli-avg");
  const run = spawnSync(process.execPath, [join(repo, "bin/seq2seq.js"), "average", a, b, "--out", out], {
    cwd: repo,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /averaged 2 model folders into /);
  assert.ok(existsSync(join(out, "model.safetensors")));
  const bad = spawnSync(process.execPath, [join(repo, "bin/seq2seq.js"), "average", a, c, "--out", out], {
    cwd: repo,
    encoding: "utf8",
  });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /differs from/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /); // no stack trace
});
