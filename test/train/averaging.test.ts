// Checkpoint averaging: the element-wise mean, mismatches refused by name, and model folders read from disk.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { saveModelFolder } from "../../src/models/folder.ts";
import { buildModel } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { averageModelFolders, averageWeights } from "../../src/train/averaging.ts";
import { flatLayout } from "../../src/train/step-graph.ts";
import { initialFlatParams, unflatten } from "../../src/train/step-runner.ts";

test("averageWeights is the element-wise mean", () => {
  const a = new Map([["w", Float32Array.of(1, 2, 3)]]);
  const b = new Map([["w", Float32Array.of(3, 4, -3)]]);
  const c = new Map([["w", Float32Array.of(2, 0, 0.5)]]);
  assert.deepEqual(averageWeights([a, b, c]).get("w"), Float32Array.of(2, 2, 0.5 / 3));
  assert.deepEqual(averageWeights([a]).get("w"), a.get("w"));
});

test("averageWeights refuses weights that do not line up, naming the tensor", () => {
  const a = new Map([["w", Float32Array.of(1, 2)]]);
  assert.throws(() => averageWeights([a, new Map([["w", Float32Array.of(1)]])]), /another size for "w"/);
  assert.throws(() => averageWeights([a, new Map([["v", Float32Array.of(1, 2)]])]), /lack "w"/);
  assert.throws(
    () => averageWeights([a, new Map([...a, ["extra", Float32Array.of(0)]])]),
    /extra tensor "extra"/,
  );
  assert.throws(() => averageWeights([]), /at least one/);
});

test("averageModelFolders averages the model.safetensors of saved folders", async () => {
  const tokenizer = trainCharTokenizer(["xyz"]);
  const config = {
    architecture: "transformer",
    srcVocabSize: tokenizer.vocabSize,
    tgtVocabSize: tokenizer.vocabSize,
    dModel: 8,
    heads: 2,
    ffDim: 8,
    encoderLayers: 1,
    decoderLayers: 1,
  };
  const model = buildModel(config);
  const layout = flatLayout(model.parameters());
  const root = mkdtempSync(join(tmpdir(), "s2s-avg-"));
  const flats = [1, 2].map((seed) => initialFlatParams(layout, model.parameters(), seed));
  for (const [i, flat] of flats.entries()) {
    const weights = unflatten(layout, flat);
    await saveModelFolder(join(root, `m${i}`), { config, model, weights, tokenizers: jointPair(tokenizer) });
  }
  const averaged = await averageModelFolders([join(root, "m0"), join(root, "m1")]);
  for (const slot of layout.slots) {
    const got = averaged.get(slot.name)!;
    for (let i = 0; i < slot.size; i++) {
      const expected = (flats[0]![slot.offset + i]! + flats[1]![slot.offset + i]!) / 2;
      assert.ok(Math.abs(got[i]! - expected) < 1e-7, `${slot.name}[${i}]`);
    }
  }
});
