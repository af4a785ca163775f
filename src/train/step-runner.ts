// Runs the one-graph training step in ONNX Runtime: holds the flat parameter and AdamW buffers between
// steps, feeds the learning rate and step count, and refuses to apply an update whose loss is not finite.

import type { Graph } from "../graph/ir.ts";
import type { HostTensor } from "../graph/tensor.ts";
import { initialize } from "../nn/init.ts";
import type { Parameter } from "../nn/module.ts";
import { OrtSession, type SessionOptions } from "../runtime/ort.ts";
import { type FlatLayout, STEP_IO } from "./step-graph.ts";

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** Extra graph outputs the loss builder declared. */
  outputs: Record<string, HostTensor>;
}

/** Initial flat parameters for a layout, each tensor drawn from its own initialiser. */
export function initialFlatParams(
  layout: FlatLayout,
  params: readonly Parameter[],
  seed: number,
): Float32Array {
  const byName = new Map(params.map((p) => [p.name, p]));
  const flat = new Float32Array(layout.total);
  for (const slot of layout.slots) {
    const p = byName.get(slot.name);
    if (!p) throw new Error(`layout names parameter "${slot.name}" that the model does not have`);
    flat.set(initialize(p.init, p.shape, seed, p.name), slot.offset);
  }
  return flat;
}

/** Views of each parameter inside a flat buffer (no copies). */
export function unflatten(layout: FlatLayout, flat: Float32Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const slot of layout.slots) out.set(slot.name, flat.subarray(slot.offset, slot.offset + slot.size));
  return out;
}

export class TrainingStepRunner {
  /** Optimizer steps taken so far (AdamW's t is step + 1 on the next run). */
  step = 0;
  m: Float32Array;
  v: Float32Array;

  private constructor(
    private readonly session: OrtSession,
    readonly layout: FlatLayout,
    public params: Float32Array,
  ) {
    this.m = new Float32Array(layout.total);
    this.v = new Float32Array(layout.total);
  }

  static async create(
    graph: Graph,
    layout: FlatLayout,
    params: Float32Array,
    options: SessionOptions = {},
  ): Promise<TrainingStepRunner> {
    if (params.length !== layout.total) {
      throw new Error(`flat parameters have ${params.length} values, the layout needs ${layout.total}`);
    }
    // No memory pattern: the same speed and a much smaller arena for a graph with symbolic dims (BENCHMARKS.md).
    const session = await OrtSession.create(graph, { memPattern: false, ...options });
    return new TrainingStepRunner(session, layout, params);
  }

  /** One optimizer step on one batch. A non-finite loss throws and leaves every buffer untouched. */
  async run(batch: Record<string, HostTensor>, lr: number): Promise<StepResult> {
    const P = this.layout.total;
    const feeds: Record<string, HostTensor> = {
      ...batch,
      [STEP_IO.params]: { dtype: "float32", dims: [P], data: this.params },
      [STEP_IO.m]: { dtype: "float32", dims: [P], data: this.m },
      [STEP_IO.v]: { dtype: "float32", dims: [P], data: this.v },
      [STEP_IO.step]: { dtype: "float32", dims: [], data: Float32Array.of(this.step + 1) },
      [STEP_IO.lr]: { dtype: "float32", dims: [], data: Float32Array.of(lr) },
    };
    const out = await this.session.run(feeds);
    const loss = (out[STEP_IO.loss]!.data as Float32Array)[0]!;
    const gradNorm = (out[STEP_IO.gradNorm]!.data as Float32Array)[0]!;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      throw new Error(
        `non-finite loss (${loss}) or gradient norm (${gradNorm}) at step ${this.step + 1}: update not applied ` +
          "(lower the learning rate, or check the data for empty or over-long examples)",
      );
    }
    this.params = out[STEP_IO.newParams]!.data as Float32Array;
    this.m = out[STEP_IO.newM]!.data as Float32Array;
    this.v = out[STEP_IO.newV]!.data as Float32Array;
    this.step += 1;
    const outputs: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(out)) {
      if (!(Object.values(STEP_IO) as string[]).includes(name)) outputs[name] = t;
    }
    return { loss, gradNorm, outputs };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
