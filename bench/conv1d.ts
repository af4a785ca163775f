// Which 1-D convolution trains faster in ONNX Runtime at Whisper's front-end shapes: the Conv primitive with
// its gradient rule (src/graph/vjp-conv.ts) or the im2col composite (Builder.conv1dIm2col)? Times forward + backward.
//
//   npx tsx bench/conv1d.ts [--batch 32] [--frames 300] [--mels 80] [--width 256] [--runs 20]

import { parseArgs } from "node:util";
import { gradients } from "../src/graph/autodiff.ts";
import { Builder } from "../src/graph/composites.ts";
import type { Graph, Value } from "../src/graph/ir.ts";
import type { HostTensor } from "../src/graph/tensor.ts";
import { OrtSession } from "../src/runtime/ort.ts";

type Variant = "primitive" | "im2col";

/** Whisper's front end, gelu(conv2(gelu(conv1(x)))), its loss and the gradients of its four parameters. */
function frontEndGraph(variant: Variant, mels: number, width: number): Graph {
  const b = new Builder();
  const x = b.input("x", "float32", ["batch", mels, "frames"]);
  const w1 = b.input("w1", "float32", [width, mels, 3]);
  const b1 = b.input("b1", "float32", [width]);
  const w2 = b.input("w2", "float32", [width, width, 3]);
  const b2 = b.input("b2", "float32", [width]);
  const conv = (input: Value, w: Value, bias: Value, stride: number) =>
    variant === "primitive"
      ? b.conv1d(input, w, bias, { stride, padding: 1 })
      : b.conv1dIm2col(input, w, bias, { stride, padding: 1 });
  const h = b.gelu(conv(b.gelu(conv(x, w1, b1, 1)), w2, b2, 2)); // [batch, width, frames / 2]
  const loss = b.reduceMean(b.mul(h, h), [0, 1, 2]);
  const grads = gradients(b, loss, [w1, b1, w2, b2]);
  const outputs: Record<string, Value> = { loss };
  grads.forEach((g, i) => {
    outputs[`g${i}`] = g!;
  });
  return b.build(`front_end_${variant}`, outputs);
}

function random(dims: number[], seed: number): HostTensor {
  const n = dims.reduce((a, d) => a * d, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 0.2;
  }
  return { dtype: "float32", dims, data };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      batch: { type: "string", default: "32" },
      frames: { type: "string", default: "300" },
      mels: { type: "string", default: "80" },
      width: { type: "string", default: "256" },
      runs: { type: "string", default: "20" },
    },
  });
  const [batch, frames, mels, width, runs] = [
    values.batch,
    values.frames,
    values.mels,
    values.width,
    values.runs,
  ].map(Number) as [number, number, number, number, number];
  const feeds = {
    x: random([batch, mels, frames], 1),
    w1: random([width, mels, 3], 2),
    b1: random([width], 3),
    w2: random([width, width, 3], 4),
    b2: random([width], 5),
  };
  const sessions = new Map<Variant, OrtSession>();
  for (const variant of ["primitive", "im2col"] as const) {
    const graph = frontEndGraph(variant, mels, width);
    sessions.set(variant, await OrtSession.create(graph, { threads: 2 }));
    console.log(`${variant}: ${graph.nodes.length} nodes`);
  }
  const times: Record<Variant, number[]> = { primitive: [], im2col: [] };
  const results: Partial<Record<Variant, Record<string, HostTensor>>> = {};
  for (let r = 0; r < runs + 2; r++) {
    for (const variant of ["primitive", "im2col"] as const) {
      const start = performance.now();
      results[variant] = await sessions.get(variant)!.run(feeds);
      if (r >= 2) times[variant].push(performance.now() - start); // two warm-up runs
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  let diff = 0;
  for (const name of ["loss", "g0", "g1", "g2", "g3"]) {
    const a = results.primitive![name]!.data as Float32Array;
    const c = results.im2col![name]!.data as Float32Array;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - c[i]!));
  }
  console.log(`batch ${batch}, ${mels} mels, ${frames} frames, width ${width}, ${runs} interleaved runs`);
  for (const variant of ["primitive", "im2col"] as const)
    console.log(`${variant.padEnd(9)}  median ${median(times[variant]).toFixed(1)} ms forward + backward`);
  console.log(`max |Δ| between the two (loss and gradients): ${diff.toExponential(2)}`);
  for (const s of sessions.values()) await s.release();
}

await main();
