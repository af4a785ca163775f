// `seq2seq train` for speech models: a run config whose data are speech manifests (data.speech) trains or
// fine-tunes a speech model, saving last/ (and best/) folders `seq2seq transcribe` loads and scoring CER/WER.

import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
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
import { RUN_CONFIG_FILE, runSchedule } from "./run-setup.ts";
import { type SpeechRunModel, speechRunModel } from "./speech-run-model.ts";
import { type SpeechCheckpoint, type SpeechTrainResult, trainSpeech } from "./speech-train.ts";
import type { RunConfig } from "./train-config.ts";

/** The run folder's parts: the newest model, the best by the validation metric, the JSONL log. */
export const SPEECH_RUN_FILES = { last: "last", best: "best", log: "log.jsonl" } as const;

/** Whether a run config is a speech run (data.speech.train set; the config checks pair it with a speech model). */
export function isSpeechRun(config: RunConfig): boolean {
  return config.data.speech.train !== "";
}

export interface SpeechRunOptions {
  /** The run folder (must not hold a run yet). */
  out: string;
  log?: (line: string) => void;
  /** Stops after the current step, then saves and validates as at the end. */
  signal?: AbortSignal;
}

/** One validation: the metrics on the validation manifest (when there is one). */
export interface SpeechScore {
  step: number;
  cer: number;
  wer: number;
}

export interface SpeechRunResult {
  runDir: string;
  steps: number;
  stopped: SpeechTrainResult["stopped"];
  /** Mean training loss of the last logged steps. */
  loss: number;
  /** The model after the last step. */
  last: string;
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

/** Refuses a folder that already holds a run (speech runs do not resume). */
function openRunFolder(config: RunConfig, out: string): void {
  for (const part of [SPEECH_RUN_FILES.last, SPEECH_RUN_FILES.log])
    if (existsSync(join(out, part)))
      throw new Error(
        `${out} already holds a training run (${join(out, part)}): choose another --out (a speech run does ` +
          `not resume; to train on, start a new run with --init-from ${join(out, SPEECH_RUN_FILES.last)})`,
      );
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, RUN_CONFIG_FILE), configToJson(config));
}

/** Saves last/, scores it, keeps best/ and logs; returns whether training should go on (train.patience). */
class SpeechCheckpoints {
  best?: SpeechScore & { dir: string };
  final?: SpeechScore;
  savedStep = -1;
  private sinceBest = 0;

  constructor(
    private readonly config: RunConfig,
    private readonly out: string,
    private readonly m: SpeechRunModel,
    private readonly clips: ValidationClips,
    private readonly note: (line: string) => void,
    private readonly schedule: { reportMetric(value: number): boolean },
  ) {}

  async save(c: SpeechCheckpoint): Promise<boolean> {
    const last = join(this.out, SPEECH_RUN_FILES.last);
    await this.m.save(last, c.weights);
    this.savedStep = c.step;
    const record: Record<string, unknown> = { type: "checkpoint", step: c.step, loss: c.loss };
    if (this.clips.files.length === 0) {
      this.log(record, `step ${c.step}: saved ${last}`);
      return true;
    }
    const { cer, wer, sample } = await scoreFolder(last, this.clips, this.config);
    this.final = { step: c.step, cer, wer };
    const value = this.config.train.metric === "wer" ? wer : cer;
    const previous = this.best && (this.config.train.metric === "wer" ? this.best.wer : this.best.cer);
    const improved = previous === undefined || value < previous;
    if (improved && this.config.train.keepBest) {
      const dir = join(this.out, SPEECH_RUN_FILES.best);
      await replaceDirAtomic(dir, async (tmp) => {
        await cp(last, tmp, { recursive: true });
        await writeJsonAtomic(join(tmp, "best.json"), { step: c.step, cer, wer });
      });
      this.best = { step: c.step, cer, wer, dir };
    }
    this.sinceBest = improved ? 0 : this.sinceBest + 1;
    if (this.schedule.reportMetric(value)) this.note(`step ${c.step}: learning rate reduced (plateau)`);
    const scores = `CER ${cer.toFixed(2)} %, WER ${wer.toFixed(2)} % (${this.clips.files.length} clips)`;
    const line = `step ${c.step}: validation ${scores}${improved ? ", best so far" : ""}; ${sample.join(", ")}`;
    this.log({ ...record, cer, wer, clips: this.clips.files.length }, line);
    const patience = this.config.train.patience;
    return !(patience > 0 && this.sinceBest >= patience);
  }

  private log(record: Record<string, unknown>, line: string): void {
    appendFileSync(join(this.out, SPEECH_RUN_FILES.log), `${JSON.stringify(record)}\n`);
    this.note(line);
  }
}

/**
 * Runs a speech training run: reads the manifests (data.speech.train, .valid), sets up the model (from scratch
 * or train.initFrom), trains with the train section's schedule, batchFrames and specAugment, and every
 * train.validEvery steps and at the end saves `<out>/last` (atomically) and, with a validation manifest,
 * transcribes it with that folder for CER/WER and keeps the best in `<out>/best`.
 */
export async function runSpeechTraining(config: RunConfig, o: SpeechRunOptions): Promise<SpeechRunResult> {
  const note = o.log ?? (() => {});
  const { data: d, train: t } = config;
  const trainExamples = await readSpeechManifest(d.speech.train);
  const limited = d.limit > 0 ? trainExamples.slice(0, d.limit) : trainExamples;
  const validExamples = d.speech.valid === "" ? [] : await readSpeechManifest(d.speech.valid);
  if (limited.length === 0) throw new Error(`${d.speech.train}: the manifest has no utterances`);
  openRunFolder(config, o.out);
  const m = await speechRunModel(
    config,
    limited.map((e) => e.text),
  );
  note(`model: ${m.origin}, ${m.model.parameterCount()} parameters`);
  const featured = await trainingFeatures(limited, m, note);
  note(`data: ${featured.length} training utterances from ${d.speech.train}`);
  const maxSeconds = m.model.maxSourceLength === undefined ? undefined : m.model.maxSourceLength / 100;
  const clips = await validationClips(validExamples, maxSeconds, t.validMaxExamples, note);
  const schedule = runSchedule(config, t.metric === "wer" ? "wer" : "cer");
  const checkpoints = new SpeechCheckpoints(config, o.out, m, clips, note, schedule);
  const a = t.specAugment;
  const result = await trainSpeech({
    model: m.config,
    start: m.weights ? { config: m.config, weights: m.weights } : undefined,
    examples: featured,
    tokenizer: m.tokenizer,
    targets: featured.map((e) => [...m.prompt, ...m.tokenizer.encode(e.text)]),
    ids: m.ids,
    steps: t.maxSteps > 0 ? t.maxSteps : Number.MAX_SAFE_INTEGER,
    maxSeconds: t.maxSeconds > 0 ? t.maxSeconds : undefined,
    maxEpochs: t.maxEpochs > 0 ? t.maxEpochs : undefined,
    lr: t.lr,
    warmupSteps: t.warmupSteps,
    lrAt: (step) => schedule.lrAt(step),
    batchFrames: t.batchFrames,
    specAugment: a.freqMasks + a.timeMasks > 0 ? a : undefined,
    labelSmoothing: t.labelSmoothing,
    adamw: { beta1: t.beta1, beta2: t.beta2, eps: t.eps, maxGradNorm: t.maxGradNorm },
    weightDecay: t.weightDecay,
    seed: t.seed,
    threads: t.threads,
    log: note,
    logEvery: t.logEvery,
    checkpointEvery: t.validEvery,
    onCheckpoint: (c) => checkpoints.save(c),
    signal: o.signal,
  });
  if (checkpoints.savedStep !== result.steps)
    await checkpoints.save({ step: result.steps, loss: result.loss, weights: result.weights });
  return {
    runDir: o.out,
    steps: result.steps,
    stopped: result.stopped,
    loss: result.loss,
    last: join(o.out, SPEECH_RUN_FILES.last),
    final: checkpoints.final,
    best: checkpoints.best,
  };
}
