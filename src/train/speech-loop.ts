// The loop of a speech training run between steps: seeded batch order per epoch, AdamW steps with a schedule,
// checkpoint callbacks with the whole loop state, and a resume that replays dropout draws to match exactly.

import type { SpeechBatch } from "../data/speech-dataset.ts";
import type { ModelConfig } from "../models/registry.ts";
import type { Seq2SeqModel } from "../models/seq2seq.ts";
import { ADAMW_DEFAULTS, type AdamWConfig, flatLayout } from "./step-graph.ts";
import { unflatten } from "./step-runner.ts";
import { type LossVariant, type MicroBatch, type OptimizerState, Stepper } from "./stepper.ts";

/** The loop's options (see SpeechTrainOptions, which adds the model and the data). */
export interface SpeechLoopOptions {
  /** Optimizer steps. */
  steps: number;
  /** Stop earlier once the run has trained this many seconds (a resumed run counts its checkpoint's). */
  maxSeconds?: number;
  /** Stop earlier after this many passes over the examples. */
  maxEpochs?: number;
  /** Peak learning rate of the Noam schedule (reached after warmupSteps); see also lrAt. */
  lr: number;
  warmupSteps: number;
  /**
   * The learning rate of step n (1-based), given the fraction of maxSeconds spent before it (when set); default
   * Noam with `lr` and `warmupSteps`.
   */
  lrAt?: (step: number, timeDone?: number) => number;
  weightDecay?: number;
  /** AdamW settings over ADAMW_DEFAULTS (weightDecay above wins when both are given). */
  adamw?: Partial<AdamWConfig>;
  seed: number;
  /** ONNX Runtime threads (default 2). */
  threads?: number;
  log?: (line: string) => void;
  /** Log every this many steps (default 100). */
  logEvery?: number;
  /** Call onCheckpoint every this many steps (default: never). */
  checkpointEvery?: number;
  /** The steps after which onCheckpoint is called (default: multiples of checkpointEvery). */
  checkpointAt?: (step: number) => boolean;
  /**
   * Gets the weights and the whole training state at a checkpoint (e.g. to save and validate them); returning
   * false stops training. With dropout, the step graphs are rebuilt afterwards, seeded from this step.
   */
  onCheckpoint?: (c: SpeechCheckpoint) => Promise<boolean | undefined>;
  /** Gets every step's loss and learning rate (e.g. for a JSONL log). */
  onStep?: (r: SpeechStepRecord) => void;
  /** Stops training after the current step once aborted (e.g. on Ctrl-C). */
  signal?: AbortSignal;
  /** Continue a run where a checkpoint left it: its optimizer and loop state. */
  resume?: { optimizer: OptimizerState; state: SpeechLoopState };
}

/** One optimizer step, as onStep gets it. */
export interface SpeechStepRecord {
  step: number;
  /** The epoch (0-based) of the step's batch. */
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

/** The next batch: an epoch and the index in its batch order (shuffled with mixSeed(seed, epoch)). */
export interface SpeechDataPosition {
  epoch: number;
  batch: number;
}

/** Where the training loop stands between steps: with the optimizer state, enough to continue exactly. */
export interface SpeechLoopState {
  /** Optimizer steps taken. */
  step: number;
  position: SpeechDataPosition;
  /**
   * Where the step graphs were built: their dropout seeds mix in segment.step and ONNX Runtime's generators
   * advance with every run since, so a resumed run replays the batches from segment.position first.
   */
  segment: { step: number; position: SpeechDataPosition };
  /** Loss sums not reported yet: the progress line's window, and the steps since the last checkpoint. */
  window: { loss: number; steps: number };
  since: { loss: number; steps: number };
  /** Seconds spent training so far, across resumes (absent in checkpoints written before it was recorded). */
  elapsed?: number;
}

/** The state handed to onCheckpoint. */
export interface SpeechCheckpoint {
  step: number;
  /** Mean loss since the previous checkpoint. */
  loss: number;
  weights: Map<string, Float32Array>;
  optimizer: OptimizerState;
  state: SpeechLoopState;
  /** A periodic checkpoint (checkpointAt) rather than the state at the end. */
  boundary: boolean;
}

export interface SpeechTrainResult {
  /** The resolved model config (what config.json stores). */
  config: ModelConfig;
  model: Seq2SeqModel;
  weights: Map<string, Float32Array>;
  /** The optimizer and loop state at the end: a checkpoint of them resumes the run. */
  optimizer: OptimizerState;
  state: SpeechLoopState;
  steps: number;
  seconds: number;
  /** Mean loss of the last logged window of steps. */
  loss: number;
  /** Why training ended. */
  stopped: "steps" | "seconds" | "epochs" | "signal" | "checkpoint";
}

/** What the loop trains: the model and its losses, the first optimizer state, batches and their feeds. */
export interface SpeechLoopPlan {
  config: ModelConfig;
  model: Seq2SeqModel;
  variants: readonly LossVariant[];
  /** The optimizer state of a fresh run (a resumed run's comes from SpeechLoopOptions.resume). */
  optimizer: () => OptimizerState;
  /** The batch order of an epoch: the same for the same epoch. */
  epochBatches: (epoch: number) => SpeechBatch[];
  /** A batch's feeds (SpecAugment following from the seed, the epoch and the examples). */
  microBatch: (batch: SpeechBatch, epoch: number) => MicroBatch;
}

/** Noam's warm-up then inverse square root, peaking at `lr` after `warmup` steps. */
function noam(step: number, lr: number, warmup: number): number {
  return lr * Math.min(step / warmup, Math.sqrt(warmup / step));
}

/** Why training stops before the next step, if it does (the step count is the loop's own condition). */
function stopReason(
  o: SpeechLoopOptions,
  seconds: number,
  epochDone: boolean,
  epoch: number,
): SpeechTrainResult["stopped"] | undefined {
  if (o.maxSeconds !== undefined && seconds >= o.maxSeconds) return "seconds";
  if (o.signal?.aborted) return "signal";
  if (epochDone && o.maxEpochs !== undefined && epoch + 1 >= o.maxEpochs) return "epochs";
  return undefined;
}

/** The loop state of a run that has not taken a step. */
function freshLoopState(): SpeechLoopState {
  const position = { epoch: 0, batch: 0 };
  return {
    step: 0,
    position,
    segment: { step: 0, position },
    window: { loss: 0, steps: 0 },
    since: { loss: 0, steps: 0 },
  };
}

/** The training loop between steps: the stepper, the loop state and the current epoch's batch order. */
export class SpeechLoop {
  private stepper: Stepper;
  private state: SpeechLoopState;
  private order: { epoch: number; batches: SpeechBatch[] } | undefined;
  /** When this process began training (after a resume's replay), and the seconds trained before it. */
  private started = performance.now();
  private readonly before: number;
  private logged = Number.NaN;
  private readonly lrAt: (step: number, timeDone?: number) => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly o: SpeechLoopOptions,
    private readonly plan: SpeechLoopPlan,
  ) {
    this.log = o.log ?? (() => {});
    this.state = structuredClone(o.resume?.state ?? freshLoopState());
    this.before = this.state.elapsed ?? 0;
    this.lrAt = o.lrAt ?? ((step: number) => noam(step, o.lr, o.warmupSteps));
    const optimizer = o.resume?.optimizer ?? plan.optimizer();
    this.stepper = this.makeStepper(optimizer, this.state.segment.step);
  }

  private makeStepper(state: OptimizerState, seedOffset: number): Stepper {
    const adamw = { ...ADAMW_DEFAULTS, ...this.o.adamw };
    if (this.o.weightDecay !== undefined) adamw.weightDecay = this.o.weightDecay;
    const layout = flatLayout(this.plan.model.parameters());
    const session = { threads: this.o.threads ?? 2 };
    return new Stepper(layout, this.plan.variants, state, {
      adamw,
      accumulate: 1,
      seed: this.o.seed,
      seedOffset,
      session,
    });
  }

  /** Seconds the run has trained: before this process and since it began training. */
  private elapsed(): number {
    return this.before + (performance.now() - this.started) / 1000;
  }

  /** The batch order of `epoch` (seeded by seed and epoch, so a resumed run rebuilds it). */
  private batchesOf(epoch: number): SpeechBatch[] {
    if (this.order?.epoch !== epoch) this.order = { epoch, batches: this.plan.epochBatches(epoch) };
    return this.order.batches;
  }

  /** The batch at `p` (the next epoch's first when `p` is past the last) and the position after it. */
  private take(p: SpeechDataPosition): { batch: SpeechBatch; epoch: number; next: SpeechDataPosition } {
    const at = p.batch < this.batchesOf(p.epoch).length ? p : { epoch: p.epoch + 1, batch: 0 };
    const batch = this.batchesOf(at.epoch)[at.batch]!;
    return { batch, epoch: at.epoch, next: { epoch: at.epoch, batch: at.batch + 1 } };
  }

  /** A resumed run replays the batches since its graphs' seeds (segment) so the dropout draws match. */
  async open(): Promise<void> {
    const { step, segment } = this.state;
    if (step === segment.step) return;
    this.log(`replaying the dropout draws of ${step - segment.step} steps to match an uninterrupted run`);
    let position = segment.position;
    for (let s = segment.step; s < step; s++) {
      const { batch, epoch, next } = this.take(position);
      await this.stepper.replay([this.plan.microBatch(batch, epoch)]);
      position = next;
    }
    this.started = performance.now();
  }

  /** Trains until a limit, the signal or onCheckpoint stops it; returns why. */
  async run(): Promise<SpeechTrainResult["stopped"]> {
    const o = this.o;
    const at = o.checkpointAt ?? ((step: number) => !!o.checkpointEvery && step % o.checkpointEvery === 0);
    while (this.state.step < o.steps) {
      const p = this.state.position;
      const reason = stopReason(o, this.elapsed(), p.batch >= this.batchesOf(p.epoch).length, p.epoch);
      if (reason) return reason;
      await this.trainStep();
      if (o.onCheckpoint && at(this.state.step) && !(await this.checkpoint(o.onCheckpoint)))
        return "checkpoint";
    }
    return "steps";
  }

  private async trainStep(): Promise<void> {
    const s = this.state;
    const { batch, epoch, next } = this.take(s.position);
    const { maxSeconds } = this.o;
    const lr = this.lrAt(s.step + 1, maxSeconds ? this.elapsed() / maxSeconds : undefined);
    const { loss, gradNorm } = await this.stepper.run([this.plan.microBatch(batch, epoch)], lr);
    s.step += 1;
    s.position = next;
    s.window = { loss: s.window.loss + loss, steps: s.window.steps + 1 };
    s.since = { loss: s.since.loss + loss, steps: s.since.steps + 1 };
    this.o.onStep?.({ step: s.step, epoch, loss, lr, gradNorm });
    if (s.step % (this.o.logEvery ?? 100) === 0 || s.step === this.o.steps) {
      this.logged = s.window.loss / s.window.steps;
      const seconds = this.elapsed().toFixed(0);
      this.log(`step ${s.step}: loss ${this.logged.toFixed(4)}, epoch ${epoch + 1}, ${seconds} s`);
      s.window = { loss: 0, steps: 0 };
    }
  }

  /** A checkpoint boundary: the graphs' dropout seeds restart from this step (see SpeechLoopState.segment). */
  private async checkpoint(onCheckpoint: NonNullable<SpeechLoopOptions["onCheckpoint"]>): Promise<boolean> {
    const s = this.state;
    const since = s.since;
    s.segment = { step: s.step, position: s.position };
    s.since = { loss: 0, steps: 0 };
    const go = await onCheckpoint({ ...this.snapshot(), loss: since.loss / since.steps, boundary: true });
    if (go === false) return false;
    if (this.stepper.random) {
      const old = this.stepper;
      this.stepper = this.makeStepper(old.state(), s.step);
      await old.release();
    }
    return true;
  }

  /** The step, weights, optimizer and loop state now (copies). */
  private snapshot(): Omit<SpeechCheckpoint, "loss" | "boundary"> {
    const optimizer = this.stepper.state();
    const weights = new Map(
      [...unflatten(this.stepper.layout, optimizer.params)].map(([name, v]) => [name, v.slice()]),
    );
    const state = { ...structuredClone(this.state), elapsed: this.elapsed() };
    return { step: this.state.step, weights, optimizer, state };
  }

  /** What trainSpeech returns once the loop stopped for `stopped`. */
  result(stopped: SpeechTrainResult["stopped"]): SpeechTrainResult {
    const { window } = this.state;
    const loss = window.steps > 0 ? window.loss / window.steps : this.logged;
    const { config, model } = this.plan;
    const { step, ...end } = this.snapshot();
    return { config, model, ...end, steps: step, seconds: end.state.elapsed!, loss, stopped };
  }

  release(): Promise<void> {
    return this.stepper.release();
  }
}
