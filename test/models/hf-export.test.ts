// Export: a Hugging Face folder round trip (import -> export -> import) is exact for every fixture family,
// and the ONNX layout, driven as transformers.js drives it, gives transformers' logits and greedy ids.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readSafetensors } from "../../src/io/safetensors.ts";
import { exportHfFolder, exportOnnxFolder, sourceFromHf } from "../../src/models/hf-export.ts";
import { loadHfFolder } from "../../src/models/hf-import.ts";
import { FAMILIES, FIXTURES, fixturesMissing, maxAbsDiff, readExpected } from "./hf-fixtures.ts";
import { onnxGreedy, onnxLogits, onnxStepwise, openOnnxFolder } from "./hf-onnx-driver.ts";

const work = mkdtempSync(join(tmpdir(), "hf-export-"));
after(() => rmSync(work, { recursive: true, force: true }));

for (const family of FAMILIES) {
  test(`${family}: import -> export -> import is exact, with the checkpoint's keys`, {
    skip: fixturesMissing(family),
  }, async () => {
    const first = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
    const out = join(work, `${family}-hf`);
    const report = await exportHfFolder(sourceFromHf(first), out);
    assert.equal(report.family, first.family);
    const again = await loadHfFolder(out, { requireTokenizer: false });
    assert.deepEqual(again.config, first.config);
    assert.deepEqual(again.tokens, first.tokens);
    assert.deepEqual(again.generation, first.generation);
    assert.equal(again.hfConfig.model_type, first.hfConfig.model_type);
    assert.deepEqual([...again.weights.keys()].sort(), [...first.weights.keys()].sort());
    for (const [name, data] of first.weights) assert.deepEqual(again.weights.get(name), data, name);
    const original = await readSafetensors(join(FIXTURES, family, "model.safetensors"));
    const written = await readSafetensors(join(out, "model.safetensors"));
    assert.deepEqual([...written.tensors.keys()].sort(), [...original.tensors.keys()].sort());
  });

  test(`${family}: the ONNX layout gives transformers' logits and greedy ids`, {
    skip: fixturesMissing(family),
  }, async () => {
    const hf = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
    const out = join(work, `${family}-onnx`);
    await exportOnnxFolder(sourceFromHf(hf), out);
    for (const file of [
      "config.json",
      "generation_config.json",
      "onnx/encoder_model.onnx",
      "onnx/decoder_model_merged.onnx",
    ])
      assert.ok(existsSync(join(out, file)), file);
    const e = readExpected(family);
    const f = await openOnnxFolder(out, hf.config.decoderLayers, hf.config.heads, hf.model.headDim);
    const logits = await onnxLogits(f, e.inputIds, e.attentionMask, e.decoderInputIds);
    assert.ok(maxAbsDiff(logits.data as Float32Array, e.logits.data) < 1e-4, "teacher-forced logits");
    // Stepping with the cache (use_cache_branch true after the first step) gives the same logits.
    const t = e.decoderInputIds[0]!.length;
    const vocab = e.logits.shape[2]!;
    const steps = await onnxStepwise(
      f,
      e.inputIds,
      e.attentionMask,
      e.decoderInputIds[0]![0]!,
      t,
      (_, step) => e.decoderInputIds.map((row) => row[Math.min(step + 1, t - 1)]!),
    );
    steps.forEach((logits, step) => {
      const expected = e.decoderInputIds.flatMap((_, r) => [
        ...e.logits.data.subarray((r * t + step) * vocab, (r * t + step + 1) * vocab),
      ]);
      assert.ok(maxAbsDiff(logits, expected) < 1e-4, `cached step ${step}`);
    });
    // Without logits processors transformers' greedy ids hold until the first forced or banned token.
    const greedy = e.generation.greedy!;
    const plain =
      greedy.kwargs.forced_bos_token_id === undefined && hf.generation.forcedBosTokenId === undefined;
    if (plain && hf.generation.badWordsIds.length === 0) {
      const ids = await onnxGreedy(f, e.inputIds, e.attentionMask, hf.generation.decoderStartTokenId, 7);
      ids.forEach((row, r) => {
        const expected = greedy.sequences[r]!;
        const end = expected.indexOf(hf.generation.eosTokenId, 1);
        const upTo = end < 0 ? row.length : Math.min(row.length, end + 1);
        assert.deepEqual(row.slice(0, upTo), expected.slice(0, upTo), `row ${r}`);
      });
    }
    await f.release();
  });
}
