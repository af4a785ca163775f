// Validation of a multi-task model: one loss over every task's pairs (what best/ and early stopping follow)
// and each task's own metric on its own decoded sources (BLEU for translation, WER for G2P, exact for regex).

import type { Seq2SeqModel } from "../models/seq2seq.ts";
import type { FlatLayout } from "./step-graph.ts";
import type { ValidationTask } from "./task-data.ts";
import {
  scoreHypotheses,
  type ValidationMetric,
  type ValidationResult,
  type ValidationSet,
  Validator,
  type ValidatorOptions,
} from "./validation.ts";

/** One task's score at a validation. */
export interface TaskScore {
  task: string;
  metric: ValidationMetric;
  value: number;
  /** Sources decoded for it. */
  sources: number;
}

/** A validation of a multi-task model: the loss as its value, plus every task's score. */
export interface TaskValidationResult extends ValidationResult {
  tasks: TaskScore[];
}

/** Scores each task's hypotheses (hyps[start..end)) against its references with the task's metric. */
export function scoreTasks(
  tasks: readonly ValidationTask[],
  hyps: readonly string[],
  references: readonly string[][],
): TaskScore[] {
  return tasks.map((t) => {
    const sources = t.end - t.start;
    const value =
      sources === 0 || t.metric === "loss"
        ? Number.NaN
        : scoreHypotheses(t.metric, hyps.slice(t.start, t.end), references.slice(t.start, t.end));
    return { task: t.name, metric: t.metric, value, sources };
  });
}

/** "task de-en: bleu 23.41 (500 sources)", one line per task. */
export function taskScoreLines(result: ValidationResult): string[] {
  const tasks = (result as Partial<TaskValidationResult>).tasks ?? [];
  return tasks.map(
    (t) =>
      `  task ${t.task}: ${t.metric} ${Number.isNaN(t.value) ? "-" : t.value.toFixed(2)} (${t.sources} sources)`,
  );
}

/**
 * Validates a multi-task model over the concatenated validation sets of its tasks (src/train/task-data.ts):
 * the loss over all pairs is the result's value (metric "loss"); every task is scored on its own sources.
 */
export class TaskValidator extends Validator {
  constructor(
    model: Seq2SeqModel,
    layout: FlatLayout,
    private readonly taskSet: ValidationSet,
    options: ValidatorOptions,
    private readonly tasks: readonly ValidationTask[],
  ) {
    super(model, layout, taskSet, { ...options, metric: "loss" });
  }

  override async run(params: Float32Array): Promise<TaskValidationResult> {
    const loss = await this.loss(params);
    const hyps = this.taskSet.sources.length > 0 ? await this.decode(params) : [];
    const tasks = scoreTasks(this.tasks, hyps, this.taskSet.references);
    const examples = this.tasks
      .filter((t) => t.end > t.start)
      .map((t) => ({
        source: this.taskSet.sourceTexts[t.start]!,
        hypothesis: hyps[t.start]!,
        reference: this.taskSet.references[t.start]![0]!,
      }));
    return { loss, perplexity: Math.exp(loss), metric: "loss", value: loss, examples, tasks };
  }
}
