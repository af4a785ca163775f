// ONNX Runtime vs the float64 reference interpreter, forward, for every op in OP_TYPES: each case is a
// small graph run by both; outputs must agree and match the builder's declared (symbolic) shapes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder } from "../../src/graph/builder.ts";
import { type Graph, OP_TYPES, type OpType, type Value } from "../../src/graph/ir.ts";
import { type DType, float32, type HostTensor, int64, toNumbers } from "../../src/graph/tensor.ts";
import { type RefTensor, runReference } from "../../src/runtime/interpreter.ts";
import { OrtSession } from "../../src/runtime/ort.ts";

// ---- deterministic feeds ---------------------------------------------------------------------

let state = 12345;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const size = (dims: readonly number[]) => dims.reduce((p, q) => p * q, 1);
const floats = (dims: number[], draw: () => number): HostTensor => {
  return { dtype: "float32", dims, data: Float32Array.from({ length: size(dims) }, draw) };
};
const uniform = (dims: number[], lo = -2, hi = 2) => floats(dims, () => lo + (hi - lo) * random());
const ints = (dims: number[], lo: number, hi: number): HostTensor => {
  return int64(
    Array.from({ length: size(dims) }, () => lo + Math.floor((hi - lo + 1) * random())),
    dims,
  );
};
/** Small integers stored as floats, so comparisons meet ties. */
const steps = (dims: number[]) => floats(dims, () => Math.floor(3 * random()) - 1);

// ---- cases -----------------------------------------------------------------------------------

interface ParityCase {
  name: string;
  graph: Graph;
  feeds: Record<string, HostTensor>;
}

function parityCase(
  name: string,
  inputs: Record<string, [DType, Array<number | string>, HostTensor]>,
  build: (b: GraphBuilder, x: Record<string, Value>) => Record<string, Value>,
): ParityCase {
  const b = new GraphBuilder({ seed: 3 });
  const values: Record<string, Value> = {};
  const feeds: Record<string, HostTensor> = {};
  for (const [key, [dtype, shape, feed]] of Object.entries(inputs)) {
    values[key] = b.input(key, dtype, shape);
    feeds[key] = feed;
  }
  return { name, graph: b.build(name, build(b, values)), feeds };
}

const BINARY = ["add", "sub", "mul", "div", "max", "min"] as const;

const CASES: ParityCase[] = [
  parityCase("unary float ops", { x: ["float32", ["batch", 5], uniform([3, 5])] }, (b, { x }) => {
    const pos = b.add(b.abs(x), 0.1);
    const unary = ["identity", "neg", "exp", "tanh", "sigmoid", "relu", "abs", "erf", "sin", "cos"] as const;
    const outs = Object.fromEntries(unary.map((op) => [op, b[op](x)]));
    return { ...outs, log: b.log(pos), sqrt: b.sqrt(pos), reciprocal: b.reciprocal(pos) };
  }),
  parityCase(
    "comparisons and logic, broadcasting",
    { a: ["float32", ["batch", 1, 4], steps([2, 1, 4])], c: ["float32", [3, 1], steps([3, 1])] },
    (b, { a, c }) => {
      const eq = b.equal(a, c);
      const lt = b.less(a, c);
      return {
        eq,
        lt,
        le: b.lessOrEqual(a, c),
        gt: b.greater(a, c),
        ge: b.greaterOrEqual(a, 0),
        and: b.and(lt, b.not(eq)),
        or: b.or(b.greater(a, 0), lt),
        not: b.not(eq),
      };
    },
  ),
  parityCase(
    "casts between float32, int64 and bool",
    {
      x: ["float32", [2, 4], float32([-2.7, -0.5, 0, 0.5, 1.9, 3.2, -1, 7], [2, 4])],
      i: ["int64", [3], int64([-3, 0, 5], [3])],
    },
    (b, { x, i }) => {
      const flags = b.greater(x, 0);
      return {
        xi: b.cast(x, "int64"),
        xb: b.cast(x, "bool"),
        if: b.cast(i, "float32"),
        ib: b.cast(i, "bool"),
        bf: b.cast(flags, "float32"),
        bi: b.cast(flags, "int64"),
      };
    },
  ),
  parityCase(
    "float binary ops, broadcasting",
    { a: ["float32", ["batch", 1, 4], uniform([2, 1, 4])], c: ["float32", [3, 1], uniform([3, 1], 0.5, 2)] },
    (b, { a, c }) => {
      const outs = Object.fromEntries(BINARY.map((op) => [op, b[op](a, c)]));
      return { ...outs, scalar: b.add(a, 2), pow: b.pow(b.add(b.abs(a), 0.5), b.sub(c, 1)) };
    },
  ),
  parityCase(
    "int64 binary ops (Div truncates)",
    { i: ["int64", [2, 3], int64([-7, 7, -1, 9, 0, 5], [2, 3])], j: ["int64", [3], int64([2, -2, 3], [3])] },
    (b, { i, j }) => ({ ...Object.fromEntries(BINARY.map((op) => [op, b[op](i, j)])), eq: b.equal(i, j) }),
  ),
  parityCase(
    "Where broadcasting all three operands",
    {
      c: ["float32", [3, 1], uniform([3, 1])],
      x: ["float32", [1, 4], uniform([1, 4])],
      i: ["int64", [4], ints([4], -5, 5)],
    },
    (b, { c, x, i }) => ({ w: b.where(b.greater(c, 0), x, -1), wi: b.where(b.less(c, 0), 0, i) }),
  ),
  parityCase(
    "MatMul rank 2: plain, transA / transB / both, wide A (Cᵀ = Bᵀ·A), int64 transB",
    {
      wide: ["float32", ["k", 11], uniform([3, 11])],
      narrow: ["float32", ["k", 2], uniform([3, 2])],
      a: ["float32", ["m", 4], uniform([3, 4])],
      at: ["float32", [4, 3], uniform([4, 3])],
      w: ["float32", [4, 5], uniform([4, 5])],
      wt: ["float32", [5, 4], uniform([5, 4])],
      i: ["int64", [2, 3], ints([2, 3], -3, 3)],
      k: ["int64", [4, 3], ints([4, 3], -3, 3)],
    },
    (b, { a, at, w, wt, i, k, wide, narrow }) => ({
      plain: b.matmul(a, w),
      wideA: b.matmul(wide, narrow, { transA: true }),
      transA: b.matmul(at, w, { transA: true }),
      transB: b.matmul(a, wt, { transB: true }),
      both: b.matmul(at, wt, { transA: true, transB: true }),
      int: b.matmul(i, k, { transB: true }),
    }),
  ),
  parityCase(
    "MatMul rank 4 and batch broadcasting with transposes",
    {
      q: ["float32", ["batch", 3, 4, 5], uniform([2, 3, 4, 5])],
      k: ["float32", ["batch", 3, 6, 5], uniform([2, 3, 6, 5])],
      qt: ["float32", [2, 1, 5, 4], uniform([2, 1, 5, 4])],
      v: ["float32", [3, 5, 6], uniform([3, 5, 6])],
      r: ["float32", [2, 4, 5], uniform([2, 4, 5])],
      m: ["float32", [6, 5], uniform([6, 5])],
      wr: ["float32", [2, 4, 13], uniform([2, 4, 13])],
    },
    (b, { q, k, qt, v, r, m, wr }) => ({
      wideA: b.matmul(wr, r, { transA: true }),
      transB: b.matmul(q, k, { transB: true }),
      transA: b.matmul(qt, v, { transA: true }),
      both: b.matmul(qt, k, { transA: true, transB: true }),
      plain: b.matmul(q, b.transpose(k, [0, 1, 3, 2])),
      rank3x2: b.matmul(r, m, { transB: true }),
    }),
  ),
  parityCase(
    "reductions",
    { x: ["float32", ["batch", 3, 4], uniform([2, 3, 4])], i: ["int64", [2, 3], ints([2, 3], -9, 9)] },
    (b, { x, i }) => ({
      sum: b.reduceSum(x, [1]),
      mean: b.reduceMean(x, [0, 2], true),
      max: b.reduceMax(x, [2]),
      maxKeep: b.reduceMax(x, [-1], true),
      all: b.reduceSum(x, [0, 1, 2]),
      isum: b.reduceSum(i, [1]),
      // Leading axes of a float tensor with static trailing dims: exported as ones[1, rows] · x[rows, n].
      leading: b.reduceSum(x, [0]),
      leadingTwo: b.reduceSum(x, [0, 1]),
      leadingKeep: b.reduceSum(x, [0, -2], true),
      rows: b.reduceSum(b.reshape(x, [-1, 4]), [0]),
    }),
  ),
  parityCase(
    "Softmax and LogSoftmax",
    { x: ["float32", [2, 3, "n"], uniform([2, 3, 5], -4, 4)] },
    (b, { x }) => ({
      last: b.softmax(x),
      middle: b.softmax(x, 1),
      logLast: b.logSoftmax(x),
      logFirst: b.logSoftmax(x, 0),
    }),
  ),
  parityCase(
    "LayerNormalization and SoftmaxCrossEntropyLoss (fused, every output)",
    {
      x: ["float32", ["batch", 3, 6], uniform([2, 3, 6], -3, 3)],
      g: ["float32", [6], uniform([6])],
      s: ["float32", ["n", 5], uniform([4, 5], -4, 4)],
      l: ["int64", ["n"], int64([0, 4, 2, 4], [4])],
    },
    (b, { x, g, s, l }) => {
      const ln = b.layerNormalization(x, g!, g!, 1e-5);
      const noBias = b.layerNormalization(x, g!, undefined, 1e-3);
      const ce = b.softmaxCrossEntropyLoss(s!, l!);
      const ignoring = b.softmaxCrossEntropyLoss(s!, l!, 4);
      return {
        y: ln.y,
        mean: ln.mean,
        invStd: ln.invStd,
        yNoBias: noBias.y,
        loss: ce.loss,
        logProb: ce.logProb,
        lossIgnoring: ignoring.loss,
      };
    },
  ),
  parityCase(
    "Reshape, Transpose, Concat, Unsqueeze, Squeeze",
    {
      x: ["float32", ["batch", 3, 4], uniform([2, 3, 4])],
      y: ["float32", ["batch", 2, 4], uniform([2, 2, 4])],
    },
    (b, { x, y }) => {
      const flat = b.reshape(x, [0, -1]);
      return {
        flat,
        pairs: b.reshape(x, [-1, 2]),
        back: b.reshapeLike(flat, x),
        perm: b.transpose(x, [2, 0, 1]),
        cat: b.concat([x, y!, x], 1),
        catLast: b.concat([x, x], -1),
        unsq: b.unsqueeze(x, [0, 3]),
        sq: b.squeeze(b.reduceSum(x, [1], true), [1]),
      };
    },
  ),
  parityCase(
    "Slice with negative starts, ends, steps and run-time bounds",
    { x: ["float32", [5, 6], uniform([5, 6])], s: ["float32", ["batch", "len"], uniform([2, 7])] },
    (b, { x, s }) => ({
      inner: b.slice(x, 1, 1, -1),
      tail: b.slice(x, 0, -3, 100),
      strided: b.slice(x, 1, 0, 6, 2),
      backStep: b.slice(x, 1, 4, 0, -2),
      symbolic: b.slice(s, 1, 0, 2 ** 31 - 1),
      lastTwo: b.slice(s, 1, -2, 2 ** 31 - 1),
      dynamic: b.sliceDynamic(s, 1, b.ints([1]), b.dimOf(s, 1), "lenMinus1"),
    }),
  ),
  parityCase(
    "Expand and Pad",
    {
      x: ["float32", [3, 1], uniform([3, 1])],
      ref: ["float32", ["batch", 3, 4], uniform([2, 3, 4])],
      p: ["float32", ["batch", 3], uniform([2, 3])],
    },
    (b, { x, ref, p }) => ({
      like: b.expandLike(x, ref),
      fixed: b.expand(x, b.ints([2, 3, 5]), [2, 3, 5]),
      padded: b.pad(p, b.ints([0, 1, 0, 2]), ["batch", 6]),
      padded3: b.pad(ref, b.ints([1, 0, 2, 0, 1, 0]), ["batch+1", 4, 6]),
    }),
  ),
  parityCase(
    "Gather with negative indices, GatherElements",
    {
      d: ["float32", [5, 4], uniform([5, 4])],
      ix: ["int64", [2, 3], int64([0, -1, 3, -5, 2, 4], [2, 3])],
      col: ["int64", [2], int64([-1, 1], [2])],
      e: ["int64", [5, 2], ints([5, 2], -50, 50)],
      ge: ["int64", [5, 2], int64([0, 3, -1, 2, 1, 1, -4, 0, 3, 3], [5, 2])],
    },
    (b, { d, ix, col, e, ge }) => ({
      rows: b.gather(d, ix, 0),
      cols: b.gather(d, col, 1),
      scalar: b.gather(d, b.scalar(-2, "int64"), 0),
      ints: b.gather(e, ix, 0),
      elements: b.gatherElements(d, ge, 1),
      elements0: b.gatherElements(d, b.constant(int64([4, 0, 2, 1, 0, 3, 3, 1], [2, 4])), 0),
    }),
  ),
  parityCase(
    "ScatterND and ScatterElements, add with duplicate indices",
    {
      d: ["float32", [4, 3], uniform([4, 3])],
      u: ["float32", [3, 3], uniform([3, 3])],
      v: ["float32", [3], uniform([3])],
      e: ["float32", [3, 2], uniform([3, 2])],
    },
    (b, { d, u, v, e }) => {
      const dup = b.constant(int64([1, 3, 1], [3, 1]));
      const cells = b.constant(int64([0, 1, 2, 2, 0, 1], [3, 2]));
      const cols = b.constant(int64([0, 0, 3, 1, 2, 3], [3, 2]));
      const uniq = b.constant(int64([0, 3, 1, 2, 2, 3], [3, 2]));
      return {
        ndAdd: b.scatterND(d, dup, u, "add"),
        ndNone: b.scatterND(d, b.constant(int64([2, 0, 3], [3, 1])), u),
        ndCells: b.scatterND(d, cells, v, "add"),
        elAdd: b.scatterElements(b.zerosLike(b.transpose(d, [1, 0])), cols, e, 1, "add"),
        elNone: b.scatterElements(b.transpose(d, [1, 0]), uniq, e, 1),
      };
    },
  ),
  parityCase(
    "Shape, ConstantOfShape, Range",
    { x: ["float32", ["batch", "len", 3], uniform([2, 4, 3])] },
    (b, { x }) => {
      const len = b.squeeze(b.dimOf(x, 1), [0]);
      return {
        shape: b.shapeOf(x),
        tail: b.shapeOf(x, 1, 3),
        fill: b.constantOfShape(b.shapeOf(x), x.shape, 2.5),
        fillInt: b.constantOfShape(b.shapeOf(x, 0, 2), ["batch", "len"], 7, "int64"),
        fillBool: b.constantOfShape(b.dimOf(x, 1), ["len"], 1, "bool"),
        zeros: b.zerosLike(x),
        positions: b.range(b.scalar(0, "int64"), len, b.scalar(1, "int64"), "len"),
        down: b.range(b.scalar(10, "int64"), b.scalar(2, "int64"), b.scalar(-3, "int64"), 3),
        floats: b.range(b.scalar(1.5), b.scalar(4), b.scalar(0.5), 5),
      };
    },
  ),
  parityCase(
    "Conv 1-D: stride 2 with padding and bias, stride 1 without",
    {
      x: ["float32", ["batch", 2, "time"], uniform([2, 2, 9])],
      w: ["float32", [3, 2, 3], uniform([3, 2, 3])],
      bias: ["float32", [3], uniform([3])],
      xs: ["float32", [1, 2, 8], uniform([1, 2, 8])],
    },
    (b, { x, w, bias, xs }) => ({
      strided: b.conv1d(x, w, bias, { stride: 2, padding: 1 }),
      plain: b.conv1d(x, w, undefined),
      fixed: b.conv1d(xs, w, bias, { stride: 2, padding: 1 }),
    }),
  ),
];

/** The graph of the RandomUniformLike checks: two random nodes (two seeds) shaped like x. */
function randomGraph(): Graph {
  const b = new GraphBuilder({ seed: 11 });
  const x = b.input("x", "float32", ["n", 100]);
  return b.build("random", { u: b.randomUniformLike(x), u2: b.randomUniformLike(x) });
}

// ---- comparison ------------------------------------------------------------------------------

const TOLERANCE = 1e-5;

/** ORT's output equals the reference's: same dtype and dims, floats within 1e-5 relative + absolute. */
function assertMatches(what: string, got: HostTensor, want: RefTensor): void {
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  assert.deepEqual([...got.dims], [...want.dims], `${what}: dims`);
  const values = toNumbers(got);
  for (let i = 0; i < values.length; i++) {
    const g = values[i]!;
    const w = want.data[i]!;
    const ok = got.dtype === "float32" ? Math.abs(g - w) <= TOLERANCE * (1 + Math.abs(w)) : g === w;
    assert.ok(ok, `${what}: element ${i} is ${g} under ONNX Runtime but ${w} in the reference`);
  }
}

/** Run-time dims agree with the builder's declared shapes: numbers equal, each symbol one size. */
function assertDeclaredShapes(
  graph: Graph,
  feeds: Record<string, HostTensor>,
  outputs: Record<string, HostTensor>,
): void {
  const symbols = new Map<string, number>();
  const check = (what: string, shape: Value["shape"], dims: readonly number[]) => {
    assert.equal(dims.length, shape.length, `${what}: rank of [${dims}] vs declared [${shape}]`);
    shape.forEach((d, i) => {
      const bound = typeof d === "number" ? d : symbols.get(d);
      if (bound === undefined) symbols.set(d as string, dims[i]!);
      else assert.equal(dims[i], bound, `${what}: dims [${dims}] vs declared [${shape}] (dim ${i})`);
    });
  };
  for (const i of graph.inputs) check(`input ${i.name}`, i.value.shape, feeds[i.name]!.dims);
  for (const o of graph.outputs) check(`output ${o.name}`, o.value.shape, outputs[o.name]!.dims);
}

async function runBoth(session: OrtSession, graph: Graph, feeds: Record<string, HostTensor>): Promise<void> {
  const got = await session.run(feeds);
  const want = runReference(graph, feeds);
  for (const { name } of graph.outputs) assertMatches(`${graph.name} / ${name}`, got[name]!, want[name]!);
  assertDeclaredShapes(graph, feeds, got);
}

// ---- tests -----------------------------------------------------------------------------------

test("every op in OP_TYPES has a parity case", () => {
  const covered = new Set<OpType>();
  for (const graph of [...CASES.map((c) => c.graph), randomGraph()])
    for (const n of graph.nodes) covered.add(n.op);
  const missing = OP_TYPES.filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `ops without a parity case: ${missing.join(", ")}`);
});

for (const c of CASES) {
  test(`parity: ${c.name}`, async () => {
    const session = await OrtSession.create(c.graph);
    try {
      await runBoth(session, c.graph, c.feeds);
    } finally {
      await session.release();
    }
  });
}

/** Builder shape inference at the edges ONNX defines oddly (each once declared wrong, found by parity). */
const SHAPE_EDGES: Array<[string, (b: GraphBuilder, x: Value) => Value]> = [
  ["slice, negative step (end clamps to -1)", (b, x) => b.slice(x, 0, -1, -100, -1)],
  ["slice, symbolic dim, step 2", (b, x) => b.slice(x, 1, 0, 2 ** 31 - 1, 2)],
  ["shapeOf, negative start", (b, x) => b.shapeOf(x, -1)],
];

for (const [name, build] of SHAPE_EDGES) {
  test(`parity: builder shape inference, ${name}`, async () => {
    const c = parityCase("edge", { x: ["float32", [5, "n"], uniform([5, 6])] }, (b, { x }) => ({
      y: build(b, x),
    }));
    const session = await OrtSession.create(c.graph);
    try {
      await runBoth(session, c.graph, c.feeds);
    } finally {
      await session.release();
    }
  });
}

test("builder: a reduction over no axes is refused (ONNX would reduce every axis)", () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2, 3]);
  assert.throws(() => b.reduceSum(x, []), /give the axes to reduce/);
});

test("parity: one session runs several sizes of its symbolic dims", async () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["batch", "len", 4]);
  const w = b.constant(
    float32(
      Array.from({ length: 12 }, (_, i) => (i - 6) / 5),
      [4, 3],
    ),
  );
  const h = b.softmax(b.matmul(x, w), 2);
  const pooled = b.reduceMean(h, [1]);
  const positions = b.range(b.scalar(0, "int64"), b.squeeze(b.dimOf(x, 1), [0]), b.scalar(1, "int64"), "len");
  const graph = b.build("sizes", {
    h,
    pooled,
    positions,
    shifted: b.concat([b.slice(x, 1, 1, 2 ** 31 - 1), x], 1),
  });
  const session = await OrtSession.create(graph);
  try {
    const sizes: Array<[number, number]> = [
      [2, 3],
      [5, 7],
      [1, 1],
    ]; // [batch, len]
    for (const [batch, len] of sizes) await runBoth(session, graph, { x: uniform([batch, len, 4]) });
  } finally {
    await session.release();
  }
});

test("parity: RandomUniformLike is uniform on [0, 1), fresh per run, replayed by a new session", async () => {
  const graph = randomGraph();
  const feeds = { x: uniform([100, 100]) };
  const first = await OrtSession.create(graph);
  const run1 = await first.run(feeds);
  const run2 = await first.run(feeds);
  await first.release();
  const u = toNumbers(run1["u"]!);
  assert.deepEqual([...run1["u"]!.dims], [100, 100]);
  assert.ok(
    u.every((v) => v >= 0 && v < 1),
    "values lie in [0, 1)",
  );
  const mean = u.reduce((p, q) => p + q, 0) / u.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean} is near 0.5`);
  assert.notDeepEqual(run1["u"], run2["u"], "two runs of one session differ");
  assert.notDeepEqual(run1["u"], run1["u2"], "two nodes (two seeds) differ");
  const second = await OrtSession.create(graph);
  assert.deepEqual(await second.run(feeds), run1, "a new session replays the first run");
  await second.release();
  const ref = runReference(graph, feeds)["u"]!;
  assert.deepEqual([...ref.dims], [100, 100]);
  assert.ok(
    ref.data.every((v) => v >= 0 && v < 1),
    "reference values lie in [0, 1)",
  );
});
