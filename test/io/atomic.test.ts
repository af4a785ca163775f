// Tests for atomic file and directory replacement: success paths, and failures that must leave the
// previous content untouched with no temporary files behind.

import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from "../../src/io/atomic.ts";

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), "atomic-test-"));
after(() => fs.rm(tmpRoot, { recursive: true, force: true }));

let counter = 0;
async function freshDir(): Promise<string> {
  counter += 1;
  const dir = path.join(tmpRoot, `case-${counter}`);
  await fs.mkdir(dir);
  return dir;
}

describe("writeFileAtomic", () => {
  test("creates and then replaces a file (string, bytes and chunk iterables)", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "out.txt");
    await writeFileAtomic(file, "first");
    assert.equal(await fs.readFile(file, "utf8"), "first");
    await writeFileAtomic(file, new Uint8Array([104, 105]));
    assert.equal(await fs.readFile(file, "utf8"), "hi");
    await writeFileAtomic(file, [Buffer.from("ab"), Buffer.from("cd")]);
    assert.equal(await fs.readFile(file, "utf8"), "abcd");
    async function* chunks() {
      yield Buffer.from("x");
      yield Buffer.from("yz");
    }
    await writeFileAtomic(file, chunks());
    assert.equal(await fs.readFile(file, "utf8"), "xyz");
    assert.deepEqual(await fs.readdir(dir), ["out.txt"]);
  });

  test("a failure mid-write leaves the old file intact and removes the temp file", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "model.bin");
    await writeFileAtomic(file, "old content");
    function* failing() {
      yield Buffer.alloc(1 << 16, 7);
      throw new Error("disk on fire");
    }
    await assert.rejects(writeFileAtomic(file, failing()), /disk on fire/);
    assert.equal(await fs.readFile(file, "utf8"), "old content");
    assert.deepEqual(await fs.readdir(dir), ["model.bin"]);
  });

  test("a missing directory is an error and creates nothing", async () => {
    const file = path.join(tmpRoot, "no-such-dir", "x.txt");
    await assert.rejects(writeFileAtomic(file, "x"), { code: "ENOENT" });
  });
});

describe("writeJsonAtomic", () => {
  test("writes pretty JSON with a trailing newline", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "c.json");
    await writeJsonAtomic(file, { a: 1, b: [true, null] });
    assert.equal(await fs.readFile(file, "utf8"), '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}\n');
  });
});

describe("replaceDirAtomic", () => {
  test("creates a new directory, then replaces its whole content", async () => {
    const parent = await freshDir();
    const target = path.join(parent, "ckpt");
    await replaceDirAtomic(target, async (tmp) => {
      await fs.writeFile(path.join(tmp, "a.txt"), "A1");
      await fs.writeFile(path.join(tmp, "stale.txt"), "S");
    });
    assert.deepEqual((await fs.readdir(target)).sort(), ["a.txt", "stale.txt"]);
    await replaceDirAtomic(target, async (tmp) => {
      assert.match(path.basename(tmp), /^ckpt\.tmp-[0-9a-f]{8}$/);
      await fs.writeFile(path.join(tmp, "a.txt"), "A2");
    });
    assert.deepEqual(await fs.readdir(target), ["a.txt"]);
    assert.equal(await fs.readFile(path.join(target, "a.txt"), "utf8"), "A2");
    assert.deepEqual(await fs.readdir(parent), ["ckpt"]);
  });

  test("a failing fill keeps the previous directory and removes the temporary one", async () => {
    const parent = await freshDir();
    const target = path.join(parent, "ckpt");
    await replaceDirAtomic(target, (tmp) => fs.writeFile(path.join(tmp, "weights"), "v1"));
    const failing = replaceDirAtomic(target, async (tmp) => {
      await fs.writeFile(path.join(tmp, "weights"), "v2-partial");
      throw new Error("out of memory");
    });
    await assert.rejects(failing, /out of memory/);
    assert.equal(await fs.readFile(path.join(target, "weights"), "utf8"), "v1");
    assert.deepEqual(await fs.readdir(parent), ["ckpt"]);
  });
});
