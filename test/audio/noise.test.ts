// Background noise: seeded colours with the expected spectral tilt, mixed at the requested signal-to-noise ratio.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeNoise, mixAtSnr } from "../../src/audio/noise.ts";
import { Rng } from "../../src/data/rng.ts";

/** Correlation of neighbouring samples: ~0 for white noise, near 1 for noise dominated by low frequencies. */
function lag1(x: Float32Array): number {
  let [num, den] = [0, 0];
  for (let i = 1; i < x.length; i++) num += x[i]! * x[i - 1]!;
  for (const v of x) den += v * v;
  return num / den;
}

const power = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0) / x.length;

test("makeNoise is seeded, and white < pink < brown in low-frequency weight", () => {
  assert.deepEqual(makeNoise("pink", 100, new Rng(1)), makeNoise("pink", 100, new Rng(1)));
  assert.notDeepEqual(makeNoise("pink", 100, new Rng(1)), makeNoise("pink", 100, new Rng(2)));
  const [white, pink, brown] = (["white", "pink", "brown"] as const).map((k) =>
    lag1(makeNoise(k, 20000, new Rng(3))),
  );
  assert.ok(Math.abs(white!) < 0.05, `white ${white}`);
  assert.ok(pink! > 0.3 && pink! < brown!, `pink ${pink}, brown ${brown}`);
  assert.ok(brown! > 0.9, `brown ${brown}`);
});

test("mixAtSnr adds noise at the requested SNR and keeps the mix from clipping", () => {
  const speech = Float32Array.from(
    { length: 16000 },
    (_, n) => 0.1 * Math.sin((2 * Math.PI * 300 * n) / 16000),
  );
  const noise = makeNoise("white", 16000, new Rng(4));
  for (const snr of [0, 10, 20]) {
    const mixed = mixAtSnr(speech, noise, snr);
    const residual = mixed.map((v, i) => v - speech[i]!);
    const measured = 10 * Math.log10(power(speech) / power(residual));
    assert.ok(Math.abs(measured - snr) < 0.01, `SNR ${snr}: measured ${measured}`);
  }
  const loud = mixAtSnr(
    Float32Array.from({ length: 1000 }, (_, n) => (n % 2 ? 0.99 : -0.99)),
    noise,
    0,
  );
  assert.ok(loud.every((v) => Math.abs(v) <= 0.999 + 1e-6));
  assert.deepEqual(mixAtSnr(speech, new Float32Array(16000), 10), speech);
  assert.throws(() => mixAtSnr(speech, new Float32Array(10), 10), /10 noise samples for 16000 of speech/);
});
