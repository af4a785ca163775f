// What the train-then-score benchmarks (bench:multi30k, bench:g2p) share: splitting config overrides off the
// command line, training or resuming a run, choosing the model folder to score, and the run's figures from its log.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AVERAGED_INFO_FILE, type AveragedInfo } from "../src/train/averaging.ts";
import { listCheckpoints, readTrainerState } from "../src/train/checkpoint.ts";
import { consoleObserver, JsonlLog } from "../src/train/progress.ts";
import { AVERAGED_DIR, BEST_DIR, BEST_INFO_FILE } from "../src/train/run-outputs.ts";
import { RUN_CONFIG_FILE } from "../src/train/run-setup.ts";
import type { RunConfig } from "../src/train/train-config.ts";
import { LOG_FILE, type TrainResult, train } from "../src/train/trainer.ts";
import { higherIsBetter, type ValidationMetric } from "../src/train/validation.ts";

/** The benchmark's own flags, and the config overrides after a lone `--` (e.g. `-- --train.lr 5e-4`). */
export function splitOverrides(argv: readonly string[]): { flags: string[]; overrides: string[] } {
  const separator = argv.indexOf("--");
  if (separator < 0) return { flags: [...argv], overrides: [] };
  return { flags: argv.slice(0, separator), overrides: argv.slice(separator + 1) };
}

/**
 * Trains `config` into `out`, resuming when `out` already holds a run; undefined with `skip`, or when the run
 * already finished under the same limits (a rerun rescores it rather than training past them).
 */
export async function trainOrResume(
  config: RunConfig,
  out: string,
  skip: boolean,
): Promise<TrainResult | undefined> {
  if (skip) return undefined;
  const resume = existsSync(join(out, RUN_CONFIG_FILE));
  if (resume && (await finishedWithLimits(out, config))) {
    console.log(`${out}: finished with these limits; scoring it as it is`);
    return undefined;
  }
  return train(config, { out, resume, observer: consoleObserver(process.stdout, 100) });
}

/**
 * Whether the run in `out` stopped on its own (a limit or early stopping) with the limits `config` sets, as its
 * newest checkpoint recorded them (run-config.json keeps the first session's, not a resumed one's).
 */
async function finishedWithLimits(out: string, config: RunConfig): Promise<boolean> {
  const last = new JsonlLog(join(out, LOG_FILE)).read().at(-1);
  if (last?.type !== "stop" || !["completed", "early-stopped"].includes(last.message)) return false;
  const newest = listCheckpoints(out).at(-1);
  if (!newest) return false;
  const recorded = (await readTrainerState(newest.dir)).config.train;
  return (["maxSteps", "maxEpochs", "maxSeconds"] as const).every(
    (key) => recorded[key] === config.train[key],
  );
}

/**
 * The model folder to score: the checkpoint average when validation rated it at least as well as best/, else
 * best/, else the last checkpoint. Without a result (--skip-train), the same choice from what the run recorded
 * (averaged/averaged.json and best/best.json), or whichever of averaged/ and best/ exists.
 */
export function chooseModel(out: string, result: TrainResult | undefined): { dir: string; which: string } {
  if (!result) return chooseRecordedModel(out);
  const averaged = result.averaged;
  const best = result.best;
  const avgValue = averaged?.validation?.value;
  if (averaged && (!best?.dir || avgValue === undefined)) return { dir: averaged.dir, which: "averaged" };
  if (best?.dir) {
    if (averaged && averageHolds(best.metric, avgValue!, best.value))
      return { dir: averaged.dir, which: "averaged" };
    return { dir: best.dir, which: `best (step ${best.step})` };
  }
  return { dir: result.checkpoint, which: "last checkpoint" };
}

/** chooseModel's rule on a finished run's folders: averaged/ unless its recorded validation is worse than best/'s. */
function chooseRecordedModel(out: string): { dir: string; which: string } {
  const read = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined);
  const averaged = join(out, AVERAGED_DIR);
  const best = join(out, BEST_DIR);
  const info = read(join(averaged, AVERAGED_INFO_FILE)) as AveragedInfo | undefined;
  const record = read(join(best, BEST_INFO_FILE)) as
    | { step: number; metric: string; value: number }
    | undefined;
  if (!existsSync(averaged)) return { dir: best, which: record ? `best (step ${record.step})` : "best" };
  const rated = info?.validation;
  if (
    rated &&
    record &&
    rated.metric === record.metric &&
    !averageHolds(record.metric, rated.value, record.value)
  )
    return { dir: best, which: `best (step ${record.step})` };
  return { dir: averaged, which: "averaged" };
}

/** Whether the average's validation value is at least as good as best/'s under `metric`. */
function averageHolds(metric: string, averageValue: number, bestValue: number): boolean {
  return higherIsBetter(metric as ValidationMetric) ? averageValue >= bestValue : averageValue <= bestValue;
}

/** Steps, epochs started, training seconds and tokens/s from `<out>/log.jsonl` (zeros without a log). */
export function trainingFigures(out: string, fallbackSeconds: number) {
  const logPath = join(out, "log.jsonl");
  const log = existsSync(logPath)
    ? readFileSync(logPath, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, number | string>)
    : [];
  const last = log.filter((r) => r["type"] === "step").at(-1);
  const steps = Number(last?.["step"] ?? 0);
  const seconds = Number(last?.["elapsed"] ?? fallbackSeconds);
  return {
    steps,
    epochsStarted: Number(last?.["epoch"] ?? 0) + (steps > 0 ? 1 : 0),
    trainingSeconds: Math.round(seconds),
    secondsPerStep: steps > 0 ? Number((seconds / steps).toFixed(3)) : null,
    tokensPerSecond: Math.round(Number(last?.["tokensPerSecond"] ?? 0)),
  };
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
