// Resumable checkpoints of speech runs, written atomically: checkpoints/step-N/ holds a model folder `seq2seq
// transcribe` loads plus the optimizer (training_state.safetensors) and the loop, schedule, best and log state
// (the count of log.jsonl records before it: SpeechRunLog).

import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { SpeechExample } from "../data/speech-corpus.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import {
  checkpointDir,
  listCheckpoints,
  type ModelFolderWriter,
  pruneCheckpoints,
  TRAINER_STATE_FILE,
  writeTrainingState,
} from "./checkpoint.ts";
import type { ScheduleState } from "./schedules.ts";
import type { SpeechLoopState } from "./speech-loop.ts";
import type { FlatLayout } from "./step-graph.ts";
import { unflatten } from "./step-runner.ts";
import type { OptimizerState } from "./stepper.ts";
import { configDifferences, RESUMABLE_KEYS, type RunConfig } from "./train-config.ts";

/** One validation: the metrics on the validation manifest (when there is one). */
export interface SpeechScore {
  step: number;
  cer: number;
  wer: number;
}

/** trainer_state.json of a speech run: everything besides tensors that its resume needs. */
export interface SpeechTrainerState {
  format: 1;
  kind: "speech";
  /** Optimizer steps taken. */
  step: number;
  /** The data position, dropout segment and unreported loss sums (src/train/speech-loop.ts). */
  loop: SpeechLoopState;
  seed: number;
  schedule: ScheduleState;
  /** The best validation so far (by train.metric), the last one, and validations since the best. */
  best: SpeechScore | null;
  final: SpeechScore | null;
  sinceBest: number;
  /** log.jsonl records written up to this checkpoint: a resumed run drops any after them. */
  logRecords: number;
  configHash: string;
  config: RunConfig;
  /** Training utterances and a hash of their paths (relative to the manifest) and texts, checked on resume. */
  dataFingerprint: string;
  /** Parameter count and names in flat-buffer order, checked against the model on load. */
  layout: { total: number; names: string[] };
}

/** A hash of the training utterances: audio paths relative to the manifest's folder, and transcripts. */
export function speechDataFingerprint(manifest: string, examples: readonly SpeechExample[]): string {
  const hash = createHash("sha256");
  for (const e of examples) hash.update(`${relative(dirname(manifest), e.audio)}\t${e.text}\n`);
  return `${examples.length}:${hash.digest("hex").slice(0, 16)}`;
}

/**
 * Writes checkpoints/step-N of `runDir` atomically (the model folder by `write`, the optimizer and `state`), then
 * keeps the newest `keepLast`; returns its folder.
 */
export async function saveSpeechCheckpoint(
  runDir: string,
  c: { write: ModelFolderWriter; layout: FlatLayout; optimizer: OptimizerState; state: SpeechTrainerState },
  keepLast: number,
): Promise<string> {
  const dir = checkpointDir(runDir, c.state.step);
  await c.write(dir, unflatten(c.layout, c.optimizer.params), (tmp) =>
    writeTrainingState(tmp, c.layout, c.optimizer, c.state),
  );
  await pruneCheckpoints(runDir, keepLast);
  return dir;
}

/** Reads a speech run's trainer_state.json; a missing, malformed or text-run file is an error naming it. */
export async function readSpeechTrainerState(dir: string): Promise<SpeechTrainerState> {
  const file = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(file))
    throw new Error(`${dir} is not a resumable checkpoint: ${TRAINER_STATE_FILE} is missing`);
  let state: SpeechTrainerState;
  try {
    state = JSON.parse(await readFile(file, "utf8")) as SpeechTrainerState;
  } catch (error) {
    throw new Error(`${file}: invalid JSON (${(error as Error).message})`);
  }
  if (state.kind !== "speech") throw new Error(`${file}: not the state of a speech run`);
  if (state.format !== 1 || !Number.isInteger(state.step) || typeof state.loop !== "object")
    throw new Error(`${file}: not a speech trainer state this version can read (format ${state.format})`);
  return state;
}

/**
 * The newest checkpoint of `runDir` and its state, checked against the run resuming it: the same config (but
 * RESUMABLE_KEYS), the same training utterances, and its train.initFrom folder still there.
 */
export async function openSpeechCheckpoint(
  runDir: string,
  config: RunConfig,
  fingerprint: string,
): Promise<{ dir: string; state: SpeechTrainerState }> {
  const last = listCheckpoints(runDir).at(-1);
  if (!last)
    throw new Error(
      `nothing to resume: ${runDir} holds no checkpoint (checkpoints/step-*); a run saved before speech runs ` +
        `kept checkpoints continues as a new run with --init-from ${join(runDir, "last")}`,
    );
  const state = await readSpeechTrainerState(last.dir);
  const differences = configDifferences(state.config, config);
  if (differences.length > 0)
    throw new Error(
      `cannot resume ${last.dir}: the config differs from the run's in ${differences.join(", ")}. ` +
        `Only ${RESUMABLE_KEYS.join(", ")} may change when resuming`,
    );
  if (state.dataFingerprint !== fingerprint)
    throw new Error(
      `cannot resume ${last.dir}: the training utterances differ from the run's ` +
        `(${state.dataFingerprint} vs ${fingerprint} as utterances:hash)`,
    );
  const initFrom = config.train.initFrom;
  if (initFrom !== "" && !existsSync(initFrom))
    throw new Error(
      `cannot resume ${last.dir}: the run started from ${initFrom} (train.initFrom), which is gone`,
    );
  return { dir: last.dir, state };
}

/** log.jsonl: one JSON record per line, counted so that a checkpoint knows how many precede it. */
export class SpeechRunLog {
  count = 0;

  constructor(private readonly path: string) {}

  /** Keeps the first `records` records (those before a resumed checkpoint), atomically. */
  async keep(records: number): Promise<void> {
    const text = existsSync(this.path) ? readFileSync(this.path, "utf8") : "";
    const kept = text
      .split("\n")
      .filter((line) => line !== "")
      .slice(0, records);
    await writeFileAtomic(this.path, kept.map((line) => `${line}\n`).join(""));
    this.count = kept.length;
  }

  append(record: Record<string, unknown>): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.count += 1;
  }
}
