// Whisper log-mel features against (1) a direct reference written independently here (naive DFT, librosa's
// filter-bank formula) to 1e-4, and (2) golden values from a numpy transcription of transformers' audio_utils.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Fft,
  hannWindow,
  hertzToMel,
  logMelSpectrogram,
  melFilterBank,
  melToHertz,
  numFrames,
} from "../../src/audio/mel.ts";
import { Rng } from "../../src/data/rng.ts";

/** librosa.filters.mel(sr, n_fft, n_mels, htk=False, norm="slaney"), transcribed loop by loop. Returns rows per mel. */
function librosaMel(sr: number, nFft: number, nMels: number): number[][] {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  const toHz = (mel: number) =>
    mel >= minLogMel ? minLogHz * Math.exp(logstep * (mel - minLogMel)) : fSp * mel;
  const toMel = (hz: number) => (hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logstep : hz / fSp);
  const maxMel = toMel(sr / 2);
  const melF = Array.from({ length: nMels + 2 }, (_, i) => toHz((maxMel * i) / (nMels + 1)));
  const fftFreqs = Array.from({ length: nFft / 2 + 1 }, (_, k) => (k * sr) / nFft);
  return Array.from({ length: nMels }, (_, i) => {
    const enorm = 2 / (melF[i + 2]! - melF[i]!);
    return fftFreqs.map((f) => {
      const lower = (f - melF[i]!) / (melF[i + 1]! - melF[i]!);
      const upper = (melF[i + 2]! - f) / (melF[i + 2]! - melF[i + 1]!);
      return Math.max(0, Math.min(lower, upper)) * enorm;
    });
  });
}

/** Whisper features the slow, obvious way: explicit mirror padding, a naive DFT per frame, dense filter bank. */
function referenceFeatures(wave: Float32Array, nMels: number): number[][] {
  const nFft = 400;
  const hop = 160;
  const padded: number[] = [];
  for (let i = -200; i < wave.length + 200; i++) {
    const j = i < 0 ? -i : i >= wave.length ? 2 * (wave.length - 1) - i : i;
    padded.push(wave[j]!);
  }
  const frames = 1 + Math.floor((padded.length - nFft) / hop) - 1; // the last frame is dropped
  const bank = librosaMel(16000, nFft, nMels);
  const cos = Array.from({ length: nFft }, (_, e) => Math.cos((2 * Math.PI * e) / nFft));
  const sin = Array.from({ length: nFft }, (_, e) => Math.sin((2 * Math.PI * e) / nFft));
  const logMel = bank.map(() => new Array<number>(frames).fill(0));
  for (let t = 0; t < frames; t++) {
    const x = Array.from(
      { length: nFft },
      (_, j) => padded[t * hop + j]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * j) / nFft)),
    );
    const power = Array.from({ length: nFft / 2 + 1 }, (_, k) => {
      let re = 0;
      let im = 0;
      for (let j = 0; j < nFft; j++) {
        re += x[j]! * cos[(j * k) % nFft]!;
        im -= x[j]! * sin[(j * k) % nFft]!;
      }
      return re * re + im * im;
    });
    bank.forEach((row, m) => {
      const energy = row.reduce((acc, w, k) => acc + w * power[k]!, 0);
      logMel[m]![t] = Math.log10(Math.max(energy, 1e-10));
    });
  }
  const max = Math.max(...logMel.flat());
  return logMel.map((row) => row.map((v) => (Math.max(v, max - 8) + 4) / 4));
}

/** A speech-like test signal: a gliding harmonic tone with an onset, a burst of noise and a stretch of silence. */
function testSignal(length: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, (_, n) => {
    const t = n / 16000;
    const f0 = 120 + 80 * t;
    let x = 0;
    for (let h = 1; h <= 5; h++) x += (0.3 / h) * Math.sin(2 * Math.PI * h * f0 * t);
    if (n > length * 0.6 && n < length * 0.7) x += 0.2 * (rng.next() - 0.5);
    return n < length * 0.85 ? x * Math.min(1, n / 800) : 0;
  });
}

function assertClose(
  actual: Float32Array,
  expected: number[][],
  nFrames: number,
  tolerance: number,
  what: string,
): void {
  let worst = 0;
  for (const [m, row] of expected.entries()) {
    for (const [t, v] of row.entries()) worst = Math.max(worst, Math.abs(actual[m * nFrames + t]! - v));
  }
  assert.ok(worst < tolerance, `${what}: max |difference| ${worst}`);
}

test("the mixed-radix FFT equals a naive DFT for sizes 1, 2, 7, 12, 97 and 400", () => {
  const rng = new Rng(3);
  for (const n of [1, 2, 7, 12, 97, 400]) {
    const re = Float64Array.from({ length: n }, () => rng.next() - 0.5);
    const im = Float64Array.from({ length: n }, () => rng.next() - 0.5);
    const [xr, xi] = [re.slice(), im.slice()];
    new Fft(n).forward(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * j * k) / n;
        sr += xr[j]! * Math.cos(a) - xi[j]! * Math.sin(a);
        si += xr[j]! * Math.sin(a) + xi[j]! * Math.cos(a);
      }
      assert.ok(Math.abs(re[k]! - sr) < 1e-9 && Math.abs(im[k]! - si) < 1e-9, `n=${n} bin ${k}`);
    }
  }
});

test("periodic Hann window and the Slaney mel scale", () => {
  const w = hannWindow(4);
  assert.deepEqual(
    Array.from(w, (x) => Number(x.toFixed(12))),
    [0, 0.5, 1, 0.5],
  );
  assert.equal(hertzToMel(600), 9);
  assert.ok(Math.abs(hertzToMel(8000) - 45.245640471924965) < 1e-12); // Whisper's max_mel
  for (const hz of [0, 440, 1000, 3000, 8000]) assert.ok(Math.abs(melToHertz(hertzToMel(hz)) - hz) < 1e-9);
});

test("melFilterBank equals librosa's formula and transformers' values (80 and 128 bins)", () => {
  for (const nMels of [80, 128]) {
    const ours = melFilterBank(16000, 400, nMels);
    const theirs = librosaMel(16000, 400, nMels);
    for (const [m, row] of theirs.entries()) {
      for (const [k, v] of row.entries())
        assert.ok(Math.abs(ours[m * 201 + k]! - v) < 1e-12, `mel ${m} bin ${k}`);
    }
  }
  // [fft bin, mel] -> weight, from transformers.audio_utils.mel_filter_bank(201, 80, 0, 8000, 16000, "slaney", "slaney").
  const bank = melFilterBank(16000, 400, 80);
  const golden: [number, number, number][] = [
    [7, 6, 0.012917662655587655],
    [21, 22, 0.01495384377778533],
    [56, 47, 0.009832492179587971],
    [112, 64, 0.0005991620753479374],
    [182, 77, 0.0016815638696271206],
    [1, 0, 0.024862593984176087],
    [50, 40, 0],
  ];
  for (const [k, m, v] of golden) assert.ok(Math.abs(bank[m * 201 + k]! - v) < 1e-12, `bin ${k} mel ${m}`);
});

test("logMelSpectrogram matches the direct reference to 1e-4 (80 mels, 128 mels)", () => {
  const wave = testSignal(8000, 1);
  for (const nMels of [80, 128]) {
    const ours = logMelSpectrogram(wave, { nMels });
    assert.equal(ours.nMels, nMels);
    assert.equal(ours.nFrames, 50);
    assertClose(ours.data, referenceFeatures(wave, nMels), ours.nFrames, 1e-4, `${nMels} mels`);
  }
});

test("chunkSeconds pads with silence (or trims) before the STFT, like Whisper's 30 s chunks", () => {
  const wave = testSignal(6000, 2);
  const padded = logMelSpectrogram(wave, { chunkSeconds: 0.5 });
  assert.equal(padded.nFrames, 50);
  const withZeros = new Float32Array(8000);
  withZeros.set(wave);
  assertClose(padded.data, referenceFeatures(withZeros, 80), 50, 1e-4, "padded");
  const trimmed = logMelSpectrogram(wave, { chunkSeconds: 0.25 });
  assert.equal(trimmed.nFrames, 25);
  assertClose(trimmed.data, referenceFeatures(wave.subarray(0, 4000), 80), 25, 1e-4, "trimmed");
  const whisper = logMelSpectrogram(wave, { chunkSeconds: 30 });
  assert.equal(whisper.nFrames, 3000);
  assert.equal(numFrames(480000), 3000);
});

test("golden values from a numpy transcription of transformers' WhisperFeatureExtractor", () => {
  // w[n] = float32(0.5 sin(2π·440n/16k)·min(1, n/1000) + 0.25 sin(2π·3000n/16k)·[n ≥ 2000]), n < 4000.
  const wave = Float32Array.from({ length: 4000 }, (_, n) => {
    const a = 0.5 * Math.sin((2 * Math.PI * 440 * n) / 16000) * Math.min(1, n / 1000);
    return a + (n >= 2000 ? 0.25 * Math.sin((2 * Math.PI * 3000 * n) / 16000) : 0);
  });
  const f = logMelSpectrogram(wave);
  assert.equal(f.nFrames, 25);
  const golden: [number, number, number][] = [
    [0, 0, -0.548601],
    [9, 3, 1.004748],
    [12, 12, 1.294564],
    [54, 12, 0.849454],
    [75, 12, -0.0068],
    [54, 22, 1.163527],
    [30, 7, -0.56176],
  ];
  for (const [m, t, v] of golden)
    assert.ok(Math.abs(f.data[m * 25 + t]! - v) < 1e-5, `mel ${m} frame ${t}: ${f.data[m * 25 + t]}`);
  const sum = f.data.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - -695.1521606445312) < 1e-3, `sum ${sum}`);
});

test("too-short and empty inputs are clear errors", () => {
  assert.throws(
    () => logMelSpectrogram(new Float32Array(100)),
    /100 samples are too short for one frame \(need ≥ 160\)/,
  );
  assert.throws(() => logMelSpectrogram(new Float32Array(0)), /too short/);
  assert.equal(logMelSpectrogram(new Float32Array(160)).nFrames, 1);
});
