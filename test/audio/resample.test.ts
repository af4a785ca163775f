// The band-limited resampler: tones in the pass band keep frequency, amplitude and phase; tones above the new
// Nyquist frequency are removed rather than aliased; up-sampling leaves no images.
import assert from "node:assert/strict";
import { test } from "node:test";
import { besselI0, resample, toSampleRate } from "../../src/audio/resample.ts";

function tone(hz: number, rate: number, seconds: number, amplitude = 0.8): Float32Array {
  return Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, n) => amplitude * Math.sin((2 * Math.PI * hz * n) / rate),
  );
}

/** Largest |out[n] - expected(n)| away from the edges (where the filter sees the zero padding). */
function maxError(out: Float32Array, expected: (n: number) => number, margin: number): number {
  let worst = 0;
  for (let n = margin; n < out.length - margin; n++) worst = Math.max(worst, Math.abs(out[n]! - expected(n)));
  return worst;
}

function rms(x: Float32Array, margin: number): number {
  let sum = 0;
  for (let n = margin; n < x.length - margin; n++) sum += x[n]! ** 2;
  return Math.sqrt(sum / (x.length - 2 * margin));
}

test("besselI0 matches known values", () => {
  assert.equal(besselI0(0), 1);
  assert.ok(Math.abs(besselI0(1) - 1.2660658777520082) < 1e-14);
  assert.ok(Math.abs(besselI0(10) / 2815.716628466254 - 1) < 1e-13);
});

test("a 1 kHz sine at 44.1 kHz resampled to 16 kHz keeps its frequency, amplitude and phase", () => {
  const out = resample(tone(1000, 44100, 1), 44100, 16000);
  assert.equal(out.length, 16000);
  const err = maxError(out, (n) => 0.8 * Math.sin((2 * Math.PI * 1000 * n) / 16000), 200);
  assert.ok(err < 1e-4, `max error ${err}`);
});

test("a 7 kHz tone (inside the 0.9 × Nyquist pass band) keeps its amplitude", () => {
  const out = resample(tone(7000, 44100, 0.5), 44100, 16000);
  const err = maxError(out, (n) => 0.8 * Math.sin((2 * Math.PI * 7000 * n) / 16000), 200);
  assert.ok(err < 1e-3, `max error ${err}`);
});

test("tones above the new Nyquist frequency (8.1, 9.5, 15 kHz) are attenuated by more than 80 dB instead of aliasing", () => {
  for (const hz of [8100, 9500, 15000]) {
    const input = tone(hz, 44100, 0.5);
    const out = resample(input, 44100, 16000);
    const ratio = rms(out, 200) / rms(input, 200);
    assert.ok(ratio < 1e-4, `${hz} Hz: output/input RMS ${ratio}`);
  }
});

test("a 7.9 kHz tone, near the top of the 7.2-8 kHz transition band, is attenuated by more than 20 dB", () => {
  const input = tone(7900, 44100, 0.5);
  const ratio = rms(resample(input, 44100, 16000), 200) / rms(input, 200);
  assert.ok(ratio < 0.1, `7.9 kHz: output/input RMS ${ratio}`);
});

test("up-sampling 8 kHz -> 16 kHz interpolates a 1 kHz sine without images", () => {
  const out = resample(tone(1000, 8000, 0.5), 8000, 16000);
  assert.equal(out.length, 8000);
  const err = maxError(out, (n) => 0.8 * Math.sin((2 * Math.PI * 1000 * n) / 16000), 100);
  assert.ok(err < 1e-4, `max error ${err}`);
});

test("DC passes with unit gain; integer and awkward ratios give ceil(n · to / from) samples", () => {
  const dc = resample(new Float32Array(4800).fill(0.5), 48000, 16000);
  assert.equal(dc.length, 1600);
  assert.ok(maxError(dc, () => 0.5, 100) < 1e-4);
  assert.equal(resample(new Float32Array(4410), 44101, 16000).length, 1600);
  assert.equal(resample(new Float32Array(10), 22050, 16000).length, 8);
});

test("equal rates copy; bad rates and options are errors naming the argument", () => {
  const x = Float32Array.from([1, 2, 3]);
  const y = resample(x, 16000, 16000);
  assert.deepEqual(y, x);
  assert.notEqual(y, x);
  const audio = { sampleRate: 16000, samples: x };
  assert.equal(toSampleRate(audio, 16000), audio);
  assert.equal(toSampleRate(audio, 8000).samples.length, 2);
  assert.throws(() => resample(x, 0, 16000), /fromRate must be a positive integer, got 0/);
  assert.throws(() => resample(x, 16000, 22050.5), /toRate must be a positive integer/);
  assert.throws(() => resample(x, 16000, 8000, { passband: 1.2 }), /passband must be in \(0, 1\)/);
});
