// RIFF/WAVE reading and writing: the one audio container speech input comes in. Decodes PCM (8/16/24/32-bit)
// and IEEE float (32/64-bit), plain or WAVE_FORMAT_EXTENSIBLE, to mono float samples; anything else is a clear error.
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/atomic.ts";

/** Decoded audio: mono samples in [-1, 1] at `sampleRate` Hz. */
export interface Audio {
  sampleRate: number;
  /** [numSamples] mono (multi-channel input is averaged). */
  samples: Float32Array;
}

/** What `decodeWav` found in the header, besides the samples. */
export interface WavInfo extends Audio {
  /** Channels in the file before the downmix to mono. */
  channels: number;
  /** Bits per sample as stored (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  /** "pcm" for integer samples, "float" for IEEE float samples. */
  encoding: "pcm" | "float";
}

/** A WAV file that cannot be decoded; the message starts with the file name. */
export class WavError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "WavError";
  }
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of the KSDATAFORMAT_SUBTYPE_* GUIDs; bytes 0..1 carry the plain format code. */
const SUBTYPE_GUID_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];
const KNOWN_COMPRESSED: Record<number, string> = {
  2: "Microsoft ADPCM",
  6: "A-law",
  7: "µ-law",
  17: "IMA ADPCM",
  49: "GSM 6.10",
  80: "MPEG",
  85: "MP3",
};

interface FormatChunk {
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function ascii(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** Reads the `fmt ` chunk body, resolving WAVE_FORMAT_EXTENSIBLE to its sub-format code. */
function parseFormat(view: DataView, offset: number, size: number, file: string): FormatChunk {
  if (size < 16) throw new WavError(file, `"fmt " chunk is ${size} bytes, expected at least 16`);
  let format = view.getUint16(offset, true);
  const fmt: FormatChunk = {
    format,
    channels: view.getUint16(offset + 2, true),
    sampleRate: view.getUint32(offset + 4, true),
    blockAlign: view.getUint16(offset + 12, true),
    bitsPerSample: view.getUint16(offset + 14, true),
  };
  if (format === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40)
      throw new WavError(file, `WAVE_FORMAT_EXTENSIBLE "fmt " chunk is ${size} bytes, expected 40`);
    const validBits = view.getUint16(offset + 18, true);
    format = view.getUint16(offset + 24, true);
    const tail = SUBTYPE_GUID_TAIL.every((b, i) => view.getUint8(offset + 26 + i) === b);
    if (!tail) throw new WavError(file, "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID");
    if (validBits !== 0 && validBits > fmt.bitsPerSample) {
      throw new WavError(file, `valid bits ${validBits} exceed the container's ${fmt.bitsPerSample} bits`);
    }
    fmt.format = format;
  }
  return fmt;
}

/** Checks that the format is one we decode and that its numbers agree with each other. */
function checkFormat(fmt: FormatChunk, file: string): "pcm" | "float" {
  const { format, channels, sampleRate, blockAlign, bitsPerSample } = fmt;
  let encoding: "pcm" | "float";
  if (format === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bitsPerSample)) encoding = "pcm";
  else if (format === WAVE_FORMAT_IEEE_FLOAT && (bitsPerSample === 32 || bitsPerSample === 64))
    encoding = "float";
  else {
    const name = KNOWN_COMPRESSED[format];
    const what =
      format === WAVE_FORMAT_PCM || format === WAVE_FORMAT_IEEE_FLOAT
        ? `${bitsPerSample}-bit ${format === WAVE_FORMAT_PCM ? "PCM" : "float"}`
        : `format code 0x${format.toString(16).padStart(4, "0")}${name ? ` (${name}, compressed)` : ""}`;
    throw new WavError(
      file,
      `unsupported WAV encoding: ${what}; supported are 8/16/24/32-bit PCM and 32/64-bit float (convert with e.g. \`sox in.wav -b 16 out.wav\`)`,
    );
  }
  if (channels === 0) throw new WavError(file, "the header says 0 channels");
  if (sampleRate === 0) throw new WavError(file, "the header says a sample rate of 0 Hz");
  const expected = (channels * bitsPerSample) / 8;
  if (blockAlign !== expected) {
    throw new WavError(
      file,
      `block align is ${blockAlign} bytes, expected ${expected} (${channels} ch × ${bitsPerSample} bits)`,
    );
  }
  return encoding;
}

/** Reads one sample (of any supported encoding) at byte `offset` as a float in [-1, 1]. */
function sampleReader(view: DataView, encoding: "pcm" | "float", bits: number): (offset: number) => number {
  if (encoding === "float") {
    return bits === 32 ? (o) => view.getFloat32(o, true) : (o) => view.getFloat64(o, true);
  }
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608;
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

/** Walks the RIFF chunk list; returns the fmt chunk and the byte range of the data chunk. */
function findChunks(
  bytes: Uint8Array,
  view: DataView,
  file: string,
): { fmt: FormatChunk; dataStart: number; dataSize: number } {
  if (bytes.length < 12)
    throw new WavError(file, `truncated header: ${bytes.length} bytes, a WAV file has at least 44`);
  const magic = ascii(bytes, 0);
  if (magic === "RIFX" || magic === "RF64")
    throw new WavError(file, `unsupported ${magic} container (only little-endian RIFF)`);
  if (magic !== "RIFF" || ascii(bytes, 8) !== "WAVE")
    throw new WavError(file, "not a WAV file (no RIFF/WAVE header)");
  const riffEnd = 8 + view.getUint32(4, true);
  if (riffEnd > bytes.length) {
    throw new WavError(
      file,
      `truncated: the RIFF header says ${riffEnd} bytes but the file has ${bytes.length}`,
    );
  }
  let fmt: FormatChunk | undefined;
  let data: { start: number; size: number } | undefined;
  let offset = 12;
  while (offset < riffEnd) {
    if (offset + 8 > riffEnd) throw new WavError(file, `truncated chunk header at byte ${offset}`);
    const id = ascii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const start = offset + 8;
    if (start + size > riffEnd) {
      throw new WavError(
        file,
        `chunk "${id}" at byte ${offset} says ${size} bytes, past the end of the file (${riffEnd} bytes)`,
      );
    }
    if (id === "fmt ") fmt = parseFormat(view, start, size, file);
    else if (id === "data") data = { start, size };
    offset = start + size + (size % 2); // chunks are word-aligned
  }
  if (!fmt) throw new WavError(file, 'no "fmt " chunk');
  if (!data) throw new WavError(file, 'no "data" chunk');
  return { fmt, dataStart: data.start, dataSize: data.size };
}

/**
 * Decodes a WAV file's bytes to mono float samples. `file` names the source in error messages.
 * Channels are averaged; integer PCM is scaled by 2^(bits-1) (8-bit is unsigned, offset 128).
 */
export function decodeWav(bytes: Uint8Array, file = "<wav>"): WavInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { fmt, dataStart, dataSize } = findChunks(bytes, view, file);
  const encoding = checkFormat(fmt, file);
  if (dataSize === 0) throw new WavError(file, 'the "data" chunk is empty (zero-length audio)');
  if (dataSize % fmt.blockAlign !== 0) {
    throw new WavError(
      file,
      `"data" chunk size ${dataSize} is not a multiple of the ${fmt.blockAlign}-byte sample frame`,
    );
  }
  const frames = dataSize / fmt.blockAlign;
  const bytesPerSample = fmt.bitsPerSample / 8;
  const read = sampleReader(view, encoding, fmt.bitsPerSample);
  const samples = new Float32Array(frames); // [frames]
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    const base = dataStart + i * fmt.blockAlign;
    for (let c = 0; c < fmt.channels; c++) sum += read(base + c * bytesPerSample);
    samples[i] = sum / fmt.channels;
  }
  return {
    sampleRate: fmt.sampleRate,
    samples,
    channels: fmt.channels,
    bitsPerSample: fmt.bitsPerSample,
    encoding,
  };
}

/** Reads and decodes a WAV file (see decodeWav); errors name the file. */
export async function readWav(path: string): Promise<WavInfo> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WavError(path, code === "ENOENT" ? "no such file" : `cannot read: ${String(error)}`);
  }
  return decodeWav(bytes, path);
}

/** Encodes mono samples as a 16-bit PCM WAV file (44-byte header); samples are scaled by 32768 and clipped. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new Error(`sample rate must be a positive integer, got ${sampleRate}`);
  const dataSize = samples.length * 2;
  const bytes = new Uint8Array(44 + dataSize);
  const view = new DataView(bytes.buffer);
  const tag = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  tag(0, "RIFF");
  view.setUint32(4, 36 + dataSize, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true);
  tag(36, "data");
  view.setUint32(40, dataSize, true);
  for (let i = 0; i < samples.length; i++) {
    const q = Math.round(samples[i]! * 32768);
    view.setInt16(44 + 2 * i, Math.min(32767, Math.max(-32768, q)), true);
  }
  return bytes;
}

/** Writes mono samples to `path` as a 16-bit PCM WAV file, atomically (a reader never sees half a file). */
export async function writeWav(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  await writeFileAtomic(path, encodeWav(samples, sampleRate));
}
