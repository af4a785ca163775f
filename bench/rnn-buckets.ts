// `tsx bench/rnn-buckets.ts`: how to serve every length with unrolled RNN training graphs. Measures one graph at
// the maximum length against several length buckets (one ORT session each): build time, step time, RSS.

import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { int64 } from "../src/graph/tensor.ts";
import { buildModel } from "../src/models/registry.ts";
import type { LengthBucket } from "../src/models/seq2seq.ts";
import { buildTrainingStep, flatLayout } from "../src/train/step-graph.ts";
import { initialFlatParams, TrainingStepRunner } from "../src/train/step-runner.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const ARCH = args.get("arch") ?? "gru";
const MAX_LEN = Number(args.get("max-len") ?? 40);
const BATCH = Number(args.get("batch") ?? 64);
const HIDDEN = Number(args.get("hidden") ?? 256);
const VOCAB = Number(args.get("vocab") ?? 1000);
const STEPS = Number(args.get("steps") ?? 5);
/** Batch lengths measured (each batch's longest source and target). */
const LENGTHS = [8, 16, 24, 32, 40].filter((l) => l <= MAX_LEN);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function batch(len: number): Record<string, ReturnType<typeof int64>> {
  const ids = (offset: number) =>
    int64(
      Array.from({ length: BATCH * len }, (_, i) => 4 + ((i * 7 + offset) % (VOCAB - 4))),
      [BATCH, len],
    );
  return { src_ids: ids(0), tgt_in: ids(1), tgt_out: ids(2) };
}

/** Training sessions for every bucket of a model with `buckets` buckets; build and session times. */
async function createRunners(buckets: number) {
  const model = buildModel({
    architecture: ARCH,
    srcVocabSize: VOCAB,
    tgtVocabSize: VOCAB,
    embeddingDim: HIDDEN,
    hiddenDim: HIDDEN,
    maxSourceLength: MAX_LEN,
    maxTargetLength: MAX_LEN,
    lengthBuckets: buckets,
    dropout: 0,
  });
  const layout = flatLayout(model.parameters());
  const params = initialFlatParams(layout, model.parameters(), 1);
  const runners: Array<{ bucket: LengthBucket; runner: TrainingStepRunner }> = [];
  let buildMs = 0;
  let sessionMs = 0;
  let nodes = 0;
  for (const bucket of model.lengthBuckets!) {
    const t0 = performance.now();
    const graph = buildTrainingStep(layout, model.trainingLoss({ bucket }));
    const t1 = performance.now();
    const runner = await TrainingStepRunner.create(graph, layout, params.slice(), {
      memPattern: args.get("mem-pattern") !== "0",
    });
    sessionMs += performance.now() - t1;
    buildMs += t1 - t0;
    nodes += graph.nodes.length;
    runners.push({ bucket, runner });
  }
  const pick = (len: number) => runners.find((r) => r.bucket.srcLen >= len && r.bucket.tgtLen >= len)!.runner;
  return {
    runners,
    pick,
    nodes,
    buildS: +(buildMs / 1000).toFixed(1),
    sessionS: +(sessionMs / 1000).toFixed(1),
  };
}

/** RSS of `buckets` sessions after each has run its lengths (a fresh process per call). */
async function measureMemory(buckets: number): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const { runners, pick, nodes, buildS, sessionS } = await createRunners(buckets);
  const rssCreated = process.memoryUsage().rss;
  for (const len of LENGTHS) await pick(len).run(batch(len), 1e-4);
  for (const len of LENGTHS) await pick(len).run(batch(len), 1e-4);
  const rss = process.memoryUsage().rss;
  const out = { arch: ARCH, buckets: runners.map((r) => r.bucket.srcLen), nodes, buildS, sessionS };
  const rssMb = { created: mb(rssCreated - rssBefore), afterRuns: mb(rss - rssBefore), process: mb(rss) };
  console.log(JSON.stringify({ ...out, memPattern: args.get("mem-pattern") !== "0", rssMb }));
  for (const { runner } of runners) await runner.release();
}

/**
 * Step times, interleaved so both see the same machine load: every batch length on the longest bucket's
 * session (= the one-graph configuration) and on the smallest bucket that holds it. Reports wall time and
 * CPU time (user + system of all threads), the latter less sensitive to other processes on a busy machine.
 */
async function measureTime(buckets: number): Promise<void> {
  const { runners, pick } = await createRunners(buckets);
  const longest = runners.at(-1)!.runner;
  type Times = Record<number, { wall: number[]; cpu: number[] }>;
  const empty = (): Times => Object.fromEntries(LENGTHS.map((l) => [l, { wall: [], cpu: [] }]));
  const one = empty();
  const bucketed = empty();
  const time = async (runner: TrainingStepRunner, len: number, into: Times) => {
    const feeds = batch(len);
    const cpu = process.cpuUsage();
    const t = performance.now();
    await runner.run(feeds, 1e-4);
    into[len]!.wall.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    into[len]!.cpu.push((used.user + used.system) / 1000);
  };
  for (const len of LENGTHS) await time(pick(len), len, empty()); // first runs grow the arenas
  for (let i = 0; i < STEPS; i++) {
    for (const len of LENGTHS) {
      await time(longest, len, one);
      await time(pick(len), len, bucketed);
    }
  }
  const summary = (r: Times, key: "wall" | "cpu") => {
    const per = Object.fromEntries(LENGTHS.map((l) => [l, Math.round(median(r[l]![key]))]));
    const mean = Math.round(LENGTHS.reduce((a, l) => a + median(r[l]![key]), 0) / LENGTHS.length);
    return { ...per, mean };
  };
  console.log(
    JSON.stringify({
      arch: ARCH,
      buckets: runners.map((r) => r.bucket.srcLen),
      wallMs: { oneGraph: summary(one, "wall"), buckets: summary(bucketed, "wall") },
      cpuMs: { oneGraph: summary(one, "cpu"), buckets: summary(bucketed, "cpu") },
    }),
  );
  for (const { runner } of runners) await runner.release();
}

const run = (extra: string[]) => {
  const own = [...args].flatMap(([k, v]) => [`--${k}`, v]);
  const r = spawnSync(process.execPath, ["--import", "tsx", "bench/rnn-buckets.ts", ...own, ...extra], {
    stdio: "inherit",
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (args.get("mode") === "memory") await measureMemory(Number(args.get("buckets") ?? 1));
else if (args.get("mode") === "time") await measureTime(Number(args.get("buckets") ?? 4));
else {
  // Memory in fresh processes (so RSS is each configuration's own), then interleaved step times.
  for (const memPattern of ["1", "0"]) {
    for (const buckets of ["1", "2", "4"]) {
      run(["--mode", "memory", "--buckets", buckets, "--mem-pattern", memPattern]);
    }
  }
  run(["--mode", "time", "--buckets", "2"]);
  run(["--mode", "time", "--buckets", "4"]);
}
