// What a run reports while it trains: the JSONL log of every step and validation (log.jsonl), and the
// console view — a cli-progress bar on a terminal, plain lines otherwise.

import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { MultiBar, type SingleBar } from "cli-progress";
import { writeFileAtomic } from "../io/atomic.ts";

/** One optimizer step, as logged. */
export interface StepRecord {
  type: "step";
  step: number;
  /** The epoch (0-based) of the step's last batch. */
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Target tokens in the step. */
  tokens: number;
  /** Target tokens per second of step time, over the steps this process has run. */
  tokensPerSecond: number;
  /** Seconds of training so far, across resumes. */
  elapsed: number;
  /** The model's other scalar step outputs, when it has any (e.g. misaligned_rows). */
  extras?: Record<string, number>;
}

/** One validation, as logged. `value` is the metric's (equal to `loss` when the metric is "loss"). */
export interface ValidationRecord {
  type: "validation";
  step: number;
  loss: number;
  perplexity: number;
  metric: string;
  value: number | null;
  /** Whether this is the best value so far. */
  best: boolean;
  examples: Array<{ source: string; hypothesis: string; reference: string }>;
}

/** A log line that is neither: the start of a (resumed) run, an error, the end. */
export interface EventRecord {
  type: "start" | "resume" | "stop" | "error";
  step: number;
  message: string;
}

export type LogRecord = StepRecord | ValidationRecord | EventRecord;

/** Appends records to a JSONL file, one JSON object per line. */
export class JsonlLog {
  constructor(readonly path: string) {}

  append(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every record in the file (none when it does not exist). */
  read(): LogRecord[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as LogRecord);
  }

  /** Drops records after `step` (a resumed run repeats them), atomically. */
  async truncateAfter(step: number): Promise<void> {
    const kept = this.read().filter((r) => r.step <= step);
    await writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }
}

/** What the trainer tells its observer. All methods are optional. */
export interface TrainingObserver {
  /** Training starts (or resumes) at `step`; `totalSteps` is null when only epochs bound the run. */
  start?(info: { step: number; totalSteps: number | null }): void;
  step?(record: StepRecord): void;
  validation?(record: ValidationRecord): void;
  /** A line of information (data read, checkpoint written, ...). */
  message?(line: string): void;
  /** Training is over (completed, stopped, interrupted or failed). */
  stop?(): void;
}

/** "1h 02m", "3m 05s", "42s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

function formatValidation(r: ValidationRecord): string {
  const metric = r.value === null || r.metric === "loss" ? "" : `  ${r.metric} ${r.value.toFixed(2)}`;
  return (
    `validation at step ${r.step}: loss ${r.loss.toFixed(4)}  ppl ${r.perplexity.toFixed(2)}${metric}` +
    (r.best ? "  (best so far)" : "")
  );
}

/** Plain lines on `write`: every `every` steps, every validation and message. */
export function plainObserver(write: (line: string) => void, every: number): TrainingObserver {
  let total: number | null = null;
  let firstStep = 0;
  let started = 0;
  return {
    start(info) {
      total = info.totalSteps;
      firstStep = info.step;
      started = Date.now();
    },
    step(r) {
      if (r.step % every !== 0) return;
      const rate = (r.step - firstStep) / ((Date.now() - started) / 1000);
      const eta = total === null ? "" : `  ETA ${formatDuration((total - r.step) / rate)}`;
      write(
        `step ${r.step}${total === null ? "" : `/${total}`}  epoch ${r.epoch + 1}  loss ${r.loss.toFixed(4)}  ` +
          `lr ${r.lr.toExponential(2)}  ${Math.round(r.tokensPerSecond)} tok/s${eta}`,
      );
    },
    validation: (r) => write(formatValidation(r)),
    message: write,
  };
}

/** A cli-progress bar (step, epoch, loss, tokens/s, ETA) on `stream`, with messages printed above it. */
export function barObserver(stream: NodeJS.WriteStream): TrainingObserver {
  const multi = new MultiBar(
    {
      stream,
      format: "{bar} step {value}/{total} | epoch {epoch} | loss {loss} | {rate} tok/s | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    undefined,
  );
  let bar: SingleBar | undefined;
  const fields = { epoch: 1, loss: "-", rate: 0 };
  // Lines go above the bar while it runs, straight to the stream before and after.
  const print = (line: string): void => {
    if (bar) multi.log(`${line}\n`);
    else stream.write(`${line}\n`);
  };
  return {
    start(info) {
      // Without a step limit (a time budget) there is no total to fill a bar towards: show the time instead.
      const open = {
        format: "step {value} | epoch {epoch} | loss {loss} | {rate} tok/s | {duration_formatted}",
      };
      bar = multi.create(
        info.totalSteps ?? 0,
        info.step,
        fields,
        info.totalSteps === null ? open : undefined,
      );
    },
    step(r) {
      bar?.update(r.step, {
        epoch: r.epoch + 1,
        loss: r.loss.toFixed(4),
        rate: Math.round(r.tokensPerSecond),
      });
    },
    validation: (r) => print(formatValidation(r)),
    message: print,
    stop() {
      if (bar) {
        multi.update(); // flushes lines logged since the last redraw
        multi.stop();
      }
      bar = undefined;
    },
  };
}

/** The console view: a progress bar when `stream` is a terminal, plain lines every `every` steps otherwise. */
export function consoleObserver(stream: NodeJS.WriteStream, every: number): TrainingObserver {
  if (stream.isTTY) return barObserver(stream);
  return plainObserver((line) => stream.write(`${line}\n`), every);
}
