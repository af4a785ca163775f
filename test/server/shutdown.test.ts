// `seq2seq serve` run as a user runs it (a spawned process): it prints its address, answers, and on SIGTERM
// finishes the request in flight before exiting cleanly. Bad flags and folders are one clear line.

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { getJson, postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

/** Resolves with the server's URL from its first stdout line; collects the rest of its output. */
function serverUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      output.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("exit", (code) =>
      reject(new Error(`server exited (${code}) before listening:\n${output.join("\n")}`)),
    );
  });
}

test("on SIGTERM the server finishes the request in flight, then exits with status 0", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "s2s-serve-term-")), "slow");
  await saveTinyModel(dir, { maxPositions: 256, dModel: 32, ffDim: 64 }, 3);
  const child = spawn(
    "node",
    ["bin/seq2seq.js", "serve", "--model", `slow=${dir}`, "--port", "0", "--threads", "1"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output: string[] = [];
  try {
    const url = await serverUrl(child, output);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, "binds 127.0.0.1 by default");
    const inputs = Array.from({ length: 8 }, (_, i) => "abcdefgh ".repeat(7).slice(i, 50));
    const inFlight = postJson(`${url}/v1/translate`, { inputs, beam: 8, minLength: 200, maxLength: 200 });
    let busy = false;
    for (let i = 0; i < 1000 && !busy; i++) {
      busy = ((await getJson(`${url}/healthz`)).body["busyWorkers"] as number) >= 1;
      if (!busy) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.ok(busy, "the decode never started");
    child.kill("SIGTERM");
    const response = await inFlight;
    assert.equal(response.status, 200, response.text);
    assert.equal((response.body["outputs"] as unknown[]).length, 8);
    assert.equal(await exited, 0, output.join("\n"));
    assert.match(output.join("\n"), /SIGTERM: finishing 1 request in flight[\s\S]*stopped/);
    await assert.rejects(fetch(`${url}/healthz`), "the port is closed after exit");
  } finally {
    child.kill("SIGKILL");
  }
});

test("a missing model folder, a bad flag or a duplicate name is one clear line and status 1", () => {
  const run = (...args: string[]) =>
    spawnSync("node", ["bin/seq2seq.js", "serve", ...args], { encoding: "utf8", timeout: 60_000 });
  const missing = run("--model", "/nonexistent/model-x", "--port", "0");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^seq2seq: model folder \/nonexistent\/model-x does not exist\n$/);
  const port = run("--model", "/nonexistent/x", "--port", "http");
  assert.equal(port.status, 1);
  assert.match(port.stderr, /--port must be an integer ≥ 0, got "http"/);
  const twice = run("--model", "/a/m", "--model", "/b/m");
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /two models are named "m": name them with name=DIR/);
});
