// The pure-TypeScript reference interpreter: runs IR graphs op by op in float64 with ONNX opset-18 semantics.
// It is the test oracle (gradient checks, ONNX Runtime parity), not a production path: clarity over speed.

import type { Graph, Node, OpType } from "../graph/ir.ts";
import { formatShape } from "../graph/shape.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { FUSED_KERNELS } from "./interpreter-fused.ts";
import { INDEXING_KERNELS } from "./interpreter-indexing.ts";
import { LAYOUT_KERNELS } from "./interpreter-layout.ts";
import { ARITHMETIC_KERNELS } from "./interpreter-ops.ts";
import { formatDims, type Kernel, makeRef, type RefTensor } from "./interpreter-tensor.ts";

export type { RefTensor } from "./interpreter-tensor.ts";

/** One kernel per op; the Record type makes TypeScript reject a missing op. */
const KERNELS: Record<OpType, Kernel> = {
  Input: (_, node, feed) => {
    const t = feed(String(node.attrs["name"]));
    return makeRef(t.dtype, t.dims, t.data.slice());
  },
  Constant: (_, node) => toRef(node.attrs["value"] as HostTensor),
  ...ARITHMETIC_KERNELS,
  ...LAYOUT_KERNELS,
  ...INDEXING_KERNELS,
  ...FUSED_KERNELS,
};

const TYPED_ARRAYS = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array } as const;

/** Converts a host tensor to float64 (int64 values exact below 2^53); a RefTensor is checked and returned. */
export function toRef(t: HostTensor | RefTensor): RefTensor {
  if (t.data instanceof Float64Array) return makeRef(t.dtype, t.dims, t.data);
  const expected = TYPED_ARRAYS[t.dtype];
  if (expected === undefined) throw new Error(`unknown dtype "${String(t.dtype)}"`);
  if (!(t.data instanceof expected)) {
    throw new Error(`a ${t.dtype} tensor needs ${expected.name} data, got ${t.data.constructor.name}`);
  }
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Number(t.data[i]!);
  return makeRef(t.dtype, t.dims, data);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Converts back to host typed arrays: float32 rounds, int64 must hold integers, bool is `x != 0`. */
export function toHost(t: RefTensor): HostTensor {
  const dims = [...t.dims];
  if (t.dtype === "float32") return { dtype: "float32", dims, data: Float32Array.from(t.data) };
  if (t.dtype === "bool")
    return { dtype: "bool", dims, data: Uint8Array.from(t.data, (v) => (v !== 0 ? 1 : 0)) };
  const data = new BigInt64Array(t.data.length);
  t.data.forEach((v, i) => {
    if (!Number.isInteger(v)) throw new Error(`int64 tensor element ${i} is ${v}, not an integer`);
    const big = BigInt(v);
    data[i] = big > INT64_MAX ? INT64_MAX : big < INT64_MIN ? INT64_MIN : big;
  });
  return { dtype: "int64", dims, data };
}

/**
 * Runs `graph` on `feeds` (keyed by graph input name; HostTensor or RefTensor). Returns every graph output
 * by name, in float64. Feeds not named by the graph are ignored. Throws, naming the input, on a missing
 * feed, a wrong dtype or rank, or a symbolic dim bound to different sizes; naming the node (op and id)
 * when a kernel fails or an output's dims contradict the IR's static shape.
 */
export function runReference(
  graph: Graph,
  feeds: Readonly<Record<string, HostTensor | RefTensor>>,
): Record<string, RefTensor> {
  const bound = bindFeeds(graph, feeds);
  const feed = (name: string): RefTensor => {
    const t = bound.get(name);
    if (t === undefined) throw new Error(`graph input "${name}" is not among graph "${graph.name}"'s inputs`);
    return t;
  };
  const values = new Map<number, RefTensor>();
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((v, i) => {
      const t = values.get(v.id);
      if (t === undefined)
        throw nodeError(node, `input ${i} (value ${v.id}) is not computed before this node`);
      return t;
    });
    const outputs = runNode(node, inputs, feed);
    for (let i = 0; i < outputs.length; i++) values.set(node.outputs[i]!.id, outputs[i]!);
  }
  const results: Record<string, RefTensor> = {};
  for (const { name, value } of graph.outputs) {
    const t = values.get(value.id);
    if (t === undefined)
      throw new Error(`graph output "${name}" (value ${value.id}) is not computed by the graph`);
    results[name] = t;
  }
  return results;
}

/** Runs one node's kernel and checks each output against the node's IR values. */
function runNode(node: Node, inputs: RefTensor[], feed: (name: string) => RefTensor): RefTensor[] {
  let result: RefTensor | RefTensor[];
  try {
    result = KERNELS[node.op](inputs, node, feed);
  } catch (error) {
    throw nodeError(node, error instanceof Error ? error.message : String(error), error);
  }
  const outs = Array.isArray(result) ? result : [result];
  if (outs.length !== node.outputs.length)
    throw nodeError(node, `the kernel gave ${outs.length} outputs, the IR has ${node.outputs.length}`);
  for (let i = 0; i < outs.length; i++) checkOutput(node, outs[i]!, node.outputs[i]!);
  return outs;
}

function checkOutput(node: Node, out: RefTensor, value: Node["outputs"][number]): void {
  if (out.dtype === "int64") {
    for (let i = 0; i < out.data.length; i++) if (out.data[i] === 0) out.data[i] = 0; // -0 is not an integer
  }
  if (out.dtype !== value.dtype)
    throw nodeError(node, `output dtype is ${out.dtype} but the IR says ${value.dtype}`);
  const matches =
    out.dims.length === value.shape.length &&
    value.shape.every((d, i) => typeof d !== "number" || d === out.dims[i]);
  if (!matches) {
    throw nodeError(
      node,
      `output dims ${formatDims(out.dims)} contradict the IR shape ${formatShape(value.shape)} (a shape-inference bug?)`,
    );
  }
}

function nodeError(node: Node, message: string, cause?: unknown): Error {
  const prefix = `${node.op} node ${node.id}`;
  return new Error(message.startsWith(prefix) ? message : `${prefix}: ${message}`, { cause });
}

/** Converts and checks each graph input's feed; symbolic dims must take one size across all inputs. */
function bindFeeds(
  graph: Graph,
  feeds: Readonly<Record<string, HostTensor | RefTensor>>,
): Map<string, RefTensor> {
  const symbols = new Map<string, { size: number; input: string }>();
  const bound = new Map<string, RefTensor>();
  for (const { name, value } of graph.inputs) {
    const expected = `${value.dtype} ${formatShape(value.shape)}`;
    const given = feeds[name];
    if (given === undefined) throw new Error(`missing feed for graph input "${name}" (${expected})`);
    let t: RefTensor;
    try {
      t = toRef(given);
    } catch (error) {
      throw new Error(`feed "${name}": ${(error as Error).message}`, { cause: error });
    }
    const got = `${t.dtype} ${formatDims(t.dims)}`;
    if (t.dtype !== value.dtype)
      throw new Error(`feed "${name}" is ${got} but the graph input is ${expected}`);
    if (t.dims.length !== value.shape.length) {
      throw new Error(`feed "${name}" is ${got}: rank ${t.dims.length}, but the graph input is ${expected}`);
    }
    value.shape.forEach((d, i) => {
      const size = t.dims[i]!;
      if (typeof d === "number") {
        if (d !== size)
          throw new Error(`feed "${name}" is ${got} but the graph input is ${expected} (dim ${i})`);
        return;
      }
      const prior = symbols.get(d);
      if (prior !== undefined && prior.size !== size) {
        throw new Error(
          `symbolic dim "${d}" is ${size} in feed "${name}" (dim ${i}) but ${prior.size} in feed "${prior.input}"`,
        );
      }
      symbols.set(d, { size, input: name });
    });
    bound.set(name, t);
  }
  return bound;
}
