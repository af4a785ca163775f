// SpecAugment masking: masks are whole mel bands / whole frame spans, within the configured widths,
// reproducible from the seed, and the input is left untouched.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogMel } from "../../src/audio/mel.ts";
import { specAugment } from "../../src/audio/spec-augment.ts";

const nMels = 20;
const nFrames = 50;

/** Features with distinct values (never equal to the fill) so masked cells are easy to spot. */
function features(): LogMel {
  return { data: Float32Array.from({ length: nMels * nFrames }, (_, i) => 1 + i / 1000), nMels, nFrames };
}

function maskedCells(out: LogMel, fill: number): boolean[][] {
  return Array.from({ length: nMels }, (_, m) =>
    Array.from({ length: nFrames }, (_, t) => out.data[m * nFrames + t] === fill),
  );
}

test("frequency masks cover whole mel bands of at most freqWidth bins", () => {
  for (let seed = 0; seed < 20; seed++) {
    const out = specAugment(features(), { freqMasks: 1, freqWidth: 6, maskValue: -5, seed });
    const masked = maskedCells(out, -5);
    const bands = masked.map((row) => row.every(Boolean));
    for (const [m, row] of masked.entries()) {
      assert.ok(row.every(Boolean) || !row.some(Boolean), `seed ${seed}: band ${m} partly masked`);
    }
    const idx = bands.flatMap((b, m) => (b ? [m] : []));
    assert.ok(idx.length <= 6, `seed ${seed}: ${idx.length} bands`);
    if (idx.length > 0) assert.equal(idx[idx.length - 1]! - idx[0]! + 1, idx.length, "one contiguous band");
  }
});

test("time masks cover whole frames, at most min(timeWidth, p · nFrames) long", () => {
  let widest = 0;
  for (let seed = 0; seed < 30; seed++) {
    const out = specAugment(features(), {
      timeMasks: 1,
      timeWidth: 30,
      maxTimeFraction: 0.2,
      maskValue: -5,
      seed,
    });
    const masked = maskedCells(out, -5);
    const frames = Array.from({ length: nFrames }, (_, t) => masked.every((row) => row[t]));
    for (let t = 0; t < nFrames; t++)
      assert.ok(frames[t] || masked.every((row) => !row[t]), `seed ${seed}: frame ${t} partly masked`);
    const count = frames.filter(Boolean).length;
    assert.ok(count <= 10, `seed ${seed}: ${count} frames masked, p·nFrames = 10`);
    widest = Math.max(widest, count);
  }
  assert.ok(widest >= 5, "some masks are wide");
});

test("same seed, same masks; another seed, other masks; the input is not modified", () => {
  const input = features();
  const before = input.data.slice();
  const options = { timeMasks: 2, timeWidth: 10, freqMasks: 2, freqWidth: 5 };
  const a = specAugment(input, { ...options, seed: 7 });
  const b = specAugment(input, { ...options, seed: 7 });
  const c = specAugment(input, { ...options, seed: 8 });
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.deepEqual(input.data, before);
  assert.equal(a.nMels, nMels);
  assert.equal(a.nFrames, nFrames);
});

test("the default fill is the utterance mean; no masks is the identity; bad counts are errors", () => {
  const input = features();
  const mean = input.data.reduce((s, x) => s + x, 0) / input.data.length;
  const out = specAugment(input, { freqMasks: 3, freqWidth: 8, seed: 1 });
  const filled = out.data.filter((x) => Math.abs(x - mean) < 1e-6).length;
  assert.ok(filled >= nFrames, `${filled} cells hold the mean`);
  assert.deepEqual(specAugment(input, { seed: 1 }).data, input.data);
  assert.throws(
    () => specAugment(input, { timeMasks: -1, seed: 1 }),
    /timeMasks must be a non-negative integer, got -1/,
  );
  assert.throws(
    () => specAugment(input, { maxTimeFraction: 2, seed: 1 }),
    /maxTimeFraction must be in \[0, 1\]/,
  );
});
