// How fast can ONNX Runtime multiply matrices on this machine? The engine bench's step is ≈ 70% matmul, so the
// matmul rate at the step's own shapes bounds the step time from below, whatever the rest of the graph does.
//
//   npm run bench:matmul -- [--threads 2] [--repeats 8] [--runs 15]
//
// Each case is one graph of `repeats` independent products (distinct inputs, so nothing is shared), lowered as the
// engine lowers them (a transposed operand becomes its own Transpose, a bias rides in Gemm), each sliced to one
// element, so the run's output copy is negligible; the time of an empty run is subtracted. The step's matmul time
// at these rates is a floor under its step time.

import { parseArgs } from "node:util";
import { Builder } from "../src/graph/composites.ts";
import type { Value } from "../src/graph/ir.ts";
import type { HostTensor } from "../src/graph/tensor.ts";
import { OrtSession } from "../src/runtime/ort.ts";

/** One product shape: [m, k] x [k, n] with optional transposes, as the reference step runs it. */
interface Case {
  label: string;
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
}

const TOKENS = 64 * 24; // the engine bench's batch × length
const CASES: Case[] = [
  { label: "square 2048 (machine peak)", m: 2048, k: 2048, n: 2048 },
  { label: "q/k/v/out projection fwd", m: TOKENS, k: 256, n: 256, transB: true },
  { label: "ff up fwd", m: TOKENS, k: 256, n: 1024, transB: true },
  { label: "ff down fwd", m: TOKENS, k: 1024, n: 256, transB: true },
  { label: "logits fwd (vocab 8000)", m: TOKENS, k: 256, n: 8000, transB: true },
  { label: "projection dX", m: TOKENS, k: 256, n: 256 },
  { label: "ff up dX", m: TOKENS, k: 1024, n: 256 },
  { label: "logits dX", m: TOKENS, k: 8000, n: 256 },
  { label: "projection dW", m: 256, k: TOKENS, n: 256, transA: true },
  { label: "ff up dW", m: 1024, k: TOKENS, n: 256, transA: true },
  { label: "logits dW", m: 8000, k: TOKENS, n: 256, transA: true },
];

function random(dims: number[], seed: number): HostTensor {
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 - 0.5;
  }
  return { dtype: "float32", dims, data };
}

/** A graph of `repeats` products of the case's shape (none for the empty run) and its feeds. */
function caseGraph(c: Case, repeats: number, bias: boolean) {
  const b = new Builder();
  const aDims = c.transA ? [c.k, c.m] : [c.m, c.k];
  const bDims = c.transB ? [c.n, c.k] : [c.k, c.n];
  const biasValue = b.input("bias", "float32", [c.n]);
  const feeds: Record<string, HostTensor> = { bias: random([c.n], 8) };
  const outputs: Record<string, Value> = { anchor: b.slice(biasValue, 0, 0, 1) };
  for (let r = 0; r < repeats; r++) {
    // Distinct operands per product, so that no transpose or product is shared between them.
    const left = b.input(`a${r}`, "float32", aDims);
    const right = b.input(`b${r}`, "float32", bDims);
    feeds[`a${r}`] = random(aDims, 2 * r + 1);
    feeds[`b${r}`] = random(bDims, 2 * r + 2);
    const product = b.matmul(left, right, {
      transA: c.transA,
      transB: c.transB,
      bias: bias ? biasValue : undefined,
    });
    outputs[`p${r}`] = b.slice(b.slice(product, 0, 0, 1), 1, 0, 1); // [1, 1]
  }
  return { graph: b.build(`matmul_${repeats}`, outputs), feeds };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeRuns(
  session: OrtSession,
  feeds: Record<string, HostTensor>,
  runs: number,
): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs + 2; r++) {
    const start = performance.now();
    await session.run(feeds);
    if (r >= 2) times.push(performance.now() - start);
  }
  return median(times);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: "string", default: "2" },
      repeats: { type: "string", default: "8" },
      runs: { type: "string", default: "15" },
    },
  });
  const [threads, repeats, runs] = [values.threads, values.repeats, values.runs].map(Number) as [
    number,
    number,
    number,
  ];
  console.log(
    `ONNX Runtime, ${threads} threads, ${repeats} products per run, median of ${runs} runs, ms per product`,
  );
  for (const c of CASES) {
    const shape = `${c.transA ? "T" : ""}[${c.m}x${c.k}] x ${c.transB ? "T" : ""}[${c.k}x${c.n}]`;
    const cells: string[] = [];
    for (const bias of [false, true]) {
      const ms = await productMs(c, bias, threads, repeats, runs);
      const gflops = (2 * c.m * c.k * c.n) / ms / 1e6;
      cells.push(`${bias ? "with bias" : "no bias"} ${ms.toFixed(2)} ms (${gflops.toFixed(0)} GFLOP/s)`);
    }
    console.log(`${c.label.padEnd(28)} ${shape.padEnd(26)} ${cells.join("  ")}`);
  }
}

/** Milliseconds per product: a run of `repeats` products minus an empty run, over `repeats`. */
async function productMs(
  c: Case,
  bias: boolean,
  threads: number,
  repeats: number,
  runs: number,
): Promise<number> {
  const full = caseGraph(c, repeats, bias);
  const empty = caseGraph(c, 0, bias);
  const session = await OrtSession.create(full.graph, { threads });
  const emptySession = await OrtSession.create(empty.graph, { threads });
  const ms = (await timeRuns(session, full.feeds, runs)) - (await timeRuns(emptySession, empty.feeds, runs));
  await session.release();
  await emptySession.release();
  return ms / repeats;
}

await main();
