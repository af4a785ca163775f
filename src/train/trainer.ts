// The training loop: token-budget batches in seeded order, AdamW steps (accumulated over micro-batches when
// asked) with the schedule's LR, validation with early stopping, checkpoints that resume exactly, and a plot.

import { join, resolve } from "node:path";
import type { DataPosition } from "../data/batch-stream.ts";
import type { ExampleStream } from "../data/mixture.ts";
import {
  checkpointDir,
  listCheckpoints,
  pruneCheckpoints,
  saveCheckpoint,
  type TrainerState,
} from "./checkpoint.ts";
import { JsonlLog, type StepRecord, type TrainingObserver, type ValidationRecord } from "./progress.ts";
import { resolveMetric } from "./run-data.ts";
import {
  averageLastCheckpoints,
  BEST_DIR,
  type CheckpointAverage,
  plotRun,
  saveAveragedModel,
  saveBestModel,
} from "./run-outputs.ts";
import { type RunSetup, runSchedule, runValidator, setUpRun } from "./run-setup.ts";
import type { LrSchedule } from "./schedules.ts";
import { StepBatches } from "./step-batches.ts";
import { type LossVariant, lossVariants, type OptimizerState, Stepper } from "./stepper.ts";
import { taskScoreLines } from "./task-validation.ts";
import { TimeBudget } from "./time-budget.ts";
import { configHash, type RunConfig } from "./train-config.ts";
import { MetricTracker, type ValidationMetric, type ValidationResult, type Validator } from "./validation.ts";

export const LOG_FILE = "log.jsonl";

export interface TrainOptions {
  /** The run folder (checkpoints, best/, averaged/, log.jsonl, plot.svg/png). */
  out: string;
  /** Continue from the newest checkpoint in `out`. */
  resume?: boolean;
  observer?: TrainingObserver;
  /** Aborting stops after the current step, writes a checkpoint and returns status "interrupted". */
  signal?: AbortSignal;
}

export type TrainStatus = "completed" | "early-stopped" | "interrupted";

export interface TrainResult {
  status: TrainStatus;
  runDir: string;
  step: number;
  /** The newest checkpoint folder (a model folder that also resumes). */
  checkpoint: string;
  best: { metric: string; value: number; step: number; dir: string | null } | null;
  lastValidation: ValidationResult | null;
  averaged: { dir: string; validation: ValidationResult | null } | null;
  plot: { svgPath: string; pngPath: string } | null;
}

/** Training could not go on (e.g. a non-finite loss); the message says where the last good checkpoint is. */
export class TrainingError extends Error {
  override name = "TrainingError";
}

/** Trains the model `config` describes into `options.out`; see TrainOptions and TrainResult. */
export async function train(config: RunConfig, options: TrainOptions): Promise<TrainResult> {
  const observer = options.observer ?? {};
  const note = (line: string): void => observer.message?.(line);
  try {
    const setup = await setUpRun(config, resolve(options.out), options.resume ?? false, note);
    const run = new TrainingRun(config, setup, observer);
    try {
      await run.open();
      return await run.loop(options.signal);
    } finally {
      await run.release();
    }
  } finally {
    observer.stop?.();
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

/** One run's state between steps. */
class TrainingRun {
  private readonly log: JsonlLog;
  private readonly metric: ValidationMetric;
  private readonly schedule: LrSchedule;
  private readonly tracker: MetricTracker;
  private readonly variants: LossVariant[];
  private readonly batches: StepBatches;
  private readonly stream: ExampleStream;
  private stepper: Stepper | undefined;
  private validator: Validator | null = null;
  private step = 0;
  private tokens = 0;
  private elapsedBefore = 0;
  private segment: { step: number; data: DataPosition };
  private lastValidation: { step: number; result: ValidationResult } | null = null;
  private lastSavedStep = -1;
  private started = 0;
  private budget = new TimeBudget(0, 0);
  /** Tokens and seconds of the steps run by this process (for the tokens/s shown). */
  private rate = { tokens: 0, seconds: 0 };

  constructor(
    private readonly config: RunConfig,
    private readonly setup: RunSetup,
    private readonly observer: TrainingObserver,
  ) {
    const t = config.train;
    this.log = new JsonlLog(join(setup.runDir, LOG_FILE));
    this.metric = resolveMetric(t.metric, config.data);
    this.schedule = runSchedule(config, this.metric);
    this.tracker = new MetricTracker(this.metric);
    this.variants = lossVariants(setup.model, { labelSmoothing: t.labelSmoothing });
    const state = setup.resumed?.trainer;
    this.batches = new StepBatches(setup.trainPairs, this.variants, t, setup.ids, setup.mixture);
    this.stream = this.batches.stream(state?.data);
    this.segment = state?.segment ?? { step: 0, data: this.stream.position };
    if (state) {
      this.step = state.step;
      this.tokens = state.tokens;
      this.elapsedBefore = state.elapsed;
      this.schedule.loadStateDict(state.schedule);
      Object.assign(this.tracker, {
        best: state.best.value,
        bestStep: state.best.step,
        bestLoss: state.best.loss ?? Number.POSITIVE_INFINITY,
        bad: state.badValidations,
      });
      this.lastSavedStep = state.step;
    }
  }

  private note(line: string): void {
    this.observer.message?.(line);
  }

  /** Opens the sessions; a resumed run replays the batches since its graph's seeds so dropout matches. */
  async open(): Promise<void> {
    const t = this.config.train;
    const resumed = this.setup.resumed !== null;
    const exact = resumed && t.exactResume;
    if (!exact) this.segment = { step: this.step, data: this.stream.position };
    this.stepper = this.makeStepper(this.segment.step, this.setup.optimizer);
    if (exact && this.step > this.segment.step) {
      const replay = this.batches.stream(this.segment.data);
      const steps = this.step - this.segment.step;
      this.note(
        `replaying the dropout draws of ${steps} steps so the resumed run matches an uninterrupted one`,
      );
      for (let s = 0; s < steps; s++) await this.stepper.replay(this.batches.next(replay).batches);
    }
    this.validator = runValidator(this.setup, this.config.train, this.metric);
    await this.log.truncateAfter(resumed ? this.step : -1);
    const logged = this.log.read().findLast((r): r is ValidationRecord => r.type === "validation");
    if (logged?.step === this.step && logged.value !== null) {
      const { loss, perplexity, value, examples } = logged;
      this.lastValidation = {
        step: this.step,
        result: { loss, perplexity, metric: this.metric, value, examples },
      };
    }
    const kind = resumed ? "resume" : "start";
    this.log.append({ type: kind, step: this.step, message: `${kind} at step ${this.step}` });
  }

  private makeStepper(seedOffset: number, state: OptimizerState): Stepper {
    const t = this.config.train;
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = t;
    return new Stepper(this.setup.layout, this.variants, state, {
      adamw: { beta1, beta2, eps, weightDecay, maxGradNorm },
      accumulate: t.accumulate,
      seed: t.seed,
      seedOffset,
      session: { threads: t.threads },
    });
  }

  private limitReached(): boolean {
    const t = this.config.train;
    if (t.maxSteps > 0 && this.step >= t.maxSteps) return true;
    if (t.maxEpochs > 0 && StepBatches.completedEpochs(this.stream) >= t.maxEpochs) return true;
    return this.budget.exhausted(Date.now(), this.validatesAt(this.step + 1));
  }

  /** Trains until a limit, early stopping or the signal; then validates, saves, averages and plots. */
  async loop(signal?: AbortSignal): Promise<TrainResult> {
    this.started = Date.now();
    // maxSeconds bounds the run's training time in total: a resumed run spends only what its checkpoint left.
    this.budget = new TimeBudget(this.config.train.maxSeconds, this.started - this.elapsedBefore * 1000);
    this.observer.start?.({ step: this.step, totalSteps: this.batches.totalSteps(this.stream) });
    const t = this.config.train;
    let status: TrainStatus = "completed";
    if (t.patience > 0 && this.tracker.bad >= t.patience) status = "early-stopped";
    while (status === "completed" && !this.limitReached()) {
      if (signal?.aborted) {
        status = "interrupted";
        break;
      }
      const iterationStart = Date.now();
      await this.trainStep();
      await yieldToEventLoop();
      const validates = this.validatesAt(this.step);
      if (validates) {
        await this.validate(true);
        if (t.patience > 0 && this.tracker.bad >= t.patience) status = "early-stopped";
      }
      if (this.step % (t.saveEvery || t.validEvery) === 0) await this.checkpoint(true);
      this.budget.record(iterationStart, Date.now(), validates);
    }
    if (status === "interrupted" && signal?.aborted) this.note(`interrupted at step ${this.step}`);
    if (status === "early-stopped") this.note(`early stopping: no improvement in ${t.patience} validations`);
    return this.finish(status);
  }

  private validatesAt(step: number): boolean {
    return this.validator !== null && step % this.config.train.validEvery === 0;
  }

  private async trainStep(): Promise<void> {
    const { batches, epoch } = this.batches.next(this.stream);
    const { maxSeconds } = this.config.train;
    const lr = this.schedule.lrAt(this.step + 1, maxSeconds > 0 ? this.elapsed() / maxSeconds : undefined);
    const stepStart = Date.now();
    let outcome: Awaited<ReturnType<Stepper["run"]>>;
    try {
      outcome = await this.stepper!.run(batches, lr);
    } catch (error) {
      throw this.failure(error);
    }
    this.step += 1;
    this.tokens += outcome.tokens;
    this.rate.tokens += outcome.tokens;
    this.rate.seconds += (Date.now() - stepStart) / 1000;
    const record: StepRecord = {
      type: "step",
      step: this.step,
      epoch,
      loss: outcome.loss,
      lr,
      gradNorm: outcome.gradNorm,
      tokens: outcome.tokens,
      tokensPerSecond: this.rate.tokens / Math.max(1e-3, this.rate.seconds),
      elapsed: this.elapsed(),
      ...(Object.keys(outcome.extras).length > 0 ? { extras: outcome.extras } : {}),
    };
    this.log.append(record);
    this.observer.step?.(record);
  }

  private elapsed(): number {
    return this.elapsedBefore + (this.started > 0 ? (Date.now() - this.started) / 1000 : 0);
  }

  private failure(error: unknown): TrainingError {
    const message = error instanceof Error ? error.message : String(error);
    const last = listCheckpoints(this.setup.runDir).at(-1);
    const where = last
      ? `the last good checkpoint is ${last.dir} (step ${last.step})`
      : "no checkpoint had been written yet";
    this.log.append({ type: "error", step: this.step + 1, message });
    return new TrainingError(`training stopped at step ${this.step + 1}: ${message}; ${where}`);
  }

  /**
   * Validates the current weights. At a validation boundary the value feeds the schedule and the patience
   * count; off a boundary (the final validation) it can only set a new best, so a run continued later with a
   * larger limit matches an uninterrupted one.
   */
  private async validate(
    boundary: boolean,
    params = this.stepper!.state().params,
  ): Promise<ValidationResult> {
    const result = await this.validator!.run(params);
    const before = { ...this.tracker };
    const best = this.tracker.update(result.value, result.loss, this.step);
    if (boundary) this.schedule.reportMetric(result.value);
    else if (!best) this.tracker.bad = before.bad;
    this.lastValidation = { step: this.step, result };
    const record: ValidationRecord = { type: "validation", step: this.step, ...result, best };
    this.log.append(record);
    this.observer.validation?.(record);
    for (const line of taskScoreLines(result)) this.note(line);
    if (best && this.config.train.keepBest) await saveBestModel(this.setup, params, this.step, result);
    return result;
  }

  private trainerState(): TrainerState {
    return {
      format: 1,
      step: this.step,
      data: this.stream.position,
      segment: this.segment,
      seed: this.config.train.seed,
      schedule: this.schedule.stateDict(),
      best: {
        metric: this.metric,
        value: this.tracker.best,
        step: this.tracker.bestStep,
        loss: Number.isFinite(this.tracker.bestLoss) ? this.tracker.bestLoss : null,
      },
      badValidations: this.tracker.bad,
      tokens: this.tokens,
      elapsed: this.elapsed(),
      configHash: configHash(this.config),
      config: this.config,
      dataFingerprint: this.setup.dataFingerprint,
      layout: { total: this.setup.layout.total, names: this.setup.layout.slots.map((s) => s.name) },
    };
  }

  /** Writes a checkpoint; at a boundary the dropout seeds restart from this step first (see TrainerState). */
  private async checkpoint(boundary: boolean): Promise<void> {
    if (boundary) this.segment = { step: this.step, data: this.stream.position };
    const dir = checkpointDir(this.setup.runDir, this.step);
    const { model, modelConfig, tokenizers, layout, writeFolder } = this.setup;
    const optimizer = this.stepper!.state();
    await saveCheckpoint(dir, {
      modelConfig,
      model,
      tokenizers,
      layout,
      optimizer,
      trainer: this.trainerState(),
      writeFolder,
    });
    await pruneCheckpoints(this.setup.runDir, this.config.train.keepLast);
    this.lastSavedStep = this.step;
    if (boundary && this.stepper!.random) {
      const old = this.stepper!;
      this.stepper = this.makeStepper(this.step, old.state());
      await old.release();
    }
  }

  private async finish(status: TrainStatus): Promise<TrainResult> {
    if (status !== "interrupted" && this.validator && this.lastValidation?.step !== this.step) {
      await this.validate(false);
    }
    if (this.lastSavedStep !== this.step) await this.checkpoint(false);
    const averaged = status === "interrupted" ? null : await this.average();
    const plot = status === "interrupted" ? null : await this.plot();
    this.log.append({ type: "stop", step: this.step, message: status });
    const checkpoint = checkpointDir(this.setup.runDir, this.step);
    this.note(`${status} at step ${this.step}; checkpoint: ${checkpoint}`);
    const best =
      this.tracker.best === null
        ? null
        : {
            metric: this.metric,
            value: this.tracker.best,
            step: this.tracker.bestStep,
            dir: this.config.train.keepBest ? join(this.setup.runDir, BEST_DIR) : null,
          };
    const lastValidation = this.lastValidation?.result ?? null;
    return {
      status,
      runDir: this.setup.runDir,
      step: this.step,
      checkpoint,
      best,
      lastValidation,
      averaged,
      plot,
    };
  }

  /**
   * Averages the last train.averageLastK checkpoints into averaged/ and validates the result; with
   * train.averageChooseK, the last 2..averageLastK in turn, keeping the one validation rates best.
   */
  private async average(): Promise<TrainResult["averaged"]> {
    const last = this.config.train.averageLastK;
    if (last === 0) return null;
    const choose = this.config.train.averageChooseK && this.validator !== null && last > 2;
    const candidates = choose ? Array.from({ length: last - 1 }, (_, i) => i + 2) : [last];
    const tracker = new MetricTracker(this.metric);
    let chosen: { average: CheckpointAverage; validation: ValidationResult | null } | null = null;
    for (const k of candidates) {
      const average = await averageLastCheckpoints(this.setup, k);
      const validation = this.validator ? await this.validator.run(average.params) : null;
      if (validation) {
        this.note(
          `averaged model (last ${k}): validation loss ${validation.loss.toFixed(4)}, ${validation.metric} ${validation.value.toFixed(2)}`,
        );
      }
      const better = validation ? tracker.update(validation.value, validation.loss, k) : true;
      if (better || !chosen) chosen = { average, validation };
    }
    const rated = chosen!.validation;
    const dir = await saveAveragedModel(
      this.setup,
      chosen!.average,
      rated ? { metric: rated.metric, value: rated.value } : undefined,
    );
    this.note(
      `averaged the weights of the checkpoints at steps ${chosen!.average.steps.join(", ")} into ${dir}`,
    );
    return { dir, validation: chosen!.validation };
  }

  private async plot(): Promise<TrainResult["plot"]> {
    try {
      return await plotRun(this.log.read(), this.setup.runDir, `${this.setup.model.architecture} training`);
    } catch (error) {
      this.note(`could not draw the training plot: ${(error as Error).message}`);
      return null;
    }
  }

  async release(): Promise<void> {
    await this.stepper?.release();
    await this.validator?.release();
  }
}
