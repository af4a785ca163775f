// Crash-safe writes: a reader sees either the old file (or directory) or the complete new one, never half.
// Checkpoints, configs and exported model folders all go through here.

import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";

/** What `writeFileAtomic` accepts: a whole buffer/string, or chunks streamed in order. */
export type AtomicData = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function randomSuffix(): string {
  return randomBytes(4).toString("hex");
}

/** Fsyncs a directory so a rename inside it survives a crash; ignored where the OS refuses. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // Some platforms/filesystems cannot open or fsync directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

async function writeChunks(handle: fs.FileHandle, data: AtomicData): Promise<void> {
  if (typeof data === "string" || data instanceof Uint8Array) {
    await handle.writeFile(data);
    return;
  }
  for await (const chunk of data) {
    let written = 0;
    while (written < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
      written += bytesWritten;
    }
  }
}

/**
 * Writes `data` to `filePath` atomically: the bytes go to a temporary file in the same directory,
 * which is fsynced and then renamed over the target. If anything fails (including an exception thrown
 * by a chunk iterator) the temporary file is removed and any previous file at `filePath` is untouched.
 */
export async function writeFileAtomic(filePath: string, data: AtomicData): Promise<void> {
  const dir = path.dirname(path.resolve(filePath));
  const tmp = path.join(dir, `.${path.basename(filePath)}.tmp-${randomSuffix()}`);
  const handle = await fs.open(tmp, "wx");
  try {
    try {
      await writeChunks(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, filePath);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Writes `value` as pretty-printed JSON (2-space indent, trailing newline) atomically. */
export async function writeJsonAtomic(filePath: string, value: unknown): Promise<void> {
  await writeFileAtomic(filePath, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Replaces the whole directory `dir` with new content. `fill(tmpDir)` writes the new content into a fresh
 * sibling directory `<dir>.tmp-XXXX`; only once it resolves is the old directory moved aside
 * (`<dir>.old-XXXX`), the new one renamed into place, and the old one deleted. If `fill` throws, the
 * temporary directory is removed and `dir` is left exactly as it was.
 *
 * Two renames are involved, so a crash between them leaves the previous content at `<dir>.old-XXXX`
 * (never a half-written `dir`).
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const suffix = randomSuffix();
  const tmp = `${target}.tmp-${suffix}`;
  const old = `${target}.old-${suffix}`;
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
    await fsyncDir(tmp);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const hadOld = await exists(target);
  if (hadOld) await fs.rename(target, old);
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    if (hadOld) await fs.rename(old, target);
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await fsyncDir(parent);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
