// WAV decoding of every supported encoding (hand-built files), the 16-bit writer's round trip, and the clear
// errors for malformed or unsupported files (each naming the file).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { loadAudio } from "../../src/audio/index.ts";
import { decodeWav, encodeWav, readWav, WavError, writeWav } from "../../src/audio/wav.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-wav-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Spec {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  fmtSize?: number;
  extensible?: { subFormat: number; guidTail?: number[] };
  data: Uint8Array;
  dataSize?: number;
  riffSize?: number;
  before?: { id: string; body: Uint8Array }[];
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function chunk(id: string, body: Uint8Array, size = body.length): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  view.setUint32(4, size, true);
  out.set(body, 8);
  return out;
}

/** Builds a WAV file byte by byte so the tests do not depend on the encoder under test. */
function buildWav(spec: Spec): Uint8Array {
  const channels = spec.channels ?? 1;
  const bits = spec.bits ?? 16;
  const fmt = new Uint8Array(spec.extensible ? 40 : 16);
  const v = new DataView(fmt.buffer);
  v.setUint16(0, spec.extensible ? 0xfffe : (spec.format ?? 1), true);
  v.setUint16(2, channels, true);
  v.setUint32(4, spec.rate ?? 16000, true);
  v.setUint32(8, ((spec.rate ?? 16000) * channels * bits) / 8, true);
  v.setUint16(12, spec.blockAlign ?? (channels * bits) / 8, true);
  v.setUint16(14, bits, true);
  if (spec.extensible) {
    v.setUint16(16, 22, true);
    v.setUint16(18, bits, true);
    v.setUint32(20, channels === 2 ? 3 : 4, true);
    v.setUint16(24, spec.extensible.subFormat, true);
    fmt.set(spec.extensible.guidTail ?? GUID_TAIL, 26);
  }
  const parts = [
    chunk("fmt ", fmt, spec.fmtSize ?? fmt.length),
    ...(spec.before ?? []).map((c) => chunk(c.id, c.body)),
    chunk("data", spec.data, spec.dataSize ?? spec.data.length),
  ];
  const bodyLength = 4 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(8 + bodyLength);
  const head = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46], 0);
  head.setUint32(4, spec.riffSize ?? bodyLength, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8);
  let offset = 12;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function bytesOf(fill: (view: DataView) => void, length: number): Uint8Array {
  const out = new Uint8Array(length);
  fill(new DataView(out.buffer));
  return out;
}

test("16-bit PCM round-trips through encodeWav/decodeWav within one quantisation step", () => {
  const samples = Float32Array.from({ length: 1000 }, (_, i) => 0.9 * Math.sin(i / 7));
  const wav = decodeWav(encodeWav(samples, 22050));
  assert.equal(wav.sampleRate, 22050);
  assert.equal(wav.channels, 1);
  assert.equal(wav.bitsPerSample, 16);
  assert.equal(wav.samples.length, 1000);
  for (let i = 0; i < 1000; i++)
    assert.ok(Math.abs(wav.samples[i]! - samples[i]!) <= 1 / 32768, `sample ${i}`);
});

test("encodeWav clips out-of-range samples and writes a 44-byte header", () => {
  const bytes = encodeWav(Float32Array.from([2, -2, 0.5]), 16000);
  assert.equal(bytes.length, 44 + 6);
  assert.deepEqual(Array.from(decodeWav(bytes).samples), [32767 / 32768, -1, 0.5]);
});

test("8-bit unsigned, 24-bit and 32-bit PCM decode to the right values", () => {
  const u8 = decodeWav(buildWav({ bits: 8, data: Uint8Array.from([128, 255, 0, 192]) }));
  assert.deepEqual(Array.from(u8.samples), [0, 127 / 128, -1, 0.5]);
  const s24 = buildWav({
    bits: 24,
    data: Uint8Array.from([0x00, 0x00, 0x40, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80]),
  });
  assert.deepEqual(Array.from(decodeWav(s24).samples), [0.5, -1 / 8388608, -1]);
  const s32 = buildWav({
    bits: 32,
    data: bytesOf((v) => {
      v.setInt32(0, -0x40000000, true);
      v.setInt32(4, 0x7fffffff, true);
    }, 8),
  });
  const got = decodeWav(s32).samples;
  assert.equal(got[0], -0.5);
  assert.ok(Math.abs(got[1]! - 1) < 1e-7);
});

test("stereo float32 and float64 are downmixed to mono by averaging the channels", () => {
  const f32 = buildWav({
    format: 3,
    channels: 2,
    bits: 32,
    data: bytesOf((v) => {
      for (const [i, x] of [0.5, -0.25, 1, 1].entries()) v.setFloat32(4 * i, x, true);
    }, 16),
  });
  const wav = decodeWav(f32);
  assert.equal(wav.channels, 2);
  assert.equal(wav.encoding, "float");
  assert.deepEqual(Array.from(wav.samples), [0.125, 1]);
  const f64 = buildWav({ format: 3, bits: 64, data: bytesOf((v) => v.setFloat64(0, 0.1, true), 8) });
  assert.ok(Math.abs(decodeWav(f64).samples[0]! - 0.1) < 1e-8);
});

test("WAVE_FORMAT_EXTENSIBLE (16-bit stereo, 44.1 kHz) and odd-sized extra chunks before the data", () => {
  const bytes = buildWav({
    extensible: { subFormat: 1 },
    channels: 2,
    rate: 44100,
    data: bytesOf((v) => {
      v.setInt16(0, 16384, true);
      v.setInt16(2, 0, true);
    }, 4),
    before: [{ id: "LIST", body: Uint8Array.from([1, 2, 3]) }],
  });
  const wav = decodeWav(bytes);
  assert.equal(wav.sampleRate, 44100);
  assert.deepEqual(Array.from(wav.samples), [0.25]);
});

test("writeWav + readWav + loadAudio: a file on disk, resampled to 16 kHz by loadAudio", async () => {
  const file = path.join(dir, "tone.wav");
  const samples = Float32Array.from(
    { length: 8000 },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000),
  );
  await writeWav(file, samples, 8000);
  const wav = await readWav(file);
  assert.equal(wav.sampleRate, 8000);
  assert.equal(wav.samples.length, 8000);
  const audio = await loadAudio(file);
  assert.equal(audio.sampleRate, 16000);
  assert.equal(audio.samples.length, 16000);
});

/** Expects decodeWav (via a file on disk, so the message names it) to fail with `pattern`. */
async function rejects(name: string, bytes: Uint8Array, pattern: RegExp): Promise<void> {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  await assert.rejects(readWav(file), (error: unknown) => {
    assert.ok(error instanceof WavError, String(error));
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

const good = buildWav({ data: new Uint8Array(8) });

test("malformed files: truncated header, wrong chunk sizes, zero-length data", async () => {
  await rejects("empty.wav", new Uint8Array(0), /truncated header: 0 bytes/);
  await rejects("short.wav", good.subarray(0, 10), /truncated header/);
  await rejects(
    "cut.wav",
    good.subarray(0, 30),
    /truncated: the RIFF header says 52 bytes but the file has 30/,
  );
  await rejects(
    "chunkhead.wav",
    buildWav({ data: new Uint8Array(8), riffSize: 4 + 24 + 4 }),
    /truncated chunk header at byte 36/,
  );
  await rejects(
    "past.wav",
    buildWav({ data: new Uint8Array(8), dataSize: 1000 }),
    /chunk "data" at byte 36 says 1000 bytes, past the end/,
  );
  await rejects(
    "fmtsize.wav",
    buildWav({ data: new Uint8Array(8), fmtSize: 2000 }),
    /chunk "fmt " at byte 12 says 2000 bytes/,
  );
  await rejects(
    "zero.wav",
    buildWav({ data: new Uint8Array(0) }),
    /"data" chunk is empty \(zero-length audio\)/,
  );
  await rejects(
    "odd.wav",
    buildWav({ data: new Uint8Array(3) }),
    /"data" chunk size 3 is not a multiple of the 2-byte sample frame/,
  );
  await rejects(
    "align.wav",
    buildWav({ data: new Uint8Array(8), blockAlign: 4 }),
    /block align is 4 bytes, expected 2/,
  );
});

test("files that are not WAV, or use an encoding we do not decode", async () => {
  const notRiff = good.slice();
  notRiff.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  await rejects("ogg.wav", notRiff, /not a WAV file \(no RIFF\/WAVE header\)/);
  const rifx = good.slice();
  rifx[3] = 0x58; // "RIFX"
  await rejects("rifx.wav", rifx, /unsupported RIFX container/);
  await rejects(
    "mulaw.wav",
    buildWav({ format: 7, bits: 8, data: new Uint8Array(4) }),
    /format code 0x0007 \(µ-law, compressed\)/,
  );
  await rejects(
    "mp3.wav",
    buildWav({ format: 0x55, bits: 0, blockAlign: 1, data: new Uint8Array(4) }),
    /0x0055 \(MP3/,
  );
  await rejects(
    "pcm12.wav",
    buildWav({ bits: 12, blockAlign: 2, data: new Uint8Array(4) }),
    /unsupported WAV encoding: 12-bit PCM/,
  );
  const guid = buildWav({
    extensible: { subFormat: 1, guidTail: new Array(14).fill(7) },
    data: new Uint8Array(4),
  });
  await rejects("guid.wav", guid, /unknown sub-format GUID/);
  await assert.rejects(readWav(path.join(dir, "nope.wav")), /nope\.wav: no such file/);
});

test("a RIFF file without a data chunk, or without a fmt chunk", () => {
  const noData = new Uint8Array(12 + 24);
  noData.set(good.subarray(0, 36));
  new DataView(noData.buffer).setUint32(4, 28, true);
  assert.throws(() => decodeWav(noData, "a.wav"), /^WavError: a\.wav: no "data" chunk$/);
  const noFmt = new Uint8Array(12 + 8 + 2);
  noFmt.set(good.subarray(0, 12));
  noFmt.set(chunk("data", new Uint8Array(2)), 12);
  new DataView(noFmt.buffer).setUint32(4, 14, true);
  assert.throws(() => decodeWav(noFmt, "b.wav"), /b\.wav: no "fmt " chunk/);
});
