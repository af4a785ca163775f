// `seq2seq train` for speech models: a run config whose data are speech manifests (data.speech) trains or
// fine-tunes a speech model, saving last/ (and best/) folders `seq2seq transcribe` loads, scoring CER/WER and
// writing resumable checkpoints (src/train/speech-checkpoint.ts); --resume continues from the newest.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { logMelSpectrogram } from "../audio/mel.ts";
import { toSampleRate } from "../audio/resample.ts";
import { readWav } from "../audio/wav.ts";
import { readSpeechManifest, type SpeechExample } from "../data/speech-corpus.ts";
import { type FeaturedExample, loadSpeechFeatures } from "../data/speech-dataset.ts";
import { loadTranscriber } from "../decode/transcribe.ts";
import { replaceDirAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { configToJson } from "../io/config.ts";
import { corpusCer, corpusWer } from "../metrics/edit-distance.ts";
import { CHECKPOINTS_DIR, readOptimizerState } from "./checkpoint.ts";
import { RUN_CONFIG_FILE, runSchedule } from "./run-setup.ts";
import type { LrSchedule } from "./schedules.ts";
import {
  openSpeechCheckpoint,
  SpeechRunLog,
  type SpeechScore,
  type SpeechTrainerState,
  saveSpeechCheckpoint,
  speechDataFingerprint,
} from "./speech-checkpoint.ts";
import type { SpeechCheckpoint, SpeechLoopState, SpeechTrainResult } from "./speech-loop.ts";
import { type SpeechRunModel, speechRunModel } from "./speech-run-model.ts";
import { trainSpeech } from "./speech-train.ts";
import { flatLayout } from "./step-graph.ts";
import type { OptimizerState } from "./stepper.ts";
import { configHash, type RunConfig } from "./train-config.ts";

export type { SpeechScore } from "./speech-checkpoint.ts";

/** The run folder's parts: the newest model, the best by the validation metric, the JSONL log. */
export const SPEECH_RUN_FILES = { last: "last", best: "best", log: "log.jsonl" } as const;

/** Whether a run config is a speech run (data.speech.train set; the config checks pair it with a speech model). */
export function isSpeechRun(config: RunConfig): boolean {
  return config.data.speech.train !== "";
}

export interface SpeechRunOptions {
  /** The run folder (must not hold a run yet, unless resuming). */
  out: string;
  /** Continue from the newest checkpoint in `out` (the config must be the run's, but RESUMABLE_KEYS). */
  resume?: boolean;
  log?: (line: string) => void;
  /** Stops after the current step, then writes a checkpoint and last/ (without validating). */
  signal?: AbortSignal;
}

export interface SpeechRunResult {
  runDir: string;
  steps: number;
  stopped: SpeechTrainResult["stopped"];
  /** Mean training loss of the last logged steps. */
  loss: number;
  /** The model after the last step. */
  last: string;
  /** The newest checkpoint (a model folder that also resumes). */
  checkpoint: string;
  /** Its scores (undefined without data.speech.valid). */
  final?: SpeechScore;
  /** The best model by train.metric (cer unless wer), with its scores. */
  best?: SpeechScore & { dir: string };
}

/** Validation clips: audio files and transcripts, at most `max` (0 = all), those the model takes. */
interface ValidationClips {
  files: string[];
  refs: string[];
}

/**
 * Features of the training utterances. A Hugging Face Whisper (chunkSeconds set) reads each clip padded to its
 * window, as `seq2seq transcribe` does; longer clips are left out (with a note) rather than cut.
 */
async function trainingFeatures(
  examples: readonly SpeechExample[],
  m: SpeechRunModel,
  note: (line: string) => void,
): Promise<FeaturedExample[]> {
  if (m.chunkSeconds === undefined) return loadSpeechFeatures(examples, { nMels: m.nMels, log: note });
  const out: FeaturedExample[] = [];
  for (const e of examples) {
    const wave = toSampleRate(await readWav(e.audio), 16000);
    if (wave.samples.length > m.chunkSeconds * 16000) continue;
    const features = logMelSpectrogram(wave.samples, { nMels: m.nMels, chunkSeconds: m.chunkSeconds });
    out.push({ ...e, features });
  }
  if (out.length < examples.length)
    note(`left out ${examples.length - out.length} utterances longer than the model's ${m.chunkSeconds} s`);
  return out;
}

/** The validation clips the model can take (audio read once here, so a missing file fails before training). */
async function validationClips(
  examples: readonly SpeechExample[],
  maxSeconds: number | undefined,
  max: number,
  note: (line: string) => void,
): Promise<ValidationClips> {
  const picked = max > 0 ? examples.slice(0, max) : examples;
  const clips: ValidationClips = { files: [], refs: [] };
  for (const e of picked) {
    const wav = await readWav(e.audio);
    if (maxSeconds !== undefined && wav.samples.length / wav.sampleRate > maxSeconds) continue;
    clips.files.push(e.audio);
    clips.refs.push(e.text);
  }
  if (clips.files.length < picked.length)
    note(`validation: left out ${picked.length - clips.files.length} clips longer than ${maxSeconds} s`);
  return clips;
}

/** Transcribes the validation clips with the folder `dir` (as `seq2seq transcribe` would) and scores them. */
async function scoreFolder(
  dir: string,
  clips: ValidationClips,
  config: RunConfig,
): Promise<{ cer: number; wer: number; sample: string[] }> {
  const transcriber = await loadTranscriber(dir, { threads: config.train.threads });
  try {
    const maxLength = config.train.decodeMaxLength > 0 ? config.train.decodeMaxLength : undefined;
    const transcripts = await transcriber.transcribeFiles(clips.files, { maxLength });
    const hyps = transcripts.map((t) => t.text);
    const refs = [clips.refs];
    const cut = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);
    const sample = hyps.slice(0, 2).map((h, i) => `"${cut(clips.refs[i]!)}" -> "${cut(h)}"`);
    return { cer: corpusCer(hyps, refs).score, wer: corpusWer(hyps, refs).score, sample };
  } finally {
    await transcriber.release();
  }
}

/** A fresh run refuses a folder that holds a run; a resumed one gets its newest checkpoint, checked. */
async function openRunFolder(
  config: RunConfig,
  out: string,
  resume: boolean,
  fingerprint: string,
): Promise<{ dir: string; state: SpeechTrainerState } | null> {
  if (resume) return openSpeechCheckpoint(out, config, fingerprint);
  for (const part of [CHECKPOINTS_DIR, SPEECH_RUN_FILES.last, SPEECH_RUN_FILES.log])
    if (existsSync(join(out, part)))
      throw new Error(
        `${out} already holds a training run (${join(out, part)}): pass --resume to continue it, ` +
          "or choose another --out",
      );
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, RUN_CONFIG_FILE), configToJson(config));
  return null;
}

/** The state at a save: the weights, optimizer and loop state, and the mean loss since the last save. */
type SavePoint = Pick<SpeechCheckpoint, "step" | "loss" | "weights" | "optimizer" | "state">;

/** What a speech run keeps between saves: scores, patience, the log and the newest checkpoint. */
class SpeechRunState {
  best?: SpeechScore;
  final?: SpeechScore;
  sinceBest = 0;
  savedStep = -1;
  checkpoint = "";
  readonly log: SpeechRunLog;

  constructor(
    private readonly config: RunConfig,
    private readonly out: string,
    private readonly m: SpeechRunModel,
    private readonly clips: ValidationClips,
    private readonly schedule: LrSchedule,
    private readonly fingerprint: string,
    private readonly note: (line: string) => void,
  ) {
    this.log = new SpeechRunLog(join(out, SPEECH_RUN_FILES.log));
  }

  /** Takes over a checkpoint's state: scores, patience, schedule, and the log up to it. */
  async restore(dir: string, s: SpeechTrainerState): Promise<void> {
    this.schedule.loadStateDict(s.schedule);
    this.best = s.best ?? undefined;
    this.final = s.final ?? undefined;
    this.sinceBest = s.sinceBest;
    this.savedStep = s.step;
    this.checkpoint = dir;
    await this.log.keep(s.logRecords);
  }

  /**
   * Saves last/, validates when asked (at a boundary the value feeds the schedule and the patience count; off
   * one, at the end, it can only set a new best), logs, and writes a checkpoint; returns whether training
   * should go on (train.patience).
   */
  async save(c: SavePoint, boundary: boolean, validate: boolean): Promise<boolean> {
    const last = join(this.out, SPEECH_RUN_FILES.last);
    await this.m.save(last, c.weights);
    this.savedStep = c.step;
    let record: Record<string, unknown> = { type: "checkpoint", step: c.step, loss: c.loss };
    let line = `step ${c.step}: saved ${last}`;
    if (validate && this.clips.files.length > 0) {
      const v = await this.validate(c.step, last, boundary);
      [record, line] = [{ ...record, ...v.fields }, v.line];
    }
    this.log.append(record);
    this.note(line);
    const t = this.config.train;
    const state = this.trainerState(c.state);
    const content = { write: this.m.save, layout: this.layout(), optimizer: c.optimizer, state };
    this.checkpoint = await saveSpeechCheckpoint(this.out, content, t.keepLast);
    return !(t.patience > 0 && this.sinceBest >= t.patience);
  }

  private async validate(
    step: number,
    last: string,
    boundary: boolean,
  ): Promise<{ fields: Record<string, number>; line: string }> {
    const { cer, wer, sample } = await scoreFolder(last, this.clips, this.config);
    this.final = { step, cer, wer };
    const t = this.config.train;
    const value = t.metric === "wer" ? wer : cer;
    const previous = this.best && (t.metric === "wer" ? this.best.wer : this.best.cer);
    const improved = previous === undefined || value < previous;
    if (improved) {
      this.best = { step, cer, wer };
      if (t.keepBest)
        await replaceDirAtomic(join(this.out, SPEECH_RUN_FILES.best), async (tmp) => {
          await cp(last, tmp, { recursive: true });
          await writeJsonAtomic(join(tmp, "best.json"), { step, cer, wer });
        });
    }
    if (boundary) {
      this.sinceBest = improved ? 0 : this.sinceBest + 1;
      if (this.schedule.reportMetric(value)) this.note(`step ${step}: learning rate reduced (plateau)`);
    }
    const scores = `CER ${cer.toFixed(2)} %, WER ${wer.toFixed(2)} % (${this.clips.files.length} clips)`;
    const line = `step ${step}: validation ${scores}${improved ? ", best so far" : ""}; ${sample.join(", ")}`;
    return { fields: { cer, wer, clips: this.clips.files.length }, line };
  }

  private layout() {
    return flatLayout(this.m.model.parameters());
  }

  private trainerState(loop: SpeechLoopState): SpeechTrainerState {
    const layout = this.layout();
    return {
      format: 1,
      kind: "speech",
      step: loop.step,
      loop,
      seed: this.config.train.seed,
      schedule: this.schedule.stateDict(),
      best: this.best ?? null,
      final: this.final ?? null,
      sinceBest: this.sinceBest,
      logRecords: this.log.count,
      configHash: configHash(this.config),
      config: this.config,
      dataFingerprint: this.fingerprint,
      layout: { total: layout.total, names: layout.slots.map((s) => s.name) },
    };
  }

  /** The best model's folder and scores (with train.keepBest). */
  bestResult(): SpeechRunResult["best"] {
    if (!this.best || !this.config.train.keepBest) return undefined;
    return { ...this.best, dir: join(this.out, SPEECH_RUN_FILES.best) };
  }
}

/** The data and model of a speech run, read and checked before its folder is touched beyond opening it. */
async function prepareRun(config: RunConfig, o: SpeechRunOptions, note: (line: string) => void) {
  const { data: d, train: t } = config;
  const trainExamples = await readSpeechManifest(d.speech.train);
  const limited = d.limit > 0 ? trainExamples.slice(0, d.limit) : trainExamples;
  const validExamples = d.speech.valid === "" ? [] : await readSpeechManifest(d.speech.valid);
  if (limited.length === 0) throw new Error(`${d.speech.train}: the manifest has no utterances`);
  const fingerprint = speechDataFingerprint(d.speech.train, limited);
  const resumed = await openRunFolder(config, o.out, o.resume ?? false, fingerprint);
  const m = await speechRunModel(
    config,
    limited.map((e) => e.text),
    resumed?.dir,
  );
  note(`model: ${m.origin}, ${m.model.parameterCount()} parameters`);
  const optimizer = resumed
    ? await readOptimizerState(resumed.dir, flatLayout(m.model.parameters()), resumed.state)
    : undefined;
  const featured = await trainingFeatures(limited, m, note);
  note(`data: ${featured.length} training utterances from ${d.speech.train}`);
  const maxSeconds = m.model.maxSourceLength === undefined ? undefined : m.model.maxSourceLength / 100;
  const clips = await validationClips(validExamples, maxSeconds, t.validMaxExamples, note);
  return { fingerprint, resumed, m, optimizer, featured, clips };
}

/** Where a resumed run's loop starts: the checkpoint's state (train.exactResume off: no dropout replay). */
function resumeFrom(config: RunConfig, optimizer: OptimizerState, loop: SpeechLoopState) {
  const state = config.train.exactResume
    ? loop
    : { ...loop, segment: { step: loop.step, position: loop.position } };
  return { optimizer, state };
}

/**
 * Runs a speech training run: reads the manifests (data.speech.train, .valid), sets up the model (from scratch
 * or train.initFrom), trains with the train section's schedule, batchFrames and specAugment, and every
 * train.validEvery steps (train.saveEvery too) and at the end saves `<out>/last` and a resumable checkpoint
 * `<out>/checkpoints/step-N` (atomically; the newest train.keepLast kept) and, with a validation manifest,
 * transcribes it with last/ for CER/WER and keeps the best in `<out>/best`. With `resume`, continues from the
 * newest checkpoint as if the run had not stopped (the same losses).
 */
export async function runSpeechTraining(config: RunConfig, o: SpeechRunOptions): Promise<SpeechRunResult> {
  const note = o.log ?? (() => {});
  const t = config.train;
  const { fingerprint, resumed, m, optimizer, featured, clips } = await prepareRun(config, o, note);
  const schedule = runSchedule(config, t.metric === "wer" ? "wer" : "cer");
  const run = new SpeechRunState(config, o.out, m, clips, schedule, fingerprint, note);
  if (resumed) await run.restore(resumed.dir, resumed.state);
  const start = resumed?.state.step ?? 0;
  run.log.append({ type: resumed ? "resume" : "start", step: start });
  if (resumed) note(`resuming ${resumed.dir} at step ${start}`);
  const patienceSpent = t.patience > 0 && run.sinceBest >= t.patience;
  if (patienceSpent) note(`early stopping: no improvement in ${t.patience} validations`);
  const maxSteps = t.maxSteps > 0 ? t.maxSteps : Number.MAX_SAFE_INTEGER;
  const a = t.specAugment;
  const result = await trainSpeech({
    model: m.config,
    start: m.weights ? { config: m.config, weights: m.weights } : undefined,
    resume: resumed && optimizer ? resumeFrom(config, optimizer, resumed.state.loop) : undefined,
    examples: featured,
    tokenizer: m.tokenizer,
    targets: featured.map((e) => [...m.prompt, ...m.tokenizer.encode(e.text)]),
    ids: m.ids,
    steps: patienceSpent ? start : maxSteps,
    maxSeconds: t.maxSeconds > 0 ? t.maxSeconds : undefined,
    maxEpochs: t.maxEpochs > 0 ? t.maxEpochs : undefined,
    lr: t.lr,
    warmupSteps: t.warmupSteps,
    lrAt: (step, timeDone) => schedule.lrAt(step, timeDone),
    batchFrames: t.batchFrames,
    specAugment: a, // the identity when no mask or warp is configured
    labelSmoothing: t.labelSmoothing,
    adamw: { beta1: t.beta1, beta2: t.beta2, eps: t.eps, maxGradNorm: t.maxGradNorm },
    weightDecay: t.weightDecay,
    seed: t.seed,
    threads: t.threads,
    log: note,
    logEvery: t.logEvery,
    checkpointAt: (step) => step % t.validEvery === 0 || (t.saveEvery > 0 && step % t.saveEvery === 0),
    onCheckpoint: (c) => run.save(c, true, c.step % t.validEvery === 0),
    onStep: (r) => run.log.append({ type: "step", ...r }),
    signal: o.signal,
  });
  if (run.savedStep !== result.steps) {
    const { since } = result.state;
    const loss = since.steps > 0 ? since.loss / since.steps : Number.NaN;
    await run.save({ ...result, step: result.steps, loss }, false, result.stopped !== "signal");
  }
  return {
    runDir: o.out,
    steps: result.steps,
    stopped: patienceSpent ? "checkpoint" : result.stopped,
    loss: result.loss,
    last: join(o.out, SPEECH_RUN_FILES.last),
    checkpoint: run.checkpoint,
    final: run.final,
    best: run.bestResult(),
  };
}
