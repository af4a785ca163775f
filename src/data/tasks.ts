// The registry of built-in tasks (name -> generator) behind builtinTask(name, options),
// for quick starts, tests and the CLI's --task option.

import { g2pTask } from "./g2p-task.ts";
import {
  additionTask,
  datesTask,
  generateSplits,
  symbolTask,
  type TaskOptions,
  type TaskSplits,
} from "./synthetic-tasks.ts";

export interface BuiltinTaskInfo {
  name: string;
  description: string;
  /** An example pair, for help texts. */
  example: { src: string; tgt: string };
  make(options: TaskOptions): Promise<TaskSplits> | TaskSplits;
}

const TASKS: readonly BuiltinTaskInfo[] = [
  {
    name: "copy",
    description: "copy a random symbol sequence",
    example: { src: "dbca", tgt: "dbca" },
    make: (o) => generateSplits("copy", symbolTask("copy", o), o),
  },
  {
    name: "reverse",
    description: "reverse a random symbol sequence",
    example: { src: "dbca", tgt: "acbd" },
    make: (o) => generateSplits("reverse", symbolTask("reverse", o), o),
  },
  {
    name: "sort",
    description: "sort a random symbol sequence",
    example: { src: "dbca", tgt: "abcd" },
    make: (o) => generateSplits("sort", symbolTask("sort", o), o),
  },
  {
    name: "addition",
    description: "add two numbers written as text",
    example: { src: "12+345", tgt: "357" },
    make: (o) => generateSplits("addition", additionTask(o), o),
  },
  {
    name: "dates",
    description: "normalise a date written in one of several formats to ISO 8601",
    example: { src: "March 5, 1999", tgt: "1999-03-05" },
    make: (o) => generateSplits("dates", datesTask(o), o),
  },
  {
    name: "g2p",
    description:
      "English grapheme-to-phoneme conversion (CMU Pronouncing Dictionary, ARPAbet without stress)",
    example: { src: "HELLO", tgt: "HH AH L OW" },
    make: g2pTask,
  },
];

/** The built-in tasks, in a stable order. */
export function listBuiltinTasks(): readonly BuiltinTaskInfo[] {
  return TASKS;
}

/** Train/valid/test pairs of the built-in task `name` (see TaskOptions); deterministic given the options. */
export async function builtinTask(name: string, options: TaskOptions = {}): Promise<TaskSplits> {
  const task = TASKS.find((t) => t.name === name);
  if (task === undefined) {
    throw new Error(`unknown task "${name}"; built-in tasks: ${TASKS.map((t) => t.name).join(", ")}`);
  }
  return task.make(options);
}
