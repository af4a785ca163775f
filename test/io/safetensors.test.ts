// Tests for the safetensors reader/writer: round trips, exact layout, every corruption the reader must
// reject, sharded folders, and a real file written by Python's safetensors.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  readSafetensors,
  readShardedSafetensors,
  type SafeTensor,
  SafetensorsError,
  writeSafetensors,
} from "../../src/io/safetensors.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixtureDir = path.resolve(repoRoot, "../shared/fixtures/hf/t5_v1_1");
const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), "safetensors-test-"));
after(() => fs.rm(tmpRoot, { recursive: true, force: true }));

let counter = 0;
function tmpFile(name = "t.safetensors"): string {
  counter += 1;
  return path.join(tmpRoot, `${counter}-${name}`);
}

/** Builds a file from a raw header object and data bytes, bypassing the writer's checks. */
async function craft(header: unknown, data: Uint8Array, headerText?: string): Promise<string> {
  const json = Buffer.from(headerText ?? JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const file = tmpFile();
  await fs.writeFile(file, Buffer.concat([prefix, json, data]));
  return file;
}

async function expectError(file: string, pattern: RegExp, tensor?: string): Promise<void> {
  await assert.rejects(readSafetensors(file), (err: Error) => {
    assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${err}`);
    assert.ok(err.message.startsWith(`${file}: `), `message should name the file: ${err.message}`);
    if (tensor !== undefined) assert.ok(err.message.includes(`tensor "${tensor}"`), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("half-precision conversion", () => {
  test("float16 encodes known bit patterns and rounds to nearest even", () => {
    assert.equal(float32ToFloat16Bits(1), 0x3c00);
    assert.equal(float32ToFloat16Bits(-2), 0xc000);
    assert.equal(float32ToFloat16Bits(65504), 0x7bff);
    assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001);
    assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000);
    assert.equal(float32ToFloat16Bits(70000), 0x7c00);
    assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie -> even mantissa 0
    assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even mantissa 2
    assert.equal(float32ToFloat16Bits(-0), 0x8000);
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
    assert.equal(float16BitsToFloat32(0x3555), 0.333251953125);
  });

  test("bfloat16 encodes known bit patterns and rounds to nearest even", () => {
    assert.equal(float32ToBfloat16Bits(1), 0x3f80);
    assert.equal(float32ToBfloat16Bits(-2), 0xc000);
    assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80);
    assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
    assert.equal(float32ToBfloat16Bits(Number.POSITIVE_INFINITY), 0x7f80);
  });
});

describe("round trip", () => {
  const tensors: Record<string, SafeTensor> = {
    f32: { dtype: "F32", shape: [2, 3], data: new Float32Array([1.5, -2, 0, 3.25, 1e-30, -7]) },
    f16: { dtype: "F16", shape: [4], data: new Float32Array([0.5, -65504, 2 ** -24, 1 + 2 ** -11]) },
    bf16: { dtype: "BF16", shape: [3], data: new Float32Array([1, -3.5, 1 + 3 * 2 ** -8]) },
    i64: { dtype: "I64", shape: [3], data: new BigInt64Array([2n ** 62n, -1n, 0n]) },
    i32: { dtype: "I32", shape: [2, 1], data: new Int32Array([-2147483648, 42]) },
    mask: { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) },
    bytes: { dtype: "U8", shape: [], data: new Uint8Array([255]) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
  };

  test("every dtype survives write + read", async () => {
    const file = tmpFile();
    await writeSafetensors(file, tensors, { format: "pt", note: "round trip" });
    const read = await readSafetensors(file);
    assert.deepEqual(read.metadata, { format: "pt", note: "round trip" });
    assert.deepEqual([...read.tensors.keys()].sort(), Object.keys(tensors).sort());
    const get = (name: string) => read.tensors.get(name)!;
    assert.deepEqual(get("f32"), tensors["f32"]);
    assert.deepEqual(get("f16").data, new Float32Array([0.5, -65504, 2 ** -24, 1]));
    assert.deepEqual(get("bf16").data, new Float32Array([1, -3.5, 1 + 2 ** -6]));
    assert.equal(get("f16").dtype, "F16");
    assert.deepEqual(get("i64"), tensors["i64"]);
    assert.deepEqual(get("i32"), tensors["i32"]);
    assert.deepEqual(get("mask"), tensors["mask"]);
    assert.deepEqual(get("bytes"), { dtype: "U8", shape: [], data: new Uint8Array([255]) });
    assert.deepEqual(get("empty"), tensors["empty"]);
  });

  test("layout matches the reference writer: padded header, wide dtypes first, contiguous data", async () => {
    const file = tmpFile();
    await writeSafetensors(file, tensors);
    const bytes = readFileSync(file);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    assert.equal(headerLen % 8, 0);
    const headerText = bytes.subarray(8, 8 + headerLen).toString("utf8");
    assert.match(headerText, /^\{.*\} *$/);
    const header = JSON.parse(headerText) as Record<string, { data_offsets: [number, number] }>;
    assert.equal("__metadata__" in header, false);
    assert.deepEqual(Object.keys(header), ["i64", "empty", "f32", "i32", "bf16", "f16", "bytes", "mask"]);
    let cursor = 0;
    for (const entry of Object.values(header)) {
      assert.equal(entry.data_offsets[0], cursor);
      cursor = entry.data_offsets[1];
    }
    assert.equal(8 + headerLen + cursor, bytes.length);
  });

  test("writer rejects data whose length does not match the shape, naming the tensor", async () => {
    const bad = { w: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } as SafeTensor };
    await assert.rejects(
      writeSafetensors(tmpFile(), bad),
      /tensor "w": has 3 elements but shape \[2, 2\] needs 4/,
    );
    const f64 = { w: { dtype: "F64", shape: [1], data: new Float32Array(1) } as unknown as SafeTensor };
    await assert.rejects(writeSafetensors(tmpFile(), f64), /tensor "w": unknown dtype "F64"/);
    const meta = { n: 1 } as unknown as Record<string, string>;
    await assert.rejects(writeSafetensors(tmpFile(), {}, meta), /metadata value "n" is not a string/);
    const wrongArray = {
      w: { dtype: "I32", shape: [1], data: new Float32Array(1) } as unknown as SafeTensor,
    };
    await assert.rejects(
      writeSafetensors(tmpFile(), wrongArray),
      /tensor "w": I32 data must be a Int32Array/,
    );
  });
});

describe("corrupt files", () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
  const entry = (dtype: string, shape: number[], begin: number, end: number) => ({
    dtype,
    shape,
    data_offsets: [begin, end],
  });

  test("file shorter than 8 bytes", async () => {
    const file = tmpFile();
    await fs.writeFile(file, Buffer.from([1, 2, 3, 4, 5]));
    await expectError(file, /5 bytes, too short/);
  });

  test("header length larger than the file", async () => {
    const file = tmpFile();
    await writeSafetensors(file, { a: { dtype: "F32", shape: [2], data: new Float32Array(2) } });
    const bytes = readFileSync(file);
    bytes.writeBigUInt64LE(BigInt(bytes.length));
    await fs.writeFile(file, bytes);
    await expectError(file, /header length \d+ exceeds/);
  });

  test("invalid JSON header", async () => {
    await expectError(await craft(null, new Uint8Array(0), '{"a": '), /invalid JSON header/);
    await expectError(await craft(null, new Uint8Array(0), "[1, 2]"), /not a JSON object/);
  });

  test("truncated data: last tensor's offsets run past the end", async () => {
    const file = tmpFile();
    const data = new Float32Array(4);
    await writeSafetensors(file, {
      a: { dtype: "F32", shape: [4], data },
      b: { dtype: "F32", shape: [4], data },
    });
    const bytes = readFileSync(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 4));
    await expectError(file, /outside the data region of 28 bytes/, "b");
  });

  test("offset outside the data region", async () => {
    await expectError(await craft({ x: entry("F32", [2], 0, 16) }, f32(2)), /outside the data region/, "x");
    await expectError(await craft({ x: entry("F32", [0], 8, 4) }, f32(2)), /outside the data region/, "x");
  });

  test("overlapping offsets", async () => {
    const header = { a: entry("F32", [2], 0, 8), b: entry("F32", [2], 4, 12) };
    await expectError(await craft(header, f32(3)), /overlap/, "b");
  });

  test("gap between tensors, and trailing bytes", async () => {
    const gap = { a: entry("F32", [1], 0, 4), b: entry("F32", [1], 8, 12) };
    await expectError(await craft(gap, f32(3)), /gap of 4 bytes/, "b");
    await expectError(await craft({ a: entry("F32", [1], 0, 4) }, f32(2)), /4 trailing bytes/);
  });

  test("byte length that does not match shape × dtype size", async () => {
    await expectError(
      await craft({ w: entry("F16", [3], 0, 8) }, f32(2)),
      /byte length 8 .* \(6 bytes\)/,
      "w",
    );
  });

  test("unknown dtype, bad shape, bad metadata", async () => {
    await expectError(
      await craft({ w: entry("F8_E4M3", [4], 0, 4) }, f32(1)),
      /unknown dtype "F8_E4M3"/,
      "w",
    );
    await expectError(await craft({ w: entry("F32", [-1], 0, 4) }, f32(1)), /shape must be/, "w");
    await expectError(
      await craft({ __metadata__: { n: 1 } }, new Uint8Array(0)),
      /__metadata__ value for "n"/,
    );
  });
});

describe("sharded checkpoints", () => {
  const t = (v: number): SafeTensor => ({ dtype: "F32", shape: [1], data: new Float32Array([v]) });

  async function makeShards(weightMap: Record<string, string>): Promise<string> {
    const dir = path.join(tmpRoot, `sharded-${++counter}`);
    await fs.mkdir(dir);
    await writeSafetensors(
      path.join(dir, "model-00001-of-00002.safetensors"),
      { a: t(1), b: t(2) },
      { format: "pt" },
    );
    await writeSafetensors(path.join(dir, "model-00002-of-00002.safetensors"), { c: t(3) }, { format: "pt" });
    const index = { metadata: { total_size: 12 }, weight_map: weightMap };
    await fs.writeFile(path.join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    return dir;
  }
  const one = "model-00001-of-00002.safetensors";
  const two = "model-00002-of-00002.safetensors";

  test("merges all shards named in weight_map", async () => {
    const dir = await makeShards({ a: one, b: one, c: two });
    const { tensors, metadata } = await readShardedSafetensors(dir);
    assert.deepEqual([...tensors.keys()].sort(), ["a", "b", "c"]);
    assert.deepEqual(tensors.get("c")!.data, new Float32Array([3]));
    assert.deepEqual(metadata, { format: "pt" });
  });

  test("a tensor missing from the index, or listed but absent, is an error", async () => {
    const missing = await makeShards({ a: one, c: two });
    await assert.rejects(
      readShardedSafetensors(missing),
      /tensor "b": is not in model.safetensors.index.json/,
    );
    const absent = await makeShards({ a: one, b: one, c: two, d: two });
    await assert.rejects(readShardedSafetensors(absent), /tensor "d": listed in the index but missing/);
    const outside = await makeShards({ a: "../x.safetensors" });
    await assert.rejects(
      readShardedSafetensors(outside),
      /tensor "a": weight_map entry must be a shard file name/,
    );
  });

  test("a folder with a single model.safetensors and no index is read directly", async () => {
    const dir = path.join(tmpRoot, "single");
    await fs.mkdir(dir);
    await writeSafetensors(path.join(dir, "model.safetensors"), { z: t(9) });
    const { tensors } = await readShardedSafetensors(dir);
    assert.deepEqual([...tensors.keys()], ["z"]);
  });
});

describe("file written by Python safetensors", () => {
  const modelPath = path.join(fixtureDir, "model.safetensors");
  const skip = existsSync(modelPath) ? false : `fixture ${modelPath} is absent`;

  test("names, shapes and metadata match expected.json; re-writing is byte-identical", { skip }, async () => {
    const expected = JSON.parse(readFileSync(path.join(fixtureDir, "expected.json"), "utf8")) as {
      safetensors_keys: Record<string, number[]>;
      safetensors_metadata: Record<string, string>;
    };
    const file = await readSafetensors(modelPath);
    assert.deepEqual(file.metadata, expected.safetensors_metadata);
    assert.equal(file.tensors.size, Object.keys(expected.safetensors_keys).length);
    for (const [name, shape] of Object.entries(expected.safetensors_keys)) {
      const tensor = file.tensors.get(name);
      assert.ok(tensor, `missing tensor ${name}`);
      assert.deepEqual(tensor.shape, shape, name);
      assert.equal(
        tensor.data.length,
        shape.reduce((a, b) => a * b, 1),
      );
    }
    assert.deepEqual(
      file.tensors.get("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")?.shape,
      [8, 4],
    );
    const copy = tmpFile();
    await writeSafetensors(copy, file.tensors, file.metadata);
    assert.ok(
      readFileSync(copy).equals(readFileSync(modelPath)),
      "re-written file differs from the original",
    );
  });
});
