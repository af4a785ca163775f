// Every Hugging Face fixture family, loaded from its folder, gives transformers' encoder output (padded
// rows included) and teacher-forced logits to 1e-4, and names its parameters as the checkpoint does.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { int64 } from "../../src/graph/tensor.ts";
import { loadHfFolder } from "../../src/models/hf-import.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { buildEncoderOutputGraph, buildFullDecoderGraph } from "../../src/models/transformer-graphs.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { FAMILIES, FIXTURES, fixturesMissing, maxAbsDiff, readExpected } from "./hf-fixtures.ts";

describe("Hugging Face fixtures: encoder output and logits match transformers (1e-4)", () => {
  for (const family of FAMILIES) {
    test(family, { skip: fixturesMissing(family) }, async () => {
      const hf = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
      const e = readExpected(family);
      const names = hf.model.parameters().map((p) => p.name);
      const stored = Object.keys(e.safetensorsKeys).filter(
        (k) => !k.includes("embed_positions") || hf.config.positions === "learned",
      );
      assert.deepEqual([...names].sort(), stored.sort(), "parameter names = the checkpoint's keys");
      const [rows, srcLen] = [e.inputIds.length, e.inputIds[0]!.length];
      const src = int64(e.inputIds.flat(), [rows, srcLen]);
      const tgt = int64(e.decoderInputIds.flat(), [rows, e.decoderInputIds[0]!.length]);
      const encoder = await OrtSession.create(buildEncoderOutputGraph(hf.model, hf.weights));
      const memory = (await encoder.run({ [IO.src]: src })).encoder_output!;
      assert.deepEqual(memory.dims, e.encoderOutput.shape);
      const encDiff = maxAbsDiff(memory.data as Float32Array, e.encoderOutput.data);
      assert.ok(encDiff < 1e-4, `encoder output differs by ${encDiff}`);
      const full = await OrtSession.create(buildFullDecoderGraph(hf.model, hf.weights));
      const logits = (await full.run({ [IO.src]: src, [IO.tgt]: tgt }))[IO.logits]!;
      assert.deepEqual(logits.dims, e.logits.shape);
      const diff = maxAbsDiff(logits.data as Float32Array, e.logits.data);
      assert.ok(diff < 1e-4, `logits differ by ${diff}`);
      await encoder.release();
      await full.release();
    });
  }
});
