// `npm run bench:serve`: `seq2seq serve` in its own process under a bounded load from this one over
// loopback (N concurrent clients for S seconds): requests/s, latency percentiles, errors, server RSS.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { saveTinyModel, TINY_ALPHABET } from "../test/server/tiny-model.ts";

const USAGE = `npm run bench:serve -- [--model DIR] [--inputs FILE] [--clients 32] [--seconds 30]
  [--inputs-per-request 1] [--beam 1] [--workers 1] [--threads N] [--max-batch 32] [--batch-wait-ms 5]`;

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) {
  const flag = process.argv[i]!;
  if (!flag.startsWith("--") || process.argv[i + 1] === undefined) throw new Error(`usage: ${USAGE}`);
  args.set(flag.slice(2), process.argv[i + 1]!);
}
const count = (name: string, fallback: number) => {
  const n = Number(args.get(name) ?? fallback);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be an integer ≥ 0; usage: ${USAGE}`);
  return n;
};
const CLIENTS = count("clients", 32);
const SECONDS = count("seconds", 30);
const PER_REQUEST = count("inputs-per-request", 1);
const BEAM = count("beam", 1);

/** Server RSS in MB (worker threads included), from /proc. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

async function startServer(modelDir: string): Promise<{ child: ChildProcess; url: string }> {
  const flags = ["workers", "threads", "max-batch", "batch-wait-ms"].flatMap((f) =>
    args.has(f) ? [`--${f}`, args.get(f)!] : [],
  );
  const child = spawn(
    "node",
    ["bin/seq2seq.js", "serve", "--model", modelDir, "--port", "0", "--max-inputs", "1024", ...flags],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  process.on("exit", () => child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the server exited with status ${code}`)));
  });
  return { child, url };
}

/** The texts to send: lines of --inputs, or random words over the tiny model's alphabet. */
function textPool(): string[] {
  const file = args.get("inputs");
  if (file)
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: 500 }, () =>
    Array.from({ length: 3 + Math.floor(next() * 20) }, () => TINY_ALPHABET[Math.floor(next() * 8)]).join(""),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

interface LoadResult {
  latencies: number[];
  healthLatencies: number[];
  errors: string[];
  inputs: number;
  seconds: number;
}

/** CLIENTS loops, each sending its next request as soon as the last is answered, until the time is up. */
async function load(url: string, texts: string[], seconds: number): Promise<LoadResult> {
  const result: LoadResult = { latencies: [], healthLatencies: [], errors: [], inputs: 0, seconds };
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  const client = async () => {
    while (performance.now() < end) {
      const inputs = Array.from({ length: PER_REQUEST }, () => texts[n++ % texts.length]!);
      const sent = performance.now();
      try {
        const response = await fetch(`${url}/v1/translate`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ inputs, beam: BEAM }),
        });
        const body = (await response.json()) as { outputs?: unknown[]; error?: string };
        if (response.status !== 200 || body.outputs?.length !== inputs.length)
          result.errors.push(`HTTP ${response.status}: ${body.error ?? "wrong number of outputs"}`);
        else {
          result.latencies.push(performance.now() - sent);
          result.inputs += inputs.length;
        }
      } catch (error) {
        result.errors.push(String(error));
      }
    }
  };
  const health = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      await fetch(`${url}/healthz`).then((r) => r.text());
      result.healthLatencies.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await Promise.all([...Array.from({ length: CLIENTS }, client), health()]);
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

/** Decoding jobs run and inputs decoded so far, from /healthz. */
async function jobStats(url: string): Promise<{ jobs: number; inputs: number }> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, number>;
  return { jobs: health["decodingJobs"]!, inputs: health["decodedInputs"]! };
}

async function main(): Promise<void> {
  let modelDir = args.get("model");
  if (!modelDir) {
    modelDir = join(mkdtempSync(join(tmpdir(), "s2s-bench-serve-")), "tiny");
    await saveTinyModel(modelDir);
    console.log("model: the tiny test Transformer (d 16, 1 + 1 layers, random weights, char vocabulary)");
  } else console.log(`model: ${modelDir}`);
  const { child, url } = await startServer(modelDir);
  const texts = textPool();
  await load(url, texts, 1); // warm-up: sessions' first runs, connection pool
  const rssBefore = rssMb(child.pid!);
  const statsBefore = await jobStats(url);
  console.log(
    `load: ${CLIENTS} clients × ${SECONDS} s, ${PER_REQUEST} input(s) per request, beam ${BEAM}, server ${url}`,
  );
  const r = await load(url, texts, SECONDS);
  const rssAfter = rssMb(child.pid!);
  const statsAfter = await jobStats(url);
  const jobs = statsAfter.jobs - statsBefore.jobs;
  const batch = (statsAfter.inputs - statsBefore.inputs) / jobs;
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const health = [...r.healthLatencies].sort((a, b) => a - b);
  const fmt = (x: number) => x.toFixed(1);
  console.log(`requests/s        ${fmt(r.latencies.length / r.seconds)} (${r.latencies.length} requests)`);
  console.log(`inputs/s          ${fmt(r.inputs / r.seconds)}`);
  console.log(`latency p50 / p99 ${fmt(percentile(sorted, 50))} / ${fmt(percentile(sorted, 99))} ms`);
  console.log(`/healthz p50/max  ${fmt(percentile(health, 50))} / ${fmt(health.at(-1) ?? Number.NaN)} ms`);
  console.log(`decoding jobs     ${jobs}, ${fmt(batch)} inputs per job on average`);
  console.log(`errors            ${r.errors.length}${r.errors.length ? ` (first: ${r.errors[0]})` : ""}`);
  console.log(`server RSS        ${fmt(rssBefore)} MB before, ${fmt(rssAfter)} MB after`);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  if (r.errors.length > 0) process.exitCode = 1;
}

await main();
