// The ONNX Runtime executor: the only file in the project that imports onnxruntime-node.
// Sessions are created once and reused; ORT's errors are rethrown with what was declared and what was fed.

import { InferenceSession, Tensor } from "onnxruntime-node";
import type { Graph } from "../graph/ir.ts";
import type { DType, HostTensor } from "../graph/tensor.ts";
import { numel } from "../graph/tensor.ts";
import { toOnnxBytes } from "./onnx-export.ts";

export interface SessionOptions {
  /** intraOpNumThreads (default 2: the benchmark machine's core count). */
  threads?: number;
  /** graphOptimizationLevel (default "basic": faster session creation, same run speed as "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /** enableMemPattern (ORT default true); false saves memory at about the same speed. */
  memPattern?: boolean;
  /** enableCpuMemArena (ORT default true); false saves more memory but runs ≈35% slower. */
  cpuArena?: boolean;
}

/** What a session declares for one input or output: dtype and dims (names for symbolic dims). */
interface Declared {
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly (number | string)[];
}

const HOST_DTYPES: ReadonlySet<string> = new Set<DType>(["float32", "int64", "bool"]);

/** One ONNX Runtime inference session over a graph (or .onnx bytes), run with host tensors. */
export class OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly inputSet: ReadonlySet<string>;
  private released = false;

  private constructor(
    private readonly session: InferenceSession,
    private readonly label: string,
    private readonly declaredInputs: readonly Declared[],
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
    this.inputSet = new Set(session.inputNames);
  }

  /** Exports `model` when it is a Graph and loads it into ONNX Runtime. */
  static async create(model: Graph | Uint8Array, options: SessionOptions = {}): Promise<OrtSession> {
    const isBytes = model instanceof Uint8Array;
    const label = isBytes ? "ONNX model" : `graph "${model.name}"`;
    const bytes = isBytes ? model : toOnnxBytes(model, { onnxruntimeOps: true });
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(bytes, {
        intraOpNumThreads: options.threads ?? 2,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: options.optimization ?? "basic",
        enableMemPattern: options.memPattern ?? true,
        enableCpuMemArena: options.cpuArena ?? true,
        logSeverityLevel: 3,
      });
    } catch (error) {
      const declared = isBytes
        ? []
        : model.inputs.map((i) => ({ name: i.name, dtype: i.value.dtype, dims: i.value.shape }));
      throw new Error(
        `ONNX Runtime could not load ${label}: ${errorMessage(error)}\n${describeInputs(declared, undefined)}`,
        { cause: error },
      );
    }
    const declared = session.inputMetadata.map(
      (m): Declared =>
        m.isTensor
          ? { name: m.name, dtype: m.type, dims: m.shape }
          : { name: m.name, dtype: "non-tensor", dims: [] },
    );
    return new OrtSession(session, label, declared);
  }

  /**
   * Runs the session. `feeds` must name every input exactly once; `outputs` selects outputs (default all).
   * Returns new host tensors (ORT copies its outputs), keyed by output name.
   */
  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    outputs?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    if (this.released) throw new Error(`${this.label}: run() called after release()`);
    this.checkNames(feeds, outputs);
    let result: InferenceSession.ReturnType;
    try {
      const ortFeeds: Record<string, Tensor> = {};
      for (const name of this.inputNames) ortFeeds[name] = toOrtTensor(feeds[name]!);
      result = outputs ? await this.session.run(ortFeeds, [...outputs]) : await this.session.run(ortFeeds);
    } catch (error) {
      throw new Error(
        `ONNX Runtime failed to run ${this.label}: ${errorMessage(error)}\n${describeInputs(this.declaredInputs, feeds)}`,
        { cause: error },
      );
    }
    const out: Record<string, HostTensor> = {};
    for (const name of outputs ?? this.outputNames)
      out[name] = fromOrtTensor(this.label, name, result[name]!);
    return out;
  }

  /** Frees the native session; the object cannot run afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }

  private checkNames(
    feeds: Readonly<Record<string, HostTensor>>,
    outputs: readonly string[] | undefined,
  ): void {
    const missing = this.inputNames.filter((n) => feeds[n] === undefined);
    const extra = Object.keys(feeds).filter((n) => !this.inputSet.has(n));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        missing.length > 0 ? `missing feeds: ${missing.join(", ")}` : "",
        extra.length > 0 ? `unknown feeds: ${extra.join(", ")}` : "",
      ].filter((p) => p !== "");
      throw new Error(`${this.label}: ${parts.join("; ")}\n${describeInputs(this.declaredInputs, feeds)}`);
    }
    const unknown = (outputs ?? []).filter((n) => !this.outputNames.includes(n));
    if (unknown.length > 0) {
      throw new Error(
        `${this.label}: unknown outputs requested: ${unknown.join(", ")} (outputs are ${this.outputNames.join(", ")})`,
      );
    }
  }
}

function toOrtTensor(t: HostTensor): Tensor {
  if (t.data.length !== numel(t.dims)) {
    throw new Error(
      `tensor data has ${t.data.length} elements but dims [${t.dims.join(", ")}] need ${numel(t.dims)}`,
    );
  }
  switch (t.dtype) {
    case "float32":
      return new Tensor("float32", t.data as Float32Array, t.dims);
    case "int64":
      return new Tensor("int64", t.data as BigInt64Array, t.dims);
    case "bool":
      return new Tensor("bool", t.data as Uint8Array, t.dims);
  }
}

function fromOrtTensor(label: string, name: string, t: Tensor): HostTensor {
  if (!HOST_DTYPES.has(t.type)) {
    throw new Error(
      `${label}: output "${name}" has dtype ${t.type}; only float32, int64 and bool are supported`,
    );
  }
  return {
    dtype: t.type as DType,
    dims: [...t.dims],
    data: t.data as Float32Array | BigInt64Array | Uint8Array,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One line per declared input: name, declared dtype and dims, and what was fed (when known). */
function describeInputs(
  declared: readonly Declared[],
  feeds: Readonly<Record<string, HostTensor>> | undefined,
): string {
  const lines = declared.map((d) => {
    const decl = `${d.name}: declared ${d.dtype} [${d.dims.join(", ")}]`;
    if (feeds === undefined) return `  ${decl}`;
    const fed = feeds[d.name];
    return `  ${decl}, fed ${fed ? `${fed.dtype} [${fed.dims.join(", ")}]` : "nothing"}`;
  });
  if (feeds !== undefined) {
    for (const [name, t] of Object.entries(feeds)) {
      if (!declared.some((d) => d.name === name))
        lines.push(`  ${name}: not an input, fed ${t.dtype} [${t.dims.join(", ")}]`);
    }
  }
  return `inputs:\n${lines.join("\n")}`;
}
