// Exporting a model trained here (no Hugging Face family matches the default Transformer): the ONNX layout
// reproduces our decoding step by step, and --format hf falls back to this project's loadable folder.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { NO_TEXT_TASK } from "../../src/data/text-task.ts";
import { generateFromIds } from "../../src/decode/hf-generate.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { loadModelFolder, saveModelFolder, writeTextTaskFile } from "../../src/models/folder.ts";
import { exportHfFolder, exportOnnxFolder, sourceFromFolder } from "../../src/models/hf-export.ts";
import { withOverrides } from "../../src/models/hf-generation.ts";
import { TRANSFORMER_DEFAULTS, Transformer } from "../../src/models/transformer.ts";
import { initialize } from "../../src/nn/init.ts";
import { jointPair, trainCharTokenizer } from "../../src/tokenize/index.ts";
import { onnxStepwise, openOnnxFolder } from "./hf-onnx-driver.ts";

const work = mkdtempSync(join(tmpdir(), "export-own-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function tinyFolder(dir: string): Promise<void> {
  const tokenizer = trainCharTokenizer(["abcdefgh "]);
  const config = {
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: tokenizer.vocabSize,
    tgtVocabSize: tokenizer.vocabSize,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 2,
    decoderLayers: 2,
    maxPositions: 32,
    dropout: 0,
  };
  const model = new Transformer(config);
  const weights = new Map(
    model
      .parameters()
      .map((p) => [
        p.name,
        initialize(p.init.kind === "zeros" ? { kind: "normal", std: 0.3 } : p.init, p.shape, 3, p.name),
      ]),
  );
  await saveModelFolder(dir, {
    config: { architecture: "transformer", ...config },
    model,
    weights,
    tokenizers: jointPair(tokenizer),
  });
}

function logSoftmax(row: Float32Array): Float64Array {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
  return Float64Array.from(row, (x) => x - lse);
}

test("a model of this project exported to ONNX decodes as our generate does", async () => {
  const dir = join(work, "model");
  await tinyFolder(dir);
  const loaded = await loadModelFolder(dir);
  const source = sourceFromFolder(loaded);
  const out = join(work, "onnx");
  const report = await exportOnnxFolder(source, out);
  assert.equal(report.family, "bart");
  assert.match(report.notes.join(" "), /no family matches/);
  const tokenizerJson = JSON.parse(readFileSync(join(out, "tokenizer.json"), "utf8")) as {
    post_processor: { type: string };
  };
  assert.equal(tokenizerJson.post_processor.type, "TemplateProcessing", "the exported tokenizer appends EOS");
  const tokenizer = loaded.tokenizers.source;
  const sources = ["abc", "hgfed"].map((t) => [...tokenizer.encode(t), tokenizer.specials.eos]);
  const runner = await Seq2SeqRunner.create(loaded.model, loaded.weights);
  const g = withOverrides(source.generation, { maxNewTokens: 6 });
  const ours = await generateFromIds(runner, sources, g);
  await runner.release();
  const width = Math.max(...sources.map((s) => s.length));
  const padded = sources.map((s) => [...s, ...Array<number>(width - s.length).fill(source.tokens.pad)]);
  const mask = sources.map((s) => [...s.map(() => 1), ...Array<number>(width - s.length).fill(0)]);
  const m = loaded.model as Transformer;
  const f = await openOnnxFolder(out, m.config.decoderLayers, m.config.heads, m.headDim);
  const hyps = ours.hypotheses.map((list) => list[0]!);
  const steps = Math.min(...hyps.map((h) => h.tokens.length));
  const logits = await onnxStepwise(f, padded, mask, g.decoderStartTokenId, steps, (_, step) =>
    hyps.map((h) => h.tokens[step]!),
  );
  await f.release();
  logits.forEach((all, step) => {
    const vocab = all.length / hyps.length;
    hyps.forEach((h, r) => {
      const row = logSoftmax(all.subarray(r * vocab, (r + 1) * vocab));
      const token = h.tokens[step]!;
      assert.ok(Math.abs(row[token]! - h.tokenLogProbs[step]!) < 1e-4, `row ${r} step ${step}`);
      const banned = new Set(g.badWordsIds.flat());
      const best = [...row.keys()]
        .filter((v) => !banned.has(v))
        .reduce((a, v) => (row[v]! > row[a]! ? v : a));
      assert.equal(best, token, `row ${r} step ${step}: greedy choice`);
    });
  });
});

test("--format hf of a model no family matches writes this project's folder, which loads back", async () => {
  const dir = join(work, "model2");
  await tinyFolder(dir);
  const loaded = await loadModelFolder(dir);
  const out = join(work, "hf");
  const report = await exportHfFolder(sourceFromFolder(loaded), out);
  assert.equal(report.family, undefined);
  const again = await loadModelFolder(out);
  assert.deepEqual(again.config, loaded.config);
  for (const [name, data] of loaded.weights) assert.deepEqual(again.weights.get(name), data, name);
});

test("a right-to-left model (data.reverseTarget) is not exported: Hugging Face generates left to right", async () => {
  const dir = join(work, "model-r2l");
  await tinyFolder(dir);
  await writeTextTaskFile(dir, { ...NO_TEXT_TASK, format: 1, tasks: [], reverseTarget: true });
  const loaded = await loadModelFolder(dir);
  assert.throws(() => sourceFromFolder(loaded), /writes its outputs right to left \(data\.reverseTarget\)/);
});
