// Dynamic batching: the inputs of concurrent requests with the same model and options are decoded in one
// translate() call (up to a size limit, after a short wait; each keeps its own text task), then each
// request gets its own results back.

import type { TranslateOptions } from "../decode/translate-options.ts";
import type { DecodeJob, PartResult, TaskChoice } from "./decode-worker.ts";

export interface BatcherOptions {
  /** Most input texts in one decoding job (a larger single request still goes as one job). */
  maxBatch: number;
  /** How long a job waits for more requests before it may start, in ms. */
  waitMs: number;
  /** How many jobs may run at once (the number of workers). */
  capacity: () => number;
}

/** One request's share of a batch. */
export interface BatchRequest {
  model: string;
  options: TranslateOptions;
  texts: string[];
  attention: boolean;
  /** The request's text task (absent: the folder's); requests with different tasks may share a job. */
  task?: TaskChoice;
}

interface Entry {
  texts: string[];
  attention: boolean;
  task: TaskChoice;
  resolve: (result: PartResult) => void;
  reject: (error: Error) => void;
}

interface Group {
  key: string;
  model: string;
  options: TranslateOptions;
  entries: Entry[];
  size: number;
  /** May start: full, waited long enough, or the batcher is draining. */
  ready: boolean;
  timer?: NodeJS.Timeout;
}

/** A JSON text of `value` with object keys sorted, so equal options give equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Groups requests into decoding jobs run by `run`. Requests merge when model and options are equal (their
 * text tasks may differ: the job gives each part its own), except sampling ones: a sample's seed stream
 * depends on the sentence's position in its translate() call, so a sampled request is decoded on its own
 * and gives the same samples however busy the server is.
 */
export class Batcher {
  private readonly open = new Map<string, Group>();
  /** Groups not started yet, oldest first. */
  private readonly waiting: Group[] = [];
  private running = 0;
  private runningRequests = 0;
  private draining = false;
  private unique = 0;
  private idle: Array<() => void> = [];
  /** Decoding jobs started so far, and the input texts in them (their ratio is the mean batch size). */
  readonly stats = { jobs: 0, texts: 0 };

  constructor(
    private readonly run: (job: DecodeJob) => Promise<PartResult[]>,
    private readonly options: BatcherOptions,
  ) {}

  /** Requests accepted and not answered yet (waiting or decoding). */
  get pending(): number {
    return this.waiting.reduce((n, g) => n + g.entries.length, 0) + this.runningRequests;
  }

  /** Decodes `request.texts` (batched with others) and resolves with this request's results. */
  submit(request: BatchRequest): Promise<PartResult> {
    const key = request.options.sample
      ? `sample #${this.unique++}`
      : `${request.model}\n${canonicalJson(request.options)}`;
    let group = this.open.get(key);
    if (group && group.size + request.texts.length > this.options.maxBatch) {
      this.seal(group);
      group = undefined;
    }
    if (!group) group = this.newGroup(key, request);
    const result = new Promise<PartResult>((resolve, reject) => {
      const { texts, attention, task = {} } = request;
      group.entries.push({ texts, attention, task, resolve, reject });
    });
    group.size += request.texts.length;
    if (group.size >= this.options.maxBatch) this.seal(group);
    this.pump();
    return result;
  }

  private newGroup(key: string, request: BatchRequest): Group {
    const group: Group = {
      key,
      model: request.model,
      options: request.options,
      entries: [],
      size: 0,
      ready: this.draining,
    };
    this.open.set(key, group);
    this.waiting.push(group);
    if (!group.ready) {
      group.timer = setTimeout(() => {
        group.ready = true;
        this.pump();
      }, this.options.waitMs);
    }
    return group;
  }

  /** No more requests join `group`; it may start. */
  private seal(group: Group): void {
    if (this.open.get(group.key) === group) this.open.delete(group.key);
    group.ready = true;
  }

  private pump(): void {
    while (this.running < this.options.capacity()) {
      const index = this.waiting.findIndex((g) => g.ready);
      if (index < 0) break;
      const [group] = this.waiting.splice(index, 1);
      this.seal(group!);
      clearTimeout(group!.timer);
      this.start(group!);
    }
    if (this.running === 0 && this.waiting.length === 0) for (const wake of this.idle.splice(0)) wake();
  }

  private start(group: Group): void {
    this.running += 1;
    this.runningRequests += group.entries.length;
    this.stats.jobs += 1;
    this.stats.texts += group.size;
    const job: DecodeJob = {
      model: group.model,
      options: { ...group.options, batchSize: this.options.maxBatch },
      parts: group.entries.map((e) => e.texts),
      tasks: group.entries.map((e) => e.task),
      attention: group.entries.some((e) => e.attention),
    };
    this.run(job)
      .then(
        (parts) => {
          for (const [i, e] of group.entries.entries()) e.resolve(parts[i]!);
        },
        (error: Error) => {
          for (const e of group.entries) e.reject(error);
        },
      )
      .finally(() => {
        this.running -= 1;
        this.runningRequests -= group.entries.length;
        this.pump();
      });
  }

  /** Starts every waiting group at once and resolves when nothing is waiting or running. */
  drain(): Promise<void> {
    this.draining = true;
    for (const group of this.waiting) group.ready = true;
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.pump();
    });
  }
}
