// The recurrent cells and stacks: PyTorch's nn.GRU / nn.LSTM outputs and names (golden values from PyTorch
// 1.13 with packed sequences), and finite-difference gradient checks of single cell steps and a masked sequence.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Builder } from "../../src/graph/composites.ts";
import type { Value } from "../../src/graph/ir.ts";
import { bool, float32 } from "../../src/graph/tensor.ts";
import { BoundScope, ConstantScope } from "../../src/nn/module.ts";
import { GRU, GRUCell, LSTM, LSTMCell, type RNN } from "../../src/nn/rnn.ts";
import { runReference } from "../../src/runtime/interpreter.ts";
import { gradCheck } from "../helpers/gradcheck.ts";

// PyTorch 1.13 (float64): nn.GRU / nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True), parameter k
// (named_parameters order) element i = 0.5·sin(1.3 i + 0.7 k), x[b, t, d] = cos(0.9 (b·6 + t·2 + d) + 0.3),
// run on pack_padded_sequence(x, lengths [3, 2]); outputs at the real steps (row 1 step 2 is padding).
const PYTORCH_NAMES = [0, 1].flatMap((k) =>
  ["", "_reverse"].flatMap((r) =>
    ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((w) => `rnn.${w}_l${k}${r}`),
  ),
);
const GOLDEN = {
  gru: {
    output: [
      0.4329127699, -0.1592685975, -0.2340898553, -0.588015485, 0.0009488009, 0.6378419697, 0.7014699163,
      -0.2464147755, -0.4055860565, -0.473457599, -0.0191321011, 0.7209418176, 0.5747949757, -0.1370590288,
      -0.5294206857, -0.2307702081, -0.0288385574, 0.4933946418, 0.3690082366, -0.0996353267, -0.2263315799,
      -0.3985125555, -0.0415596909, 0.5294677659, 0.5657810556, -0.1397677078, -0.400243767, -0.2374369292,
      -0.0394268305, 0.4877035926,
    ],
    hN: [
      -0.1856856256, -0.37235767, -0.3594079064, 0.0872375298, -0.4337884001, -0.0815803161, -0.2814882867,
      0.5394564948, 0.0318367451, -0.1324915719, 0.4857319601, -0.0317979597, 0.5747949757, -0.1370590288,
      -0.5294206857, 0.5657810556, -0.1397677078, -0.400243767, -0.588015485, 0.0009488009, 0.6378419697,
      -0.3985125555, -0.0415596909, 0.5294677659,
    ],
    cN: undefined,
  },
  lstm: {
    output: [
      0.1732105333, -0.2087064292, -0.1778905727, -0.2957005407, 0.0638219684, 0.1437134285, 0.2173461396,
      -0.2643322093, -0.3169367458, -0.2689005142, 0.033273976, 0.1348248431, 0.189965866, -0.2032267507,
      -0.3839204898, -0.1568854885, 0.0120979403, 0.1102934941, 0.1596542819, -0.1952396678, -0.1643268169,
      -0.2168653218, 0.0464385273, 0.140039394, 0.1984544787, -0.2381769281, -0.2954984747, -0.1525837938,
      0.01578997, 0.1143885102,
    ],
    hN: [
      -0.1454204017, -0.4313829219, -0.154776699, -0.0151439611, -0.4102683222, -0.042633367, -0.0968844201,
      0.1016899067, 0.0830911668, -0.0556501788, 0.0794686432, 0.0627086681, 0.189965866, -0.2032267507,
      -0.3839204898, 0.1984544787, -0.2381769281, -0.2954984747, -0.2957005407, 0.0638219684, 0.1437134285,
      -0.2168653218, 0.0464385273, 0.140039394,
    ],
    cN: [
      -0.1971062817, -0.785053618, -0.4191459542, -0.0217438997, -0.7421496425, -0.0942749993, -0.1896342159,
      0.4803476512, 0.1664345514, -0.1015344893, 0.4622131485, 0.107802025, 0.3910971144, -0.2690209526,
      -0.8302893816, 0.4046093432, -0.3238834284, -0.5619313826, -0.5694017984, 0.2005998426, 0.5675537919,
      -0.3994416769, 0.1426954156, 0.5112798379,
    ],
  },
};

function assertClose(got: ArrayLike<number>, want: readonly number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]}`);
}

describe("PyTorch nn.GRU / nn.LSTM parity (2 layers, bidirectional, packed lengths [3, 2])", () => {
  for (const kind of ["gru", "lstm"] as const) {
    test(kind, () => {
      const o = { inputSize: 2, hiddenSize: 3, layers: 2, bidirectional: true };
      const rnn: RNN = kind === "gru" ? new GRU("rnn", o) : new LSTM("rnn", o);
      assert.deepEqual(
        rnn.parameters().map((p) => p.name),
        PYTORCH_NAMES,
      );
      const weights = new Map(
        rnn.parameters().map((p, k) => {
          const n = p.shape.reduce((a, d) => a * d, 1);
          return [p.name, Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(1.3 * i + 0.7 * k))];
        }),
      );
      const b = new Builder();
      const s = new ConstantScope(b, weights);
      const x = b.input("x", "float32", ["batch", 3, 2]);
      const mask = b.input("mask", "bool", ["batch", 3]);
      const { output, final } = rnn.forward(s, x, mask);
      const outputs: Record<string, Value> = { output };
      final.forEach((st, i) => {
        outputs[`h${i}`] = st.h;
        if (st.c) outputs[`c${i}`] = st.c;
      });
      const r = runReference(b.build("rnn", outputs), {
        x: float32(
          Array.from({ length: 12 }, (_, i) => Math.cos(0.9 * i + 0.3)),
          [2, 3, 2],
        ),
        mask: bool([1, 1, 1, 1, 1, 0], [2, 3]),
      });
      const golden = GOLDEN[kind];
      assertClose(Array.from(r["output"]!.data).slice(0, 30), golden.output, 2e-6, "output");
      const hN = final.flatMap((_, i) => Array.from(r[`h${i}`]!.data));
      assertClose(hN, golden.hN, 2e-6, "h_n");
      if (golden.cN)
        assertClose(
          final.flatMap((_, i) => Array.from(r[`c${i}`]!.data)),
          golden.cN,
          2e-6,
          "c_n",
        );
    });
  }
});

/** Binds the inputs after the first `lead` to a module's parameters, in parameters() order. */
function bind(b: Builder, params: ReadonlyArray<{ name: string }>, xs: readonly Value[], lead: number) {
  return new BoundScope(b, new Map(params.map((p, i) => [p.name, xs[lead + i]!])), false);
}

describe("finite-difference gradients (float64 reference interpreter)", () => {
  const B = 2;
  const IN = 3;
  const H = 2;
  const weightShapes = (gates: number) => [[gates * H, IN], [gates * H, H], [gates * H], [gates * H]];

  test("one LSTM cell step, every input and parameter", () => {
    const cell = new LSTMCell("cell", "", IN, H);
    gradCheck({
      shapes: [[B, IN], [B, H], [B, H], ...weightShapes(4)],
      fn: (b, xs) => {
        const s = bind(b, cell.parameters(), xs, 3);
        const next = cell.step(s, cell.projectInput(s, xs[0]!), { h: xs[1]!, c: xs[2]! });
        return b.concat([next.h, next.c!], 1); // [batch, 2H]
      },
    });
  });

  test("one GRU cell step, every input and parameter", () => {
    const cell = new GRUCell("cell", "", IN, H);
    gradCheck({
      shapes: [[B, IN], [B, H], ...weightShapes(3)],
      fn: (b, xs) => {
        const s = bind(b, cell.parameters(), xs, 2);
        return cell.step(s, cell.projectInput(s, xs[0]!), { h: xs[1]! }).h; // [batch, H]
      },
    });
  });

  test("masked LSTM step: the padded row's state passes through", () => {
    const cell = new LSTMCell("cell", "", IN, H);
    gradCheck({
      shapes: [[B, IN], [B, H], [B, H], ...weightShapes(4)],
      fn: (b, xs) => {
        const s = bind(b, cell.parameters(), xs, 3);
        const mask = b.constant(bool([1, 0], [B, 1]));
        const next = cell.step(s, cell.projectInput(s, xs[0]!), { h: xs[1]!, c: xs[2]! }, mask);
        return b.concat([next.h, next.c!], 1); // [batch, 2H]
      },
    });
  });

  test("bidirectional GRU over a masked sequence (step splitting and stacking)", () => {
    const rnn = new GRU("rnn", { inputSize: IN, hiddenSize: H, bidirectional: true });
    const shapes = rnn.parameters().map((p) => [...p.shape]);
    gradCheck({
      shapes: [[B, 3, IN], ...shapes],
      fn: (b, xs) => {
        const s = bind(b, rnn.parameters(), xs, 1);
        const mask = b.constant(bool([1, 1, 1, 1, 1, 0], [B, 3]));
        const { output, final } = rnn.forward(s, xs[0]!, mask);
        return b.concat([b.reshape(output, [B, -1]), final[0]!.h, final[1]!.h], 1); // [batch, 3·2H + 2H]
      },
    });
  });
});
