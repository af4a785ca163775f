// ONNX Runtime vs the reference interpreter on gradient graphs: every VJP rule's backward graph, lowered
// to ONNX, gives the interpreter's values (float32 vs float64 tolerance).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HostTensor } from "../../src/graph/tensor.ts";
import { runReference, toHost } from "../../src/runtime/interpreter.ts";
import { OrtSession } from "../../src/runtime/ort.ts";
import { CASES } from "../helpers/grad-cases.ts";
import { buildGradGraph } from "../helpers/gradcheck.ts";

describe("gradient graphs: ONNX Runtime == reference interpreter", () => {
  for (const [op, cases] of Object.entries(CASES)) {
    for (const [name, c] of Object.entries(cases)) {
      test(`${op}: ${name}`, async () => {
        const { graph, feeds } = buildGradGraph(c);
        const hostFeeds: Record<string, HostTensor> = {};
        for (const [k, v] of Object.entries(feeds)) hostFeeds[k] = toHost(v);
        // The interpreter sees the same float32-rounded inputs as ORT.
        const expected = runReference(graph, hostFeeds);
        const session = await OrtSession.create(graph);
        const got = await session.run(hostFeeds);
        for (const out of graph.outputs) {
          const e = expected[out.name]!;
          const g = got[out.name]!;
          assert.deepEqual([...g.dims], [...e.dims], `${out.name} dims`);
          const data = g.data as Float32Array;
          for (let i = 0; i < data.length; i++) {
            const diff = Math.abs(data[i]! - e.data[i]!);
            assert.ok(
              diff <= 1e-4 * (1 + Math.abs(e.data[i]!)),
              `${out.name}[${i}]: ORT ${data[i]} vs reference ${e.data[i]}`,
            );
          }
        }
        await session.release();
      });
    }
  }
});
