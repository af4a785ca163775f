// Learning-rate schedules: constant, Noam (warm-up + inverse square root), warm-up + cosine decay, and
// reduce-on-plateau, behind one `LrSchedule` interface built from a typed config by `makeSchedule`.

/** Which schedule `makeSchedule` builds. */
export type ScheduleKind = "constant" | "noam" | "cosine" | "plateau";

/**
 * Noam schedule (Vaswani et al. 2017, §5.3). `relative`: `lr * min(step/warmup, sqrt(warmup/step))`, which
 * peaks at exactly `lr` when `step == warmupSteps`. `classic`: the paper's
 * `lr * dModel^-0.5 * min(step^-0.5, step * warmup^-1.5)`, where `lr` acts as a scale factor.
 */
export interface NoamConfig {
  warmupSteps: number;
  form: "relative" | "classic";
  dModel: number;
}

/**
 * Linear warm-up to `lr` over `warmupSteps`, then half-cosine decay to `minLr` at `totalSteps`, or at the end of
 * the run's time budget when that comes first (see cosineLr).
 */
export interface CosineConfig {
  warmupSteps: number;
  totalSteps: number;
  minLr: number;
}

/** Reduce-on-plateau, with PyTorch `ReduceLROnPlateau` semantics. */
export interface PlateauConfig {
  /** "min" for losses, "max" for accuracy-like metrics. */
  mode: "min" | "max";
  /** New LR = old LR × factor. */
  factor: number;
  /** Evaluations without improvement tolerated before reducing. */
  patience: number;
  /** Minimum change that counts as an improvement. */
  threshold: number;
  /** "rel": relative to the best value; "abs": absolute difference. */
  thresholdMode: "rel" | "abs";
  /** Evaluations to wait after a reduction before counting bad evaluations again. */
  cooldown: number;
  minLr: number;
}

/** Schedule config: `kind` picks the schedule, `lr` is its base/peak LR; the other sections are per kind. */
export interface ScheduleConfig {
  kind: ScheduleKind;
  lr: number;
  noam: NoamConfig;
  cosine: CosineConfig;
  plateau: PlateauConfig;
}

export const DEFAULT_NOAM_CONFIG: NoamConfig = { warmupSteps: 4000, form: "relative", dModel: 512 };
export const DEFAULT_COSINE_CONFIG: CosineConfig = { warmupSteps: 1000, totalSteps: 100_000, minLr: 0 };
export const DEFAULT_PLATEAU_CONFIG: PlateauConfig = {
  mode: "min",
  factor: 0.5,
  patience: 5,
  threshold: 1e-4,
  thresholdMode: "rel",
  cooldown: 0,
  minLr: 0,
};
export const DEFAULT_SCHEDULE_CONFIG: ScheduleConfig = {
  kind: "constant",
  lr: 1e-3,
  noam: DEFAULT_NOAM_CONFIG,
  cosine: DEFAULT_COSINE_CONFIG,
  plateau: DEFAULT_PLATEAU_CONFIG,
};

/** JSON-serialisable schedule state, saved with checkpoints so a resumed run continues identically. */
export type ScheduleState =
  | { kind: "constant" | "noam" | "cosine" }
  | { kind: "plateau"; lr: number; best: number | null; numBadEvals: number; cooldownCounter: number };

/** A learning-rate schedule. Steps are 1-based: `lrAt(1)` is the LR for the first optimizer update. */
export interface LrSchedule {
  readonly kind: ScheduleKind;
  /**
   * The learning rate for optimizer update number `step` (an integer ≥ 1). `timeDone`: the fraction of the
   * run's time budget (train.maxSeconds) spent before it, when the run has one; the cosine decay ends with
   * the budget (cosineLr), the other schedules go by steps alone.
   */
  lrAt(step: number, timeDone?: number): number;
  /** Reports a validation metric; returns true when this changed the LR (only reduce-on-plateau reacts). */
  reportMetric(value: number): boolean;
  stateDict(): ScheduleState;
  loadStateDict(state: ScheduleState): void;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 1)
    throw new RangeError(`LR schedule step must be an integer ≥ 1, got ${step}`);
}

function ensure(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`invalid LR schedule config: ${message}`);
}

/** Noam learning rate at `step` (1-based). */
export function noamLr(step: number, lr: number, cfg: NoamConfig): number {
  checkStep(step);
  const w = cfg.warmupSteps;
  if (cfg.form === "classic") return lr * cfg.dModel ** -0.5 * Math.min(step ** -0.5, step * w ** -1.5);
  return lr * Math.min(step / w, Math.sqrt(w / step));
}

/**
 * Warm-up + cosine learning rate at `step` (1-based); stays at `minLr` after `totalSteps`. With `timeDone`, the
 * fraction of a time budget spent before this step, the rate is also at most the same cosine of that fraction:
 * the decay ends with the budget when that comes before totalSteps, whatever the machine's pace, and it never
 * rises again (the warm-up's steps count as time spent).
 */
export function cosineLr(step: number, lr: number, cfg: CosineConfig, timeDone?: number): number {
  checkStep(step);
  const decay = (progress: number) =>
    cfg.minLr + (lr - cfg.minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  const bySteps =
    step < cfg.warmupSteps
      ? (lr * step) / cfg.warmupSteps
      : decay((step - cfg.warmupSteps) / (cfg.totalSteps - cfg.warmupSteps));
  return timeDone === undefined ? bySteps : Math.min(bySteps, decay(Math.max(0, timeDone)));
}

abstract class StatelessSchedule implements LrSchedule {
  abstract readonly kind: "constant" | "noam" | "cosine";
  abstract lrAt(step: number, timeDone?: number): number;
  reportMetric(_value: number): boolean {
    return false;
  }
  stateDict(): ScheduleState {
    return { kind: this.kind };
  }
  loadStateDict(state: ScheduleState): void {
    if (state.kind !== this.kind)
      throw new Error(`cannot load a "${state.kind}" schedule state into "${this.kind}"`);
  }
}

/** The same LR at every step. */
export class ConstantSchedule extends StatelessSchedule {
  readonly kind = "constant";
  constructor(readonly lr: number) {
    super();
    ensure(Number.isFinite(lr) && lr > 0, `lr must be > 0, got ${lr}`);
  }
  lrAt(step: number): number {
    checkStep(step);
    return this.lr;
  }
}

/** Linear warm-up then inverse-square-root decay; see `NoamConfig`. */
export class NoamSchedule extends StatelessSchedule {
  readonly kind = "noam";
  constructor(
    readonly lr: number,
    readonly config: NoamConfig = DEFAULT_NOAM_CONFIG,
  ) {
    super();
    ensure(Number.isFinite(lr) && lr > 0, `lr must be > 0, got ${lr}`);
    ensure(config.warmupSteps >= 1, `noam.warmupSteps must be ≥ 1, got ${config.warmupSteps}`);
    ensure(
      config.form === "relative" || config.form === "classic",
      `noam.form must be "relative" or "classic"`,
    );
    ensure(config.dModel >= 1, `noam.dModel must be ≥ 1, got ${config.dModel}`);
  }
  lrAt(step: number): number {
    return noamLr(step, this.lr, this.config);
  }
}

/** Linear warm-up then cosine decay to a floor; see `CosineConfig`. */
export class CosineSchedule extends StatelessSchedule {
  readonly kind = "cosine";
  constructor(
    readonly lr: number,
    readonly config: CosineConfig = DEFAULT_COSINE_CONFIG,
  ) {
    super();
    const { warmupSteps, totalSteps, minLr } = config;
    ensure(Number.isFinite(lr) && lr > 0, `lr must be > 0, got ${lr}`);
    ensure(warmupSteps >= 0, `cosine.warmupSteps must be ≥ 0, got ${warmupSteps}`);
    ensure(
      totalSteps > warmupSteps,
      `cosine.totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`,
    );
    ensure(minLr >= 0 && minLr <= lr, `cosine.minLr must be in [0, lr], got ${minLr}`);
  }
  lrAt(step: number, timeDone?: number): number {
    return cosineLr(step, this.lr, this.config, timeDone);
  }
}

/** Multiplies the LR by `factor` once the metric has not improved for more than `patience` evaluations. */
export class PlateauSchedule implements LrSchedule {
  readonly kind = "plateau";
  private lr: number;
  private best: number | null = null;
  private numBadEvals = 0;
  private cooldownCounter = 0;

  constructor(
    lr: number,
    readonly config: PlateauConfig = DEFAULT_PLATEAU_CONFIG,
  ) {
    const { mode, factor, patience, threshold, thresholdMode, cooldown, minLr } = config;
    ensure(Number.isFinite(lr) && lr > 0, `lr must be > 0, got ${lr}`);
    ensure(mode === "min" || mode === "max", `plateau.mode must be "min" or "max", got "${mode}"`);
    ensure(
      thresholdMode === "rel" || thresholdMode === "abs",
      `plateau.thresholdMode must be "rel" or "abs"`,
    );
    ensure(factor > 0 && factor < 1, `plateau.factor must be in (0, 1), got ${factor}`);
    ensure(Number.isInteger(patience) && patience >= 0, `plateau.patience must be an integer ≥ 0`);
    ensure(Number.isInteger(cooldown) && cooldown >= 0, `plateau.cooldown must be an integer ≥ 0`);
    ensure(threshold >= 0, `plateau.threshold must be ≥ 0, got ${threshold}`);
    ensure(minLr >= 0, `plateau.minLr must be ≥ 0, got ${minLr}`);
    this.lr = lr;
  }

  lrAt(step: number): number {
    checkStep(step);
    return this.lr;
  }

  private isBetter(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    if (this.best === null) return true;
    const { mode, threshold, thresholdMode } = this.config;
    if (mode === "min")
      return thresholdMode === "rel" ? value < this.best * (1 - threshold) : value < this.best - threshold;
    return thresholdMode === "rel" ? value > this.best * (1 + threshold) : value > this.best + threshold;
  }

  reportMetric(value: number): boolean {
    if (this.isBetter(value)) {
      this.best = value;
      this.numBadEvals = 0;
    } else {
      this.numBadEvals += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEvals = 0;
    }
    if (this.numBadEvals <= this.config.patience) return false;
    this.cooldownCounter = this.config.cooldown;
    this.numBadEvals = 0;
    const reduced = Math.max(this.lr * this.config.factor, this.config.minLr);
    if (this.lr - reduced <= 1e-12) return false;
    this.lr = reduced;
    return true;
  }

  stateDict(): ScheduleState {
    const { lr, best, numBadEvals, cooldownCounter } = this;
    return { kind: "plateau", lr, best, numBadEvals, cooldownCounter };
  }

  loadStateDict(state: ScheduleState): void {
    if (state.kind !== "plateau")
      throw new Error(`cannot load a "${state.kind}" schedule state into "plateau"`);
    const okNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
    if (!okNumber(state.lr) || !(state.best === null || okNumber(state.best))) {
      throw new Error(`invalid plateau schedule state: ${JSON.stringify(state)}`);
    }
    if (!Number.isInteger(state.numBadEvals) || !Number.isInteger(state.cooldownCounter)) {
      throw new Error(`invalid plateau schedule state: ${JSON.stringify(state)}`);
    }
    this.lr = state.lr;
    this.best = state.best;
    this.numBadEvals = state.numBadEvals;
    this.cooldownCounter = state.cooldownCounter;
  }
}

/** Builds the schedule named by `config.kind`, validating its section of the config. */
export function makeSchedule(config: ScheduleConfig): LrSchedule {
  switch (config.kind) {
    case "constant":
      return new ConstantSchedule(config.lr);
    case "noam":
      return new NoamSchedule(config.lr, config.noam);
    case "cosine":
      return new CosineSchedule(config.lr, config.cosine);
    case "plateau":
      return new PlateauSchedule(config.lr, config.plateau);
    default:
      throw new RangeError(
        `unknown LR schedule kind ${JSON.stringify(config.kind)} (expected constant, noam, cosine or plateau)`,
      );
  }
}
