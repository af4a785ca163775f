// A decoding worker thread: ONNX Runtime's run blocks its thread, so the server decodes here, never on its
// event loop. It loads every served model once, then answers batches of requests with one translate() each.

import { parentPort, workerData } from "node:worker_threads";
import type { StoredTextTask, TextTask } from "../data/text-task.ts";
import {
  InputFormatError,
  loadTranslator,
  SourceTooLongError,
  type TranslateOptions,
  TranslateOptionsError,
  type Translation,
  type Translator,
} from "../decode/translate.ts";
import { SpeechModels, type TranscribeJob, type TranscribeOutcome } from "./transcribe-worker.ts";

/**
 * A served model: its name in requests and its folder, or several folders decoded as one (an ensemble, or
 * left-to-right and right-to-left folders reranking each other; see loadTranslator).
 */
export interface ModelSpec {
  name: string;
  dir: string | readonly string[];
}

/** How a model's inputs become sources (its text-task.json, less the format number); see src/data/text-task.ts. */
export type TextTaskInfo = Omit<StoredTextTask, "format">;

/**
 * The text task one request asks for: a named task of the model (`task`), an explicit prefix (`prefix`, ""
 * for none), or neither (the folder's own). Checked by the app before it reaches a worker.
 */
export interface TaskChoice {
  task?: string;
  prefix?: string;
}

/** What GET /v1/models tells about a model. */
export interface ModelInfo {
  name: string;
  architecture: string;
  srcVocabSize: number;
  tgtVocabSize: number;
  parameters: number;
  /** The longest sequence the model's positions allow, when it has such a limit. */
  maxPositions?: number;
  /** "audio": a speech model, served on POST /v1/transcribe (absent: a text model). */
  input?: "text" | "audio";
  /** A speech model's longest clip in seconds. */
  maxAudioSeconds?: number;
  /** A Hugging Face folder's model_type. */
  hfFamily?: string;
  /** A Hugging Face folder: the output length (tokens before EOS) its generation config gives. */
  defaultMaxLength?: number;
  /** The model's text task (default prefix, template, truncation, named tasks), when it has one. */
  textTask?: TextTaskInfo;
  /**
   * A model served from several folders: how many read the target left to right and right to left.
   * Parameters, vocabularies and text task are then the first left-to-right folder's (the first folder's
   * when all read one way).
   */
  folders?: { leftToRight: number; rightToLeft: number };
}

export interface WorkerInit {
  models: ModelSpec[];
  /** ONNX Runtime intra-op threads per session. */
  threads: number;
}

/**
 * One decoding job: the texts of several requests (`parts`) decoded together with the same options, each
 * part with its own text task (`tasks[p]`; absent: every part uses the folder's).
 */
export interface DecodeJob {
  model: string;
  options: TranslateOptions;
  parts: string[][];
  tasks?: TaskChoice[];
  /** Keep the attention weights (else they are dropped before crossing back). */
  attention: boolean;
}

/** The outcome of one part: its translations in order, or a client error (e.g. a source too long). */
export type PartResult = { ok: true; translations: Translation[] } | { ok: false; message: string };

export type ToWorker =
  | { type: "job"; id: number; job: DecodeJob }
  | { type: "transcribe"; id: number; job: TranscribeJob }
  | { type: "close" };
export type FromWorker =
  | { type: "ready"; models: ModelInfo[] }
  | { type: "failed"; message: string }
  | { type: "done"; id: number; parts: PartResult[] }
  | { type: "transcribed"; id: number; result: TranscribeOutcome }
  | { type: "error"; id: number; message: string }
  | { type: "closed" };

function textTaskInfo(stored: StoredTextTask): TextTaskInfo {
  const { prefix, template, maxSourceTokens, truncate, tasks } = stored;
  return { prefix, template, maxSourceTokens, truncate, tasks: tasks.map((t) => ({ ...t })) };
}

function describe(name: string, translator: Translator): ModelInfo {
  const { model, textTask } = translator.loaded;
  const parameters = model.parameters().reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  return {
    name,
    architecture: model.architecture,
    srcVocabSize: model.srcVocabSize,
    tgtVocabSize: model.tgtVocabSize,
    parameters,
    ...(translator.maxPositions === undefined ? {} : { maxPositions: translator.maxPositions }),
    ...(translator.scheme.hfFamily === undefined
      ? {}
      : { hfFamily: translator.scheme.hfFamily, defaultMaxLength: translator.defaults.maxLength }),
    ...(textTask ? { textTask: textTaskInfo(textTask) } : {}),
    ...(translator.folders.leftToRight + translator.folders.rightToLeft > 1
      ? { folders: translator.folders }
      : {}),
  };
}

/** The part holding flat index `index` of the concatenated active parts. */
function partOf(active: readonly number[], parts: readonly string[][], index: number): [number, number] {
  let offset = 0;
  for (const p of active) {
    if (index < offset + parts[p]!.length) return [p, index - offset];
    offset += parts[p]!.length;
  }
  throw new Error(`input ${index} is in no part`);
}

/** A part's text task, or the message refusing it (a task the model does not have). */
function partTask(translator: Translator, choice: TaskChoice | undefined): TextTask | string {
  try {
    return translator.textTaskFor(choice ?? {});
  } catch (error) {
    if (error instanceof TranslateOptionsError) return error.message;
    throw error;
  }
}

/** Why input `i` of its request fails that request: too long for model `name`, or unusable by the task. */
function inputMessage(error: SourceTooLongError | InputFormatError, i: number, name: string): string {
  if (error instanceof InputFormatError) return `inputs[${i}]: ${error.problem}`;
  return `inputs[${i}] has ${error.length} source tokens (EOS included); model "${name}" takes at most ${error.limit}`;
}

/**
 * Decodes every part in one translate() call, each input made a source by its own part's text task. A source
 * too long for the model, an input the task's template cannot use, or an unknown task fails only its own
 * part (the others are decoded without it); an option the model cannot honour fails every part.
 */
export async function runJob(translator: Translator, name: string, job: DecodeJob): Promise<PartResult[]> {
  const results = new Array<PartResult>(job.parts.length);
  const tasks = job.parts.map((_, p) => partTask(translator, job.tasks?.[p]));
  for (const [p, task] of tasks.entries())
    if (typeof task === "string") results[p] = { ok: false, message: task };
  let active = job.parts.map((_, p) => p).filter((p) => typeof tasks[p] !== "string");
  for (;;) {
    try {
      const translations = await translator.translate(
        active.flatMap((p) => job.parts[p]!),
        job.options,
        active.flatMap((p) => job.parts[p]!.map(() => tasks[p] as TextTask)),
      );
      let offset = 0;
      for (const p of active) {
        const own = translations.slice(offset, offset + job.parts[p]!.length);
        offset += own.length;
        if (!job.attention) for (const t of own) for (const h of t.hypotheses) h.attention = [];
        results[p] = { ok: true, translations: own };
      }
      return results;
    } catch (error) {
      if (error instanceof TranslateOptionsError) {
        for (const p of active) results[p] = { ok: false, message: error.message };
        return results;
      }
      if (!(error instanceof SourceTooLongError || error instanceof InputFormatError)) throw error;
      const [p, i] = partOf(active, job.parts, error.index);
      results[p] = { ok: false, message: inputMessage(error, i, name) };
      active = active.filter((q) => q !== p);
    }
  }
}

async function serveJobs(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const post = (message: FromWorker) => port.postMessage(message);
  const translators = new Map<string, Translator>();
  let speech: SpeechModels;
  try {
    speech = await SpeechModels.load(init.models, init.threads);
    for (const spec of init.models)
      if (!speech.has(spec.name))
        translators.set(spec.name, await loadTranslator(spec.dir, { threads: init.threads }));
  } catch (error) {
    post({ type: "failed", message: (error as Error).message });
    return;
  }
  port.on("message", async (message: ToWorker) => {
    if (message.type === "close") {
      for (const t of translators.values()) await t.release();
      await speech.release();
      post({ type: "closed" });
      port.close();
      return;
    }
    if (message.type === "transcribe") {
      const { id, job } = message;
      await speech
        .run(job)
        .then((result) => post({ type: "transcribed", id, result }))
        .catch((error: Error) => post({ type: "error", id, message: error.stack ?? String(error) }));
      return;
    }
    const { id, job } = message;
    try {
      const translator = translators.get(job.model);
      if (!translator) throw new Error(`worker has no model "${job.model}"`);
      post({ type: "done", id, parts: await runJob(translator, job.model, job) });
    } catch (error) {
      post({ type: "error", id, message: (error as Error).stack ?? String(error) });
    }
  });
  const models = init.models.map(({ name }) =>
    speech.has(name) ? speech.info(name) : describe(name, translators.get(name)!),
  );
  post({ type: "ready", models });
}

if (parentPort) await serveJobs(workerData as WorkerInit);
