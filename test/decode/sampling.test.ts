// Sampling: top-k / top-p restrict the support, temperature reshapes it, frequencies follow the
// distribution, and seeded sampling is reproducible and independent of batching (tiny random Transformer).

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Rng } from "../../src/data/rng.ts";
import type { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { type SamplingWarp, sampleSearch, sampleToken } from "../../src/decode/sampling.ts";
import { BOS, EOS, fakeModel, fakeState, tinyRunner } from "./toy-models.ts";

const PROBS = [0.4, 0.3, 0.2, 0.1];
const scores = Float32Array.from([...PROBS.map(Math.log), Number.NEGATIVE_INFINITY]);

/** Frequencies of each id over `draws` samples. */
function frequencies(warp: SamplingWarp, draws = 4000, seed = 1): number[] {
  const rng = new Rng(seed);
  const counts = new Array<number>(scores.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampleToken(scores, rng, warp)]! += 1;
  return counts.map((c) => c / draws);
}

test("plain sampling follows the distribution and never draws a banned token", () => {
  const f = frequencies({});
  PROBS.forEach((p, id) => {
    assert.ok(Math.abs(f[id]! - p) < 0.03, `id ${id}: ${f[id]} vs ${p}`);
  });
  assert.equal(f[4], 0);
});

test("top-k keeps the k most probable tokens, renormalised", () => {
  const f = frequencies({ topK: 2 });
  assert.deepEqual(
    f.map((x) => x > 0),
    [true, true, false, false, false],
  );
  assert.ok(Math.abs(f[0]! - 0.4 / 0.7) < 0.03);
});

test("top-p keeps the smallest set reaching p", () => {
  assert.deepEqual(
    frequencies({ topP: 0.5 }).map((x) => x > 0),
    [true, true, false, false, false],
  );
  assert.deepEqual(
    frequencies({ topP: 0.35 }).map((x) => x > 0),
    [true, false, false, false, false],
  );
  assert.deepEqual(
    frequencies({ topP: 0.95 }).map((x) => x > 0),
    [true, true, true, true, false],
  );
});

test("temperature sharpens (< 1) and flattens (> 1) the distribution", () => {
  const cold = frequencies({ temperature: 0.01 });
  assert.equal(cold[0], 1);
  const hot = frequencies({ temperature: 100 });
  for (let id = 0; id < 4; id++) assert.ok(Math.abs(hot[id]! - 0.25) < 0.03, `id ${id}: ${hot[id]}`);
  assert.throws(() => sampleToken(scores, new Rng(1), { temperature: 0 }), /temperature must be > 0/);
});

test("sampleSearch on a toy: samples per sentence come back best first, log-probabilities unwarped", async () => {
  const model = fakeModel((_s, prefix) => (prefix.length === 0 ? { 3: 0.5, 4: 0.5 } : { [EOS]: 1 }), 5);
  const [samples] = await sampleSearch(model, fakeState(1), {
    bos: BOS,
    eos: EOS,
    maxLength: 5,
    srcLengths: [3],
    seed: 3,
    samples: 6,
    temperature: 0.5,
  });
  assert.equal(samples!.length, 6);
  for (const h of samples!) {
    assert.equal(h.tokens.length, 2);
    assert.ok(
      Math.abs(h.logProb - Math.log(0.5)) < 1e-6,
      "the model's log-probability, not the tempered one",
    );
  }
  assert.ok(new Set(samples!.map((h) => h.tokens[0])).size === 2, "both first tokens drawn in 6 samples");
});

let runner: Seq2SeqRunner | undefined;
after(async () => runner?.release());

const SOURCES = [
  [5, 6, 7, 8, 2],
  [9, 10, 2],
  [11, 12, 13, 14, 15, 16, 2],
];

test("seeded sampling on a random Transformer is reproducible and does not depend on the batch", async () => {
  runner ??= await tinyRunner();
  const r = runner;
  const options = { bos: BOS, eos: EOS, maxLength: 8, srcLengths: SOURCES.map((s) => s.length), samples: 2 };
  const draw = async (seed: number) =>
    (await sampleSearch(r, await r.encode(SOURCES), { ...options, seed })).map((n) => n.map((h) => h.tokens));
  const first = await draw(42);
  assert.deepEqual(await draw(42), first, "same seed, same samples");
  assert.notDeepEqual(await draw(43), first, "another seed, other samples");
  const [alone] = await sampleSearch(r, await r.encode([SOURCES[2]!]), {
    ...options,
    srcLengths: [SOURCES[2]!.length],
    seed: 42,
    sentenceIds: [2],
  });
  assert.deepEqual(
    alone!.map((h) => h.tokens),
    first[2],
    "sentence 2 decoded alone draws the same samples",
  );
});
