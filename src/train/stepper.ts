// Optimizer steps over one or several micro-batches behind one class: the fused one-graph step when there
// is nothing to accumulate, else a gradient graph per micro-batch plus an AdamW apply graph. Families with
// static length buckets (RNNs) get one graph per bucket, built on first use, all sharing one optimizer state.

import { mixSeed } from "../data/rng.ts";
import type { Graph } from "../graph/ir.ts";
import type { HostTensor } from "../graph/tensor.ts";
import type { LengthBucket, Seq2SeqModel, TrainingLossOptions } from "../models/seq2seq.ts";
import { OrtSession, type SessionOptions } from "../runtime/ort.ts";
import {
  ACCUMULATE_IO,
  type AdamWConfig,
  buildApplyStep,
  buildGradientStep,
  buildTrainingStep,
  type FlatLayout,
  type LossBuilder,
  STEP_IO,
} from "./step-graph.ts";
import { TrainingStepRunner } from "./step-runner.ts";

/** One batch of an optimizer step. */
export interface MicroBatch {
  feeds: Record<string, HostTensor>;
  /** Target tokens the loss averages over: the micro-batch's weight in an accumulated gradient. */
  tokens: number;
  /** Index of the loss variant (length bucket) that runs it. */
  variant: number;
}

/** A training loss, optionally unrolled to a static length bucket. */
export interface LossVariant {
  bucket: LengthBucket | null;
  build: LossBuilder;
}

/** The model's training losses: one per length bucket for families that have them, else one for any length. */
export function lossVariants(model: Seq2SeqModel, options: TrainingLossOptions): LossVariant[] {
  if (!model.lengthBuckets || model.lengthBuckets.length === 0) {
    return [{ bucket: null, build: model.trainingLoss(options) }];
  }
  return model.lengthBuckets.map((bucket) => ({ bucket, build: model.trainingLoss({ ...options, bucket }) }));
}

/** The first variant whose bucket holds a batch of these padded lengths; -1 when none does. */
export function pickVariant(variants: readonly LossVariant[], srcLen: number, tgtLen: number): number {
  return variants.findIndex(
    (v) => v.bucket === null || (srcLen <= v.bucket.srcLen && tgtLen <= v.bucket.tgtLen),
  );
}

export interface StepOutcome {
  /** Token-weighted mean loss over the micro-batches. */
  loss: number;
  gradNorm: number;
  tokens: number;
  /** The loss builder's other scalar outputs (e.g. an encoder-only model's misaligned_rows), summed. */
  extras: Record<string, number>;
}

const NOT_EXTRAS: ReadonlySet<string> = new Set([...Object.values(STEP_IO), ACCUMULATE_IO.gradOut, "tokens"]);

/** Adds the scalar extra outputs of one run into `sums`. */
function addExtras(sums: Record<string, number>, outputs: Record<string, HostTensor>): void {
  for (const [name, t] of Object.entries(outputs)) {
    if (
      NOT_EXTRAS.has(name) ||
      t.data.length !== 1 ||
      !(t.data instanceof Float32Array || t.data instanceof BigInt64Array)
    )
      continue;
    sums[name] = (sums[name] ?? 0) + Number(t.data[0]);
  }
}

/** The optimizer's whole state: flat parameters, AdamW moments and the number of updates taken. */
export interface OptimizerState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  step: number;
}

export interface StepperOptions {
  adamw: AdamWConfig;
  /** Micro-batches per optimizer step; 1 uses the fused one-graph step. */
  accumulate: number;
  /** Dropout seeds of the built graphs (see docs/engine.md "Randomness"). */
  seed: number;
  seedOffset: number;
  session?: SessionOptions;
}

function hasRandomNodes(graph: Graph): boolean {
  return graph.nodes.some((n) => n.op === "RandomUniformLike");
}

function scalar(value: number): HostTensor {
  return { dtype: "float32", dims: [], data: Float32Array.of(value) };
}

function nonFinite(what: string, value: number, step: number): Error {
  return new Error(
    `non-finite ${what} (${value}) at step ${step}: update not applied ` +
      "(lower the learning rate, or check the data for empty or over-long examples)",
  );
}

type Built<T> = { runner: T; random: boolean };

/** Runs optimizer steps and holds the optimizer state between them. */
export class Stepper {
  private readonly fused = new Map<number, Built<TrainingStepRunner>>();
  private readonly gradient = new Map<number, Built<OrtSession>>();
  private apply: OrtSession | undefined;
  private current: OptimizerState;

  constructor(
    readonly layout: FlatLayout,
    private readonly variants: readonly LossVariant[],
    state: OptimizerState,
    private readonly options: StepperOptions,
  ) {
    if (variants.length === 0) throw new Error("a stepper needs at least one loss variant");
    this.current = { ...state };
  }

  /** The current state (buffers are replaced, never mutated, by a step). */
  state(): OptimizerState {
    return { ...this.current };
  }

  /** Whether any graph built so far draws random numbers (dropout). */
  get random(): boolean {
    return [...this.fused.values(), ...this.gradient.values()].some((b) => b.random);
  }

  private builderOptions(variant: number) {
    const { seed, seedOffset } = this.options;
    return { seed: variant === 0 ? seed : mixSeed(seed, variant), seedOffset };
  }

  private async fusedRunner(variant: number): Promise<Built<TrainingStepRunner>> {
    let built = this.fused.get(variant);
    if (!built) {
      const build = this.variants[variant]!.build;
      const graph = buildTrainingStep(this.layout, build, this.options.adamw, this.builderOptions(variant));
      const runner = await TrainingStepRunner.create(
        graph,
        this.layout,
        this.current.params,
        this.options.session,
      );
      built = { runner, random: hasRandomNodes(graph) };
      this.fused.set(variant, built);
    }
    return built;
  }

  private async gradientSession(variant: number): Promise<Built<OrtSession>> {
    let built = this.gradient.get(variant);
    if (!built) {
      const graph = buildGradientStep(
        this.layout,
        this.variants[variant]!.build,
        this.builderOptions(variant),
      );
      built = { runner: await OrtSession.create(graph, this.options.session), random: hasRandomNodes(graph) };
      this.gradient.set(variant, built);
    }
    return built;
  }

  private flat(data: Float32Array): HostTensor {
    return { dtype: "float32", dims: [this.layout.total], data };
  }

  /** One AdamW update on the union of `batches`; a non-finite loss throws and leaves the state untouched. */
  async run(batches: readonly MicroBatch[], lr: number): Promise<StepOutcome> {
    if (batches.length === 0) throw new Error("an optimizer step needs at least one micro-batch");
    const tokens = batches.reduce((s, b) => s + b.tokens, 0);
    if (this.options.accumulate <= 1 && batches.length === 1) {
      const { runner } = await this.fusedRunner(batches[0]!.variant);
      Object.assign(runner, this.current);
      const r = await runner.run(batches[0]!.feeds, lr);
      this.current = { params: runner.params, m: runner.m, v: runner.v, step: runner.step };
      const extras: Record<string, number> = {};
      addExtras(extras, r.outputs);
      return { loss: r.loss, gradNorm: r.gradNorm, tokens, extras };
    }
    const { grad, loss, extras } = await this.accumulate(batches);
    const gradNorm = await this.applyGradient(grad, lr);
    return { loss, gradNorm, tokens, extras };
  }

  /** Runs the gradient graphs over `batches`; returns the token-weighted gradient sum and mean loss. */
  private async accumulate(
    batches: readonly MicroBatch[],
  ): Promise<{ grad: Float32Array; loss: number; extras: Record<string, number> }> {
    const total = batches.reduce((s, b) => s + b.tokens, 0);
    let grad: Float32Array = new Float32Array(this.layout.total);
    let loss = 0;
    const extras: Record<string, number> = {};
    for (const batch of batches) {
      const weight = total > 0 ? batch.tokens / total : 1 / batches.length;
      const { runner } = await this.gradientSession(batch.variant);
      const out = await runner.run({
        ...batch.feeds,
        [STEP_IO.params]: this.flat(this.current.params),
        [ACCUMULATE_IO.gradIn]: this.flat(grad),
        [ACCUMULATE_IO.weight]: scalar(weight),
      });
      const part = (out[STEP_IO.loss]!.data as Float32Array)[0]!;
      if (!Number.isFinite(part)) throw nonFinite("loss", part, this.current.step + 1);
      loss += weight * part;
      grad = out[ACCUMULATE_IO.gradOut]!.data as Float32Array;
      addExtras(extras, out);
    }
    return { grad, loss, extras };
  }

  /** Clipping + AdamW with an accumulated gradient; returns the gradient norm. */
  private async applyGradient(grad: Float32Array, lr: number): Promise<number> {
    this.apply ??= await OrtSession.create(
      buildApplyStep(this.layout, this.options.adamw),
      this.options.session,
    );
    const s = this.current;
    const out = await this.apply.run({
      [STEP_IO.params]: this.flat(s.params),
      [STEP_IO.m]: this.flat(s.m),
      [STEP_IO.v]: this.flat(s.v),
      [ACCUMULATE_IO.grad]: this.flat(grad),
      [STEP_IO.step]: scalar(s.step + 1),
      [STEP_IO.lr]: scalar(lr),
    });
    const gradNorm = (out[STEP_IO.gradNorm]!.data as Float32Array)[0]!;
    if (!Number.isFinite(gradNorm)) throw nonFinite("gradient norm", gradNorm, s.step + 1);
    this.current = {
      params: out[STEP_IO.newParams]!.data as Float32Array,
      m: out[STEP_IO.newM]!.data as Float32Array,
      v: out[STEP_IO.newV]!.data as Float32Array,
      step: s.step + 1,
    };
    return gradNorm;
  }

  /**
   * Runs `batches` through their graphs for the random draws only (ONNX Runtime's seeded generators advance
   * with every run); the optimizer state does not change. Graphs without random nodes are skipped.
   */
  async replay(batches: readonly MicroBatch[]): Promise<void> {
    const fusedMode = this.options.accumulate <= 1 && batches.length === 1;
    for (const batch of batches) {
      if (fusedMode) {
        const { runner, random } = await this.fusedRunner(batch.variant);
        if (!random) continue;
        Object.assign(runner, this.current);
        await runner.run(batch.feeds, 0);
      } else {
        const { runner, random } = await this.gradientSession(batch.variant);
        if (!random) continue;
        await runner.run({
          ...batch.feeds,
          [STEP_IO.params]: this.flat(this.current.params),
          [ACCUMULATE_IO.gradIn]: this.flat(new Float32Array(this.layout.total)),
          [ACCUMULATE_IO.weight]: scalar(0),
        });
      }
    }
  }

  async release(): Promise<void> {
    for (const { runner } of this.fused.values()) await runner.release();
    for (const { runner } of this.gradient.values()) await runner.release();
    await this.apply?.release();
    this.fused.clear();
    this.gradient.clear();
    this.apply = undefined;
  }
}
