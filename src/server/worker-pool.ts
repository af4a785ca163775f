// A fixed pool of decoding worker threads (src/server/decode-worker.ts): one job per worker at a time, the
// rest queued; a worker that dies fails its job and is replaced, so the server keeps answering.

import { Worker } from "node:worker_threads";
import type {
  DecodeJob,
  FromWorker,
  ModelInfo,
  ModelSpec,
  PartResult,
  ToWorker,
  WorkerInit,
} from "./decode-worker.ts";
import type { TranscribeJob, TranscribeOutcome } from "./transcribe-worker.ts";

const ENTRY = new URL("./worker-entry.js", import.meta.url);

export interface PoolOptions {
  /** Worker threads, each with every model loaded (default 1). */
  workers?: number;
  /** ONNX Runtime threads per worker (default 1). */
  threads?: number;
  /** Where worker failures are reported (default stderr). */
  log?: (line: string) => void;
}

interface Pending {
  id: number;
  /** What goes to the worker. */
  message: ToWorker;
  /** Resolves with the worker's answer (a "done" or "transcribed" message). */
  resolve: (answer: FromWorker) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
}

/** Starts one worker and resolves with it (and the models it loaded) once it is ready. */
function startWorker(init: WorkerInit): Promise<{ worker: Worker; models: ModelInfo[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: init });
    const onMessage = (message: FromWorker) => {
      worker.off("error", onError);
      worker.off("message", onMessage);
      if (message.type === "ready") resolve({ worker, models: message.models });
      else {
        void worker.terminate();
        reject(new Error(message.type === "failed" ? message.message : `worker sent ${message.type} first`));
      }
    };
    const onError = (error: Error) => reject(error);
    worker.on("message", onMessage);
    worker.once("error", onError);
  });
}

/** Worker threads that decode jobs; `models` is what the workers loaded. */
export class WorkerPool {
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closing = false;

  private constructor(
    private readonly init: WorkerInit,
    private readonly slots: Slot[],
    readonly models: readonly ModelInfo[],
    private readonly log: (line: string) => void,
  ) {
    for (const slot of slots) this.watch(slot);
  }

  /** Starts the workers and waits until every one has loaded every model (a load error rejects). */
  static async start(models: readonly ModelSpec[], options: PoolOptions = {}): Promise<WorkerPool> {
    const init: WorkerInit = { models: [...models], threads: options.threads ?? 1 };
    const started = await Promise.allSettled(
      Array.from({ length: options.workers ?? 1 }, () => startWorker(init)),
    );
    const failed = started.find((s) => s.status === "rejected");
    if (failed) {
      for (const s of started) if (s.status === "fulfilled") await s.value.worker.terminate();
      throw failed.reason;
    }
    const ready = started.map(
      (s) => (s as PromiseFulfilledResult<{ worker: Worker; models: ModelInfo[] }>).value,
    );
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    return new WorkerPool(
      init,
      ready.map(({ worker }) => ({ worker })),
      ready[0]!.models,
      log,
    );
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Workers decoding right now. */
  get busy(): number {
    return this.slots.filter((s) => s.current).length;
  }

  /** Decodes `job` on the next free worker; resolves with one result per part. */
  run(job: DecodeJob): Promise<PartResult[]> {
    return this.enqueue((id) => ({ type: "job", id, job })).then((answer) => {
      if (answer.type !== "done") throw new Error(`worker answered ${answer.type}`);
      return answer.parts;
    });
  }

  /** Transcribes `job` (speech models) on the next free worker. */
  transcribe(job: TranscribeJob): Promise<TranscribeOutcome> {
    return this.enqueue((id) => ({ type: "transcribe", id, job })).then((answer) => {
      if (answer.type !== "transcribed") throw new Error(`worker answered ${answer.type}`);
      return answer.result;
    });
  }

  private enqueue(message: (id: number) => ToWorker): Promise<FromWorker> {
    if (this.closing) return Promise.reject(new Error("the worker pool is closed"));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({ id, message: message(id), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.current) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.current = next;
      slot.worker.postMessage(next.message);
    }
  }

  private watch(slot: Slot): void {
    slot.worker.on("message", (message: FromWorker) => {
      const current = slot.current;
      if (!current || !("id" in message) || message.id !== current.id) return;
      slot.current = undefined;
      if (message.type === "done" || message.type === "transcribed") current.resolve(message);
      else {
        this.log(`seq2seq serve: decoding failed: ${message.message}`);
        current.reject(new Error("decoding failed"));
      }
      this.pump();
    });
    slot.worker.on("error", (error) => this.log(`seq2seq serve: worker error: ${error.stack ?? error}`));
    slot.worker.on("exit", (code) => {
      if (this.closing) return;
      this.log(`seq2seq serve: a decoding worker exited (code ${code}); starting a new one`);
      slot.current?.reject(new Error("the decoding worker stopped"));
      slot.current = undefined;
      this.replace(slot);
    });
  }

  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    this.slots.splice(index, 1);
    startWorker(this.init).then(
      ({ worker }) => {
        if (this.closing) return void worker.terminate();
        const fresh: Slot = { worker };
        this.slots.push(fresh);
        this.watch(fresh);
        this.pump();
      },
      (error: Error) => {
        this.log(`seq2seq serve: could not restart a worker: ${error.message}`);
        if (this.slots.length === 0)
          for (const pending of this.queue.splice(0)) pending.reject(new Error("no decoding worker is left"));
      },
    );
  }

  /** Finishes the queued and running jobs, then has every worker release its models and exit. */
  async close(): Promise<void> {
    while (this.queue.length > 0 || this.busy > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.closing = true;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.worker.once("exit", () => resolve());
            slot.worker.on("message", (m: FromWorker) => {
              if (m.type === "closed") void slot.worker.terminate();
            });
            slot.worker.postMessage({ type: "close" } satisfies ToWorker);
          }),
      ),
    );
  }
}
