// The tagger's view of a pair: labels equal the encoder-only model's own alignment graph, targets up to one
// token longer than the source still come out whole, and coverage / oracle pick across references.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { padBatch } from "../../src/data/batching.ts";
import { taggerCoverage, taggerOracle, taggerView } from "../../src/data/tagger-alignment.ts";
import { Builder } from "../../src/graph/composites.ts";
import { ENCODER_ONLY_DEFAULTS, TransformerEncoderClassifier } from "../../src/models/encoder-only.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { ConstantScope } from "../../src/nn/module.ts";
import { OrtSession } from "../../src/runtime/ort.ts";

// Ids: pad 0, EOS 2; sources end in EOS, targets are y + EOS.
const SRC = [5, 6, 7, 2]; // x = 5 6 7

describe("taggerView", () => {
  test("same length: every position trained, the whole target out", () => {
    const v = taggerView(SRC, [9, 8, 7, 2]);
    assert.deepEqual(v.labels, [9, 8, 7, 2]);
    assert.deepEqual(v.output, [9, 8, 7]);
    assert.equal(v.aligned, true);
    assert.equal(v.representable, true);
  });

  test("shorter target: EOS early, later positions untrained (pad)", () => {
    const v = taggerView(SRC, [9, 2]);
    assert.deepEqual(v.labels, [9, 2, 0, 0]);
    assert.deepEqual(v.output, [9]);
    assert.equal(v.aligned, false);
    assert.equal(v.representable, true);
  });

  test("one token longer: the EOS falls off, but decoding adds it, so the target still comes out", () => {
    const v = taggerView(SRC, [9, 8, 7, 6, 2]);
    assert.deepEqual(v.labels, [9, 8, 7, 6]);
    assert.deepEqual(v.output, [9, 8, 7, 6]);
    assert.equal(v.aligned, false);
    assert.equal(v.representable, true);
  });

  test("two or more longer: cut to the source length, not representable", () => {
    const v = taggerView(SRC, [9, 8, 7, 6, 5, 2]);
    assert.deepEqual(v.labels, [9, 8, 7, 6]);
    assert.deepEqual(v.output, [9, 8, 7, 6]);
    assert.equal(v.representable, false);
  });
});

test("labels equal TransformerEncoderClassifier.alignedTargets on a padded batch", async () => {
  const model = new TransformerEncoderClassifier({
    ...ENCODER_ONLY_DEFAULTS,
    srcVocabSize: 12,
    tgtVocabSize: 12,
    dModel: 8,
    heads: 2,
    ffDim: 16,
    layers: 1,
  });
  const sources = [SRC, [5, 2], [5, 6, 7, 8, 9, 2], SRC];
  const targets = [
    [9, 2],
    [9, 8, 7, 2],
    [9, 8, 2],
    [9, 8, 7, 6, 5, 2],
  ];
  const b = new Builder();
  const s = new ConstantScope(b, new Map());
  const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const tgt = b.input(IO.tgtOut, "int64", ["batch", "tgtLen"]);
  const session = await OrtSession.create(b.build("aligned", { labels: model.alignedTargets(s, src, tgt) }));
  const feed = (rows: number[][]) => {
    const p = padBatch(rows, 0, { dtype: "int64" });
    return { dtype: "int64" as const, dims: p.dims, data: p.data };
  };
  const out = (await session.run({ [IO.src]: feed(sources), [IO.tgtOut]: feed(targets) }))["labels"]!;
  await session.release();
  const width = out.dims[1]!;
  const got = Array.from(out.data as BigInt64Array, Number);
  sources.forEach((row, i) => {
    const expected = taggerView(row, targets[i]!).labels;
    const padded = [...expected, ...Array<number>(width - expected.length).fill(0)];
    assert.deepEqual(got.slice(i * width, (i + 1) * width), padded, `row ${i}`);
  });
});

test("coverage and oracle count an example when any reference fits", () => {
  const examples = [
    { src: SRC, refs: [[9, 8, 7, 6, 5, 2]] }, // only a too-long reference
    {
      src: SRC,
      refs: [
        [9, 8, 7, 6, 5, 2],
        [9, 8, 2],
      ],
    }, // a second reference fits
    { src: SRC, refs: [[9, 8, 7, 2]] }, // aligned
  ];
  assert.deepEqual(taggerCoverage(examples), { examples: 3, aligned: 1, representable: 2 });
  assert.deepEqual(taggerOracle(examples[0]!), [9, 8, 7, 6]);
  assert.deepEqual(taggerOracle(examples[1]!), [9, 8]);
  assert.throws(() => taggerOracle({ src: SRC, refs: [] }), /at least one reference/);
});
