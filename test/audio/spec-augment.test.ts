// SpecAugment masking: masks are whole mel bands / whole frame spans, within the configured widths,
// reproducible from the seed, and the input is left untouched. VTLP: the warp keeps 0 Hz and Nyquist, and moves
// spectral content down the mel bins for α > 1 and up for α < 1.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogMel } from "../../src/audio/mel.ts";
import { specAugment, vtlpWarp, warpMelBins } from "../../src/audio/spec-augment.ts";

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

test("the default fill is the utterance mean; no masks and no warp is the identity; bad counts are errors", () => {
  const input = features();
  const mean = input.data.reduce((s, x) => s + x, 0) / input.data.length;
  const out = specAugment(input, { freqMasks: 3, freqWidth: 8, seed: 1 });
  const filled = out.data.filter((x) => Math.abs(x - mean) < 1e-6).length;
  assert.ok(filled >= nFrames, `${filled} cells hold the mean`);
  assert.equal(specAugment(input, { seed: 1 }), input, "nothing to apply: the input itself, no copy");
  assert.equal(specAugment(input, { freqWidth: 8, timeWidth: 8, seed: 1 }), input, "widths without masks");
  assert.throws(
    () => specAugment(input, { timeMasks: -1, seed: 1 }),
    /timeMasks must be a non-negative integer, got -1/,
  );
  assert.throws(
    () => specAugment(input, { maxTimeFraction: 2, seed: 1 }),
    /maxTimeFraction must be in \[0, 1\]/,
  );
});

test("the VTLP warp scales by α below its boundary, is continuous, increasing, and keeps 0 Hz and Nyquist", () => {
  for (const alpha of [0.9, 0.95, 1, 1.05, 1.1]) {
    assert.equal(vtlpWarp(0, alpha, 8000), 0);
    assert.ok(Math.abs(vtlpWarp(8000, alpha, 8000) - 8000) < 1e-9, `α ${alpha}: Nyquist moved`);
    assert.ok(Math.abs(vtlpWarp(1000, alpha, 8000) - 1000 * alpha) < 1e-9, `α ${alpha}: 1 kHz not scaled`);
    let previous = 0;
    for (let hz = 10; hz <= 8000; hz += 10) {
      const warped = vtlpWarp(hz, alpha, 8000);
      assert.ok(warped > previous, `α ${alpha}: not increasing at ${hz} Hz`);
      assert.ok(Math.abs(warped - previous - 10 * alpha) < 10, `α ${alpha}: a jump at ${hz} Hz`);
      previous = warped;
    }
  }
  assert.equal(vtlpWarp(3000, 1, 8000), 3000);
});

test("warping the mel bins: α = 1 is the identity; α > 1 moves a peak down, α < 1 up; every frame alike", () => {
  const [mels, frames, peak] = [80, 3, 50];
  const input: LogMel = {
    nMels: mels,
    nFrames: frames,
    data: Float32Array.from({ length: mels * frames }, (_, i) => (Math.floor(i / frames) === peak ? 1 : 0)),
  };
  const peakBin = (f: LogMel, t: number) => {
    let best = 0;
    for (let m = 1; m < mels; m++) if (f.data[m * frames + t]! > f.data[best * frames + t]!) best = m;
    return best;
  };
  const same = warpMelBins(input, 1);
  for (const [i, x] of input.data.entries()) assert.ok(Math.abs(same.data[i]! - x) < 1e-6, `cell ${i}`);
  const longer = warpMelBins(input, 1.1);
  const shorter = warpMelBins(input, 0.9);
  for (let t = 0; t < frames; t++) {
    assert.ok(peakBin(longer, t) < peak, `α 1.1: peak at ${peakBin(longer, t)}`);
    assert.ok(peakBin(shorter, t) > peak, `α 0.9: peak at ${peakBin(shorter, t)}`);
    assert.ok(peakBin(longer, t) >= peak - 6 && peakBin(shorter, t) <= peak + 6, "a shift of a few bins");
  }
});

test("specAugment with freqWarp: seeded warps differ by seed, masks still whole bands, range checked", () => {
  const input = features();
  const warped = (seed: number) => specAugment(input, { freqWarp: 0.1, seed }).data;
  assert.deepEqual(warped(3), warped(3));
  assert.notDeepEqual(warped(3), warped(4));
  assert.notDeepEqual(warped(3), input.data, "the warp changed the features");
  const masked = maskedCells(
    specAugment(input, { freqWarp: 0.1, freqMasks: 1, freqWidth: 6, maskValue: -5, seed: 2 }),
    -5,
  );
  for (const row of masked) assert.ok(row.every(Boolean) || !row.some(Boolean), "a band partly masked");
  assert.throws(
    () => specAugment(input, { freqWarp: 0.5, seed: 1 }),
    /freqWarp must be in \[0, 0.5\), got 0.5/,
  );
});
