// `npm run bench:engine`: the training step of the reference Transformer in our engine (one ONNX graph in
// ONNX Runtime) against the same model and optimizer in PyTorch, interleaved step by step in one run.

import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { int64 } from "../src/graph/tensor.ts";
import { TRANSFORMER_DEFAULTS, Transformer } from "../src/models/transformer.ts";
import { buildTrainingStep, flatLayout } from "../src/train/step-graph.ts";
import { initialFlatParams, TrainingStepRunner } from "../src/train/step-runner.ts";

const { values: flags } = parseArgs({
  options: {
    steps: { type: "string", default: "40" },
    warmup: { type: "string", default: "5" },
    threads: { type: "string", default: "2" },
    optimization: { type: "string", default: "basic" },
    "mem-pattern": { type: "string", default: "0" },
  },
});
const STEPS = Number(flags.steps);
const WARMUP = Number(flags.warmup);
const THREADS = Number(flags.threads);
const OPTIMIZATION = flags.optimization as "basic" | "all";
const MEM_PATTERN = flags["mem-pattern"] !== "0";
const BATCH = 64;
const LEN = 24;
const VOCAB = 8000;
// Forward matmul FLOPs ×3 (see bench/engine_torch.py for the formula); identical model, identical count.
const FLOPS_PER_STEP = 70_627_885_056;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The PyTorch reference in --serve mode, or undefined (with the reason printed) when torch is missing. */
async function startTorch(): Promise<((cmd: string) => Promise<Record<string, number>>) | undefined> {
  const child = spawn("/usr/bin/python3", ["bench/engine_torch.py", "--serve"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  child.on("error", () => undefined);
  const ask = async (cmd: string) => {
    child.stdin.write(`${cmd}\n`);
    const next = await Promise.race([lines.next(), exited.then(() => undefined)]);
    if (!next || next.done) throw new Error("PyTorch reference exited");
    return JSON.parse(next.value) as Record<string, number>;
  };
  try {
    await ask("info");
    process.on("exit", () => child.kill());
    return ask;
  } catch {
    console.log(
      "PyTorch side skipped: /usr/bin/python3 with torch is not available (apt-get install python3-torch libopenblas0-pthread)",
    );
    return undefined;
  }
}

async function main(): Promise<void> {
  const model = new Transformer({
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: VOCAB,
    tgtVocabSize: VOCAB,
    dropout: 0,
  });
  const params = model.parameters();
  const layout = flatLayout(params);
  let t0 = performance.now();
  const graph = buildTrainingStep(layout, model.trainingLoss({ ignorePad: false }), {
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-9,
    weightDecay: 0.01,
    maxGradNorm: 1,
  });
  const traceMs = performance.now() - t0;
  t0 = performance.now();
  const runner = await TrainingStepRunner.create(graph, layout, initialFlatParams(layout, params, 1234), {
    threads: THREADS,
    optimization: OPTIMIZATION,
    memPattern: MEM_PATTERN,
  });
  const sessionMs = performance.now() - t0;

  let seed = 1235;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ids = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(rand() * (VOCAB - 1)));
  const tgt = ids(BATCH * (LEN + 1));
  const tgtIn: number[] = [];
  const tgtOut: number[] = [];
  for (let r = 0; r < BATCH; r++) {
    tgtIn.push(...tgt.slice(r * (LEN + 1), r * (LEN + 1) + LEN));
    tgtOut.push(...tgt.slice(r * (LEN + 1) + 1, (r + 1) * (LEN + 1)));
  }
  const batch = {
    src_ids: int64(ids(BATCH * LEN), [BATCH, LEN]),
    tgt_in: int64(tgtIn, [BATCH, LEN]),
    tgt_out: int64(tgtOut, [BATCH, LEN]),
  };

  const torch = await startTorch();
  const ours: number[] = [];
  const theirs: number[] = [];
  let firstRunMs = 0;
  let lastLoss = 0;
  for (let step = 0; step < WARMUP + STEPS; step++) {
    const start = performance.now();
    lastLoss = (await runner.run(batch, 1e-3)).loss;
    const ms = performance.now() - start;
    if (step === 0) firstRunMs = ms;
    if (step >= WARMUP) ours.push(ms);
    if (torch) {
      const r = await torch("step");
      if (step >= WARMUP) theirs.push(r["ms"]!);
    }
  }
  const info = torch ? await torch("info") : undefined;
  const oursMs = median(ours);
  console.log(
    `model: pre-LN Transformer d256 h4 ff1024 3+3 layers, shared vocab ${VOCAB}, batch ${BATCH}x${LEN}`,
  );
  console.log(`parameters: ${layout.total.toLocaleString("en")}; graph nodes: ${graph.nodes.length}`);
  console.log(
    `trace + autodiff: ${traceMs.toFixed(0)} ms; session creation: ${sessionMs.toFixed(0)} ms; first run: ${firstRunMs.toFixed(0)} ms`,
  );
  console.log(
    `ORT settings: optimization ${OPTIMIZATION}, memory pattern ${MEM_PATTERN ? "on" : "off"}\n` +
      `ours (ONNX Runtime, ${THREADS} threads): median ${oursMs.toFixed(1)} ms/step over ${STEPS} steps, ${(FLOPS_PER_STEP / oursMs / 1e6).toFixed(1)} GFLOP/s, last loss ${lastLoss.toFixed(4)}`,
  );
  console.log(`ours peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (torch && info) {
    const torchMs = median(theirs);
    console.log(
      `PyTorch ${info["torch_version"] ?? ""} (1 torch thread + 2 OpenBLAS threads): median ${torchMs.toFixed(1)} ms/step, ${(FLOPS_PER_STEP / torchMs / 1e6).toFixed(1)} GFLOP/s, peak RSS ${Number(info["peak_rss_mb"]).toFixed(0)} MB`,
    );
    console.log(`ratio (ours/PyTorch): ${(oursMs / torchMs).toFixed(2)}`);
  }
  await runner.release();
  process.exit(0);
}

await main();
