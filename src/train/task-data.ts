// A run's text-to-text tasks: the task prefix of a single task or the tasks of a mixture (each read like
// `data`, tagged with its index), then encoding with the truncation policy and the mixture's sampling plan.

import type { TokenizedPair } from "../data/batching.ts";
import { epochQuotas, type MixtureTask, mixingRates } from "../data/mixture.ts";
import { readNlRx } from "../data/nl-rx.ts";
import { type ParallelExample, referencesBySource } from "../data/parallel.ts";
import {
  describeTruncation,
  NO_TEXT_TASK,
  prefixTokenCount,
  renumberTemplate,
  type StoredTextTask,
  type TruncatePolicy,
  truncateTokens,
} from "../data/text-task.ts";
import { writeTextTaskFile } from "../models/folder.ts";
import type { TokenizerPair } from "../tokenize/tokenizer-pair.ts";
import type { ModelFolderWriter } from "./checkpoint.ts";
import {
  encodePairs,
  encodeSources,
  type LengthLimit,
  loadRunText,
  OWN_SEQUENCE_IDS,
  type RunText,
  type SequenceIds,
} from "./run-data.ts";
import type { DataConfig, MixtureTaskConfig } from "./train-config.ts";
import type { ValidationMetric, ValidationSet } from "./validation.ts";

/** A task of a run: its name ("" for a single task), prefix, source template and validation metric. */
export interface RunTask {
  name: string;
  prefix: string;
  template: string;
  metric: ValidationMetric;
  /** Share of the training examples (0 = examples-proportional). */
  rate: number;
}

/** A run's text with the task of every pair. */
export interface TaskText extends RunText {
  tasks: RunTask[];
  trainTask: number[];
  validTask: number[];
  /** Whether the tasks form a mixture (data.mixture), sampled by rates and validated task by task. */
  mixture: boolean;
}

/** The metric a mixture task is validated with: its own, or by its data (g2p, exact for tasks and NL-RX, bleu). */
export function mixtureTaskMetric(t: MixtureTaskConfig): ValidationMetric {
  if (t.metric !== "auto") return t.metric;
  if (t.task === "g2p") return "g2p";
  return t.task !== "" || t.nlRx !== "" ? "exact" : "bleu";
}

function withPrefix(pairs: readonly ParallelExample[], prefix: string): ParallelExample[] {
  return prefix === "" ? [...pairs] : pairs.map((p) => ({ src: prefix + p.src, tgt: p.tgt }));
}

/** The `data` config that reads one mixture task with loadRunText. */
function taskDataConfig(d: DataConfig, t: MixtureTaskConfig): DataConfig {
  const { task, taskOptions, src, tgt, tsv, validSrc, validTgt, validTsv } = t;
  const { srcColumn, tgtColumn, header, template, prefix, limit } = t;
  return {
    ...d,
    ...{ task, taskOptions, src, tgt, tsv, validSrc, validTgt, validTsv },
    ...{ srcColumn, tgtColumn, header, template, prefix, limit },
    mixture: null,
  };
}

/** Reads one mixture task's pairs: NL-RX from its folder (train and val splits), anything else as `data`. */
async function loadMixtureTask(d: DataConfig, t: MixtureTaskConfig): Promise<RunText> {
  if (t.nlRx === "") return loadRunText(taskDataConfig(d, t));
  const variant = t.nlRxVariant as "synth" | "turk";
  const train = await readNlRx(t.nlRx, variant, "train", { limit: t.limit > 0 ? t.limit : undefined });
  const valid = await readNlRx(t.nlRx, variant, "val");
  const note = `data: NL-RX ${variant} from ${t.nlRx}, ${train.examples.length} training pairs, ${valid.examples.length} validation pairs`;
  return { train: train.examples, valid: valid.examples, notes: [note] };
}

/**
 * Reads (or generates) a run's pairs with the task prefix put before every source: the single task of
 * `data`, or each task of `data.mixture` (its notes marked with the task's name).
 */
export async function loadTaskText(d: DataConfig): Promise<TaskText> {
  if (d.mixture === null) {
    const text = await loadRunText(d);
    if (d.template !== "") text.notes.push(`data.template ${JSON.stringify(d.template)} makes every source`);
    if (d.prefix !== "") text.notes.push(`data.prefix ${JSON.stringify(d.prefix)} put before every source`);
    return {
      ...text,
      train: withPrefix(text.train, d.prefix),
      valid: withPrefix(text.valid, d.prefix),
      tasks: [{ name: "", prefix: d.prefix, template: d.template, metric: "loss", rate: 0 }],
      trainTask: text.train.map(() => 0),
      validTask: text.valid.map(() => 0),
      mixture: false,
    };
  }
  const out: TaskText = {
    train: [],
    valid: [],
    notes: [],
    tasks: [],
    trainTask: [],
    validTask: [],
    mixture: true,
  };
  for (const [i, t] of d.mixture.entries()) {
    const text = await loadMixtureTask(d, t);
    out.notes.push(...text.notes.map((line) => `task ${t.name}: ${line}`));
    out.train.push(...withPrefix(text.train, t.prefix));
    out.valid.push(...withPrefix(text.valid, t.prefix));
    out.trainTask.push(...text.train.map(() => i));
    out.validTask.push(...text.valid.map(() => i));
    const { name, prefix, template, rate } = t;
    out.tasks.push({ name, prefix, template, rate, metric: mixtureTaskMetric(t) });
  }
  return out;
}

/** The decoded validation sources of one task: [start, end) of the validation set's sources. */
export interface ValidationTask {
  name: string;
  metric: ValidationMetric;
  start: number;
  end: number;
}

/** The encoded data of a run: what the trainer batches, validates, and stores with the model. */
export interface TaskData {
  trainPairs: TokenizedPair[];
  validation: ValidationSet | null;
  /** Each task's part of the validation sources (null for a single task: the run's metric covers all). */
  validationTasks: ValidationTask[] | null;
  /** The mixture's sampling plan: the task of each training pair and each task's examples per epoch. */
  mixture: { taskOf: number[]; tasks: MixtureTask[] } | null;
  /** What the model folder stores so decoding prepares inputs the same way (text-task.json). */
  textTask: StoredTextTask;
  notes: string[];
}

export interface EncodeTaskOptions {
  data: DataConfig;
  /** Validation sources decoded per task (0 = all). */
  validMaxExamples: number;
  /** The model's length limit (null: none). */
  limit: LengthLimit | null;
  ids?: SequenceIds;
}

/** Cuts or drops source rows (sourcePrefix + text ids + sourceSuffix) by the truncation policy. */
class SourceCutter {
  readonly counts = { truncated: 0, dropped: 0 };
  private readonly prefixIds: number[][];

  constructor(
    tokenizers: TokenizerPair,
    tasks: readonly RunTask[],
    readonly max: number,
    readonly policy: TruncatePolicy,
    private readonly ids: SequenceIds,
  ) {
    this.prefixIds = tasks.map((t) => (t.prefix === "" ? [] : tokenizers.source.encode(t.prefix)));
  }

  /** The row within `max` ids, or null when the policy drops it; `count` adds it to the counts. */
  cut(row: readonly number[], task: number, count = true): number[] | null {
    if (this.policy === "none" || row.length <= this.max) return [...row];
    const before = this.ids.sourcePrefix.length;
    const after = this.ids.sourceSuffix.length;
    const inner = row.slice(before, row.length - after);
    const head = prefixTokenCount(this.prefixIds[task]!, inner);
    const kept = truncateTokens(inner, this.max - before - after, this.policy, head);
    if (count) this.counts[kept === null ? "dropped" : "truncated"]++;
    return kept === null ? null : [...row.slice(0, before), ...kept, ...row.slice(row.length - after)];
  }

  reset(): void {
    Object.assign(this.counts, { truncated: 0, dropped: 0 });
  }
}

function fits(p: TokenizedPair, limit: LengthLimit | null): boolean {
  return limit === null || (p.src.length <= limit.src && p.tgt.length <= limit.tgt);
}

/** Training pairs cut by the policy and within the model's limit, with their tasks. */
function encodeTraining(
  text: TaskText,
  tokenizers: TokenizerPair,
  cutter: SourceCutter,
  o: EncodeTaskOptions,
) {
  const pairs: TokenizedPair[] = [];
  const taskOf: number[] = [];
  let tooLong = 0;
  encodePairs(text.train, tokenizers, o.ids).forEach((p, i) => {
    const src = cutter.cut(Array.from(p.src), text.trainTask[i]!);
    if (src === null) return;
    if (!fits({ src, tgt: p.tgt }, o.limit)) tooLong++;
    else {
      pairs.push({ src, tgt: p.tgt });
      taskOf.push(text.trainTask[i]!);
    }
  });
  return { pairs, taskOf, tooLong };
}

/** One task's validation set (distinct sources with all their references), sources cut like training ones. */
function taskValidationSet(
  pairs: readonly ParallelExample[],
  task: number,
  tokenizers: TokenizerPair,
  cutter: SourceCutter,
  o: EncodeTaskOptions,
): ValidationSet {
  const loss = encodePairs(pairs, tokenizers, o.ids).flatMap((p) => {
    const src = cutter.cut(Array.from(p.src), task);
    return src !== null && fits({ src, tgt: p.tgt }, o.limit) ? [{ src, tgt: p.tgt }] : [];
  });
  const references = referencesBySource(pairs);
  const texts = [...references.keys()];
  // Counted once, with the pairs above.
  const rows = encodeSources(texts, tokenizers, o.ids).map((row) => cutter.cut(row, task, false));
  const keep = texts
    .map((_, i) => i)
    .filter((i) => rows[i] !== null && (o.limit === null || rows[i]!.length <= o.limit.src))
    .slice(0, o.validMaxExamples > 0 ? o.validMaxExamples : undefined);
  return {
    pairs: loss,
    sources: keep.map((i) => rows[i]!),
    sourceTexts: keep.map((i) => texts[i]!),
    references: keep.map((i) => references.get(texts[i]!)!),
  };
}

/** The validation set of every task, concatenated, and each task's range of decoded sources. */
function encodeValidation(
  text: TaskText,
  tokenizers: TokenizerPair,
  cutter: SourceCutter,
  o: EncodeTaskOptions,
) {
  const set: ValidationSet = { pairs: [], sources: [], sourceTexts: [], references: [] };
  const ranges: ValidationTask[] = [];
  text.tasks.forEach((task, t) => {
    const pairs = text.valid.filter((_, i) => text.validTask[i] === t);
    const part = taskValidationSet(pairs, t, tokenizers, cutter, o);
    const start = set.sources.length;
    set.pairs.push(...part.pairs);
    set.sources.push(...part.sources);
    set.sourceTexts.push(...part.sourceTexts);
    set.references.push(...part.references);
    ranges.push({ name: task.name, metric: task.metric, start, end: set.sources.length });
  });
  return { set, ranges };
}

/** The longest source the policy allows: data.truncate.maxSourceTokens, else the model's source limit. */
function truncationLimit(d: DataConfig, limit: LengthLimit | null): number {
  if (d.truncate.policy === "none") return 0;
  const max = d.truncate.maxSourceTokens || (limit && Number.isFinite(limit.src) ? limit.src : 0);
  if (max === 0)
    throw new Error(
      "data.truncate.maxSourceTokens must be set: this model has no source length limit of its own",
    );
  if (limit && max > limit.src)
    throw new Error(
      `data.truncate.maxSourceTokens ${max} is more than the model takes (${limit.src} source tokens)`,
    );
  return max;
}

/** The mixture's per-epoch quotas from the tasks' training pairs and data.mixing. */
function mixturePlan(text: TaskText, taskOf: readonly number[], d: DataConfig) {
  const sizes = text.tasks.map((_, t) => taskOf.filter((k) => k === t).length);
  const rates = mixingRates(sizes, { rates: text.tasks.map((t) => t.rate), ...d.mixing });
  const cap = d.mixing.cap > 0 ? d.mixing.cap : Number.POSITIVE_INFINITY;
  const explicit = text.tasks.some((t) => t.rate > 0);
  const natural = sizes.reduce((s, n) => s + (explicit ? n : Math.min(n, cap)), 0);
  const quotas = epochQuotas(rates, d.mixing.epochSize || natural);
  const tasks = text.tasks.map((t, i) => ({ name: t.name, quota: quotas[i]! }));
  const note = text.tasks
    .map((t, i) => `${t.name} ${sizes[i]} pairs, rate ${rates[i]!.toFixed(3)}, ${quotas[i]} per epoch`)
    .join("; ");
  return { plan: { taskOf: [...taskOf], tasks }, note: `mixture: ${note}` };
}

/**
 * Encodes a run's text: sources cut or dropped by data.truncate (counted in the notes), pairs longer than
 * the model takes left out (counted), per-task validation sets, the mixture's sampling plan, and the text
 * task the model folder stores.
 */
export function encodeTaskData(text: TaskText, tokenizers: TokenizerPair, o: EncodeTaskOptions): TaskData {
  const d = o.data;
  const ids = o.ids ?? OWN_SEQUENCE_IDS;
  const max = truncationLimit(d, o.limit);
  const cutter = new SourceCutter(tokenizers, text.tasks, max, d.truncate.policy, ids);
  const notes: string[] = [];
  const rule = { ...NO_TEXT_TASK, maxSourceTokens: max, truncate: d.truncate.policy };
  const train = encodeTraining(text, tokenizers, cutter, { ...o, ids });
  const trainNote = describeTruncation("data.truncate, training data", cutter.counts, rule);
  if (trainNote !== "") notes.push(trainNote);
  if (train.tooLong > 0) {
    notes.push(
      `left out ${train.tooLong} training pairs longer than the model takes ` +
        `(${o.limit!.src} source / ${o.limit!.tgt} target tokens)`,
    );
  }
  if (train.pairs.length === 0) throw new Error("no training pair fits the model's length limits");
  cutter.reset();
  let valid = text.valid.length > 0 ? encodeValidation(text, tokenizers, cutter, { ...o, ids }) : null;
  const validNote = describeTruncation("data.truncate, validation data", cutter.counts, rule);
  if (validNote !== "") notes.push(validNote);
  if (valid && valid.set.pairs.length === 0) {
    notes.push("no validation pair is left within the length limits");
    valid = null;
  }
  const mixture = text.mixture ? mixturePlan(text, train.taskOf, d) : null;
  if (mixture) notes.push(mixture.note);
  const single = text.tasks.length === 1 && !text.mixture ? text.tasks[0]! : null;
  return {
    trainPairs: train.pairs,
    validation: valid?.set ?? null,
    validationTasks: text.mixture && valid ? valid.ranges : null,
    mixture: mixture?.plan ?? null,
    textTask: {
      format: 1,
      prefix: single?.prefix ?? "",
      template: single ? renumberTemplate(single.template) : "",
      maxSourceTokens: max,
      truncate: d.truncate.policy,
      tasks: text.mixture
        ? text.tasks.map((t) => ({ name: t.name, prefix: t.prefix, template: renumberTemplate(t.template) }))
        : [],
      ...(d.reverseTarget ? { reverseTarget: true } : {}),
    },
    notes,
  };
}

/** A model-folder writer that also puts the run's text-task.json (when it changes anything) in every folder. */
export function withTextTask(write: ModelFolderWriter, task: StoredTextTask): ModelFolderWriter {
  return (dir, weights, extra) =>
    write(dir, weights, async (tmp) => {
      await writeTextTaskFile(tmp, task);
      await extra?.(tmp);
    });
}
