// The public API of src/data: parallel text files, built-in tasks, seeded RNG, token-budget batching.

export { BatchStream, type DataPosition, type StreamedBatch } from "./batch-stream.ts";
export {
  type Batch,
  type BatchOptions,
  type BatchPlan,
  batchTokens,
  makeBatches,
  type PaddedBatch,
  type PadOptions,
  padBatch,
  type TokenizedPair,
} from "./batching.ts";
export { fnv1a32 } from "./g2p-task.ts";
export { DataFileError, readLines } from "./line-reader.ts";
export {
  type ParallelData,
  type ParallelExample,
  type ParallelFilter,
  type ReadOptions,
  type ReadStats,
  readParallelFiles,
  readTsv,
  referencesBySource,
  type TsvOptions,
} from "./parallel.ts";
export { mixSeed, Rng } from "./rng.ts";
export type { TaskOptions, TaskSplits } from "./synthetic-tasks.ts";
export { type BuiltinTaskInfo, builtinTask, listBuiltinTasks } from "./tasks.ts";
