// Hugging Face safetensors reader/writer (byte-compatible with the reference Rust writer), including
// sharded checkpoints; the header is validated in full before any tensor byte is trusted.

import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "./atomic.ts";

/** The dtypes this reader/writer supports. F16 and BF16 are held as float32 in memory. */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I64" | "I32" | "BOOL" | "U8";

/** One tensor; `data` is row-major with `product(shape)` elements. */
export type SafeTensor =
  | { dtype: "F32" | "F16" | "BF16"; shape: number[]; data: Float32Array }
  | { dtype: "I64"; shape: number[]; data: BigInt64Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array }
  | { dtype: "BOOL" | "U8"; shape: number[]; data: Uint8Array };

/** A parsed file: tensors by name (in file order) and the `__metadata__` string map. */
export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Thrown for malformed files or invalid tensors; the message names the file and, where known, the tensor. */
export class SafetensorsError extends Error {
  constructor(file: string, message: string, tensor?: string) {
    super(`${file}: ${tensor === undefined ? "" : `tensor "${tensor}": `}${message}`);
    this.name = "SafetensorsError";
  }
}

// Bytes per element, and the reference writer's sort rank (the order of its `Dtype` enum: it writes
// tensors by descending rank, then by name, so wider types come first and every tensor stays aligned).
type ArrayType =
  | Float32ArrayConstructor
  | BigInt64ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor;
const DTYPES: Record<SafetensorsDtype, { size: number; rank: number; array: ArrayType }> = {
  BOOL: { size: 1, rank: 0, array: Uint8Array },
  U8: { size: 1, rank: 1, array: Uint8Array },
  F16: { size: 2, rank: 7, array: Float32Array },
  BF16: { size: 2, rank: 8, array: Float32Array },
  I32: { size: 4, rank: 9, array: Int32Array },
  F32: { size: 4, rank: 11, array: Float32Array },
  I64: { size: 8, rank: 13, array: BigInt64Array },
};

const MAX_HEADER_BYTES = 100_000_000;

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(DTYPES, value);
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------------
// Half-precision conversion

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
let f16Table: Float32Array | undefined;

/** Decodes IEEE binary16 bits to a number (exact). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes a number as IEEE binary16 bits, rounding to nearest even (overflow gives ±Infinity). */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Encodes a number as bfloat16 bits (the top half of its float32), rounding to nearest even. */
export function float32ToBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function decodeF16(bytes: Uint8Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16BitsToFloat32(i);
  }
  const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Table[bits[i]!]!;
  return out;
}

function decodeBf16(bytes: Uint8Array): Float32Array {
  const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------------
// Reading

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(file: string, name: string, raw: unknown, dataSize: number): HeaderEntry {
  const fail = (msg: string) => new SafetensorsError(file, msg, name);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw fail("header entry is not an object");
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw fail(`unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    throw fail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    throw fail(`data_offsets must be [begin, end] integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataSize) {
    throw fail(`data_offsets [${begin}, ${end}] lie outside the data region of ${dataSize} bytes`);
  }
  const expected = product(shape) * DTYPES[dtype].size;
  if (end - begin !== expected) {
    throw fail(
      `byte length ${end - begin} does not match shape [${shape.join(", ")}] × ${dtype} (${expected} bytes)`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** Checks that the entries tile the data region exactly: no overlaps, no gaps, no trailing bytes. */
function checkTiling(file: string, entries: HeaderEntry[], dataSize: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) {
      throw new SafetensorsError(
        file,
        `data_offsets [${e.begin}, ${e.end}] overlap the previous tensor`,
        e.name,
      );
    }
    if (e.begin > cursor) {
      throw new SafetensorsError(file, `gap of ${e.begin - cursor} bytes before this tensor's data`, e.name);
    }
    cursor = e.end;
  }
  if (cursor !== dataSize) {
    throw new SafetensorsError(file, `${dataSize - cursor} trailing bytes after the last tensor's data`);
  }
}

function parseHeader(file: string, bytes: Uint8Array, dataSize: number) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new SafetensorsError(file, `invalid JSON header: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SafetensorsError(file, "header is not a JSON object");
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name !== "__metadata__") {
      entries.push(parseEntry(file, name, raw, dataSize));
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new SafetensorsError(file, "__metadata__ must be an object of strings");
    }
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== "string")
        throw new SafetensorsError(file, `__metadata__ value for "${k}" is not a string`);
      metadata[k] = v;
    }
  }
  checkTiling(file, entries, dataSize);
  return { metadata, entries };
}

async function readExactly(handle: fs.FileHandle, length: number, position: number): Promise<Uint8Array> {
  // A fresh ArrayBuffer per tensor keeps every typed-array view aligned.
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return buf;
}

function decodeTensor(entry: HeaderEntry, bytes: Uint8Array): SafeTensor {
  const { dtype, shape } = entry;
  const n = product(shape);
  switch (dtype) {
    case "F32":
      return { dtype, shape, data: new Float32Array(bytes.buffer, 0, n) };
    case "F16":
      return { dtype, shape, data: decodeF16(bytes) };
    case "BF16":
      return { dtype, shape, data: decodeBf16(bytes) };
    case "I64":
      return { dtype, shape, data: new BigInt64Array(bytes.buffer, 0, n) };
    case "I32":
      return { dtype, shape, data: new Int32Array(bytes.buffer, 0, n) };
    case "BOOL":
    case "U8":
      return { dtype, shape, data: bytes };
  }
}

/**
 * Reads a `.safetensors` file. F16 and BF16 tensors are converted to float32 (`dtype` keeps the stored
 * type). Throws `SafetensorsError` naming the file (and tensor) on any structural problem.
 */
export async function readSafetensors(filePath: string): Promise<SafetensorsFile> {
  if (os.endianness() !== "LE") throw new SafetensorsError(filePath, "big-endian hosts are not supported");
  const handle = await fs.open(filePath, "r");
  try {
    const { size } = await handle.stat();
    if (size < 8)
      throw new SafetensorsError(filePath, `file is ${size} bytes, too short for the 8-byte header length`);
    const lenBytes = await readExactly(handle, 8, 0);
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(size - 8)) {
      throw new SafetensorsError(
        filePath,
        `header length ${headerLen} exceeds the ${size - 8} bytes after it`,
      );
    }
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      throw new SafetensorsError(
        filePath,
        `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
      );
    }
    const dataStart = 8 + Number(headerLen);
    const header = await readExactly(handle, Number(headerLen), 8);
    const { metadata, entries } = parseHeader(filePath, header, size - dataStart);
    const tensors = new Map<string, SafeTensor>();
    for (const entry of entries) {
      const bytes = await readExactly(handle, entry.end - entry.begin, dataStart + entry.begin);
      tensors.set(entry.name, decodeTensor(entry, bytes));
    }
    return { tensors, metadata };
  } finally {
    await handle.close();
  }
}

/**
 * Reads a sharded checkpoint folder: `model.safetensors.index.json` (its `weight_map` maps tensor name to
 * shard file) and every shard it names, merged into one map. Every indexed tensor must be in its shard and
 * every shard tensor in the index. A folder with only `model.safetensors` is read as a single file.
 */
export async function readShardedSafetensors(
  folder: string,
  indexName = "model.safetensors.index.json",
): Promise<SafetensorsFile> {
  const indexPath = path.join(folder, indexName);
  let text: string;
  try {
    text = await fs.readFile(indexPath, "utf8");
  } catch (err) {
    const single = path.join(folder, "model.safetensors");
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && (await fs.stat(single).catch(() => null))) {
      return readSafetensors(single);
    }
    throw err;
  }
  const weightMap = parseWeightMap(indexPath, text);
  const shards = [...new Set(Object.values(weightMap))];
  const tensors = new Map<string, SafeTensor>();
  const metadata: Record<string, string> = {};
  for (const shard of shards) {
    const shardPath = path.join(folder, shard);
    const file = await readSafetensors(shardPath);
    Object.assign(metadata, file.metadata);
    for (const [name, tensor] of file.tensors) {
      if (weightMap[name] !== shard) {
        const where = weightMap[name] === undefined ? "is not in" : `is mapped to "${weightMap[name]}" in`;
        throw new SafetensorsError(shardPath, `${where} ${indexName}`, name);
      }
      tensors.set(name, tensor);
    }
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (!tensors.has(name))
      throw new SafetensorsError(path.join(folder, shard), "listed in the index but missing", name);
  }
  return { tensors, metadata };
}

function parseWeightMap(indexPath: string, text: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(indexPath, `invalid JSON: ${(err as Error).message}`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new SafetensorsError(indexPath, `missing "weight_map" object`);
  }
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || shard === "" || path.basename(shard) !== shard) {
      throw new SafetensorsError(
        indexPath,
        `weight_map entry must be a shard file name, got ${JSON.stringify(shard)}`,
        name,
      );
    }
  }
  return map as Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Writing

function encodeTensor(file: string, name: string, t: SafeTensor): Uint8Array {
  const fail = (msg: string) => new SafetensorsError(file, msg, name);
  if (!isDtype(t.dtype)) throw fail(`unknown dtype ${JSON.stringify(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegInt))
    throw fail(`invalid shape ${JSON.stringify(t.shape)}`);
  const n = product(t.shape);
  if (t.data.length !== n)
    throw fail(`has ${t.data.length} elements but shape [${t.shape.join(", ")}] needs ${n}`);
  const expected = DTYPES[t.dtype].array;
  if (!(t.data instanceof expected)) throw fail(`${t.dtype} data must be a ${expected.name}`);
  if (t.dtype === "F16" || t.dtype === "BF16") {
    const toBits = t.dtype === "F16" ? float32ToFloat16Bits : float32ToBfloat16Bits;
    const bits = new Uint16Array(n);
    for (let i = 0; i < n; i++) bits[i] = toBits(t.data[i]!);
    return new Uint8Array(bits.buffer);
  }
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Writes tensors (and an optional `__metadata__` string map) as a `.safetensors` file, atomically. Layout
 * matches the reference writer: tensors sorted by descending dtype width then name, contiguous data, and a
 * JSON header padded with spaces to a multiple of 8 bytes.
 */
export async function writeSafetensors(
  filePath: string,
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const named = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const list = named.map(([name, tensor]) => {
    if (name === "__metadata__") throw new SafetensorsError(filePath, "reserved tensor name", name);
    return { name, tensor, bytes: encodeTensor(filePath, name, tensor) };
  });
  list.sort(
    (a, b) => DTYPES[b.tensor.dtype].rank - DTYPES[a.tensor.dtype].rank || compareNames(a.name, b.name),
  );
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string")
        throw new SafetensorsError(filePath, `metadata value "${k}" is not a string`);
    }
    header["__metadata__"] = metadata;
  }
  let offset = 0;
  for (const { name, tensor, bytes } of list) {
    const { dtype, shape } = tensor;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  await writeFileAtomic(filePath, [prefix, padded, ...list.map((t) => t.bytes)]);
}
