// Starts and stops the whole server: worker pool (models loaded), batcher, hono app on a node:http server.
// Used by `seq2seq serve`, the tests and the benchmark alike.

import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, resolve } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { createApp } from "./app.ts";
import { Batcher } from "./batcher.ts";
import type { ModelInfo, ModelSpec } from "./decode-worker.ts";
import { DEFAULT_LIMITS, type ServerLimits } from "./limits.ts";
import type { TranscribeLimits } from "./transcribe-route.ts";
import { WorkerPool } from "./worker-pool.ts";

export type { ModelInfo, ModelSpec } from "./decode-worker.ts";
export { DEFAULT_LIMITS, type ServerLimits } from "./limits.ts";

export interface ServeOptions {
  /** The served models; the first is the default. */
  models: readonly ModelSpec[];
  /** Interface to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Decoding worker threads (default 1). */
  workers?: number;
  /**
   * ONNX Runtime threads per worker (default 1: decoding steps are small, and ORT's spinning intra-op
   * threads take the event loop's core; bench/serve.ts measured 2× the throughput with 1 than with 2).
   */
  threads?: number;
  /** Most input texts decoded together (default 32). */
  maxBatch?: number;
  /** How long a batch waits for more requests, in ms (default 5). */
  batchWaitMs?: number;
  limits?: Partial<ServerLimits>;
  /** Bounds on POST /v1/transcribe (upload size, files per request). */
  audioLimits?: Partial<TranscribeLimits>;
  /** Where errors and shutdown messages go (default stderr). */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  models: readonly ModelInfo[];
  /** Requests accepted and not answered yet. */
  pending: () => number;
  /** Stops taking connections, answers every accepted request, stops the workers. */
  close: () => Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * `name=DIR` or `DIR` (named after the folder's base name) as a model spec. `name=DIR1,DIR2,...` serves
 * several folders as one model, as `loadTranslator([...])` decodes them: an ensemble, or left-to-right and
 * right-to-left folders reranking each other. A folder whose own name has a comma is taken whole.
 */
export function parseModelSpec(value: string): ModelSpec {
  const eq = value.indexOf("=");
  const name = eq > 0 ? value.slice(0, eq) : basename(resolve(value));
  const folders = eq > 0 ? value.slice(eq + 1) : value;
  const dirs = existsSync(folders) ? [folders] : folders.split(",");
  if (dirs.length > 1 && eq <= 0)
    throw new Error(
      `several folders ("${value}") serve as one model under a name: give it as name=DIR1,DIR2`,
    );
  if (dirs.some((d) => d === "")) throw new Error(`model spec "${value}" has an empty folder`);
  if (!NAME.test(name))
    throw new Error(`model name "${name}" (from "${value}") must be letters, digits, ".", "_" or "-"`);
  return { name, dir: dirs.length === 1 ? dirs[0]! : dirs };
}

/** Checks that the model names are distinct. */
export function checkModelSpecs(specs: readonly ModelSpec[]): void {
  if (specs.length === 0) throw new Error("give at least one model folder");
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) throw new Error(`two models are named "${name}": name them with name=DIR`);
    seen.add(name);
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((done, fail) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      fail(new Error(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`)),
    );
    server.listen(port, host, () => done(server.address() as AddressInfo));
  });
}

/** Closes `server` once its connections are done, closing each keep-alive connection as it goes idle. */
function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    const timer = setInterval(() => server.closeIdleConnections(), 20);
    server.close(() => {
      clearInterval(timer);
      done();
    });
  });
}

/** Loads the models into the workers, then listens; resolves once requests are answered. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  checkModelSpecs(options.models);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workers = options.workers ?? 1;
  const threads = options.threads ?? 1;
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const pool = await WorkerPool.start(options.models, { workers, threads, log });
  const batcher = new Batcher((job) => pool.run(job), {
    maxBatch: options.maxBatch ?? 32,
    waitMs: options.batchWaitMs ?? 5,
    capacity: () => pool.size,
  });
  let closing = false;
  const app = createApp({
    models: pool.models,
    limits,
    submit: (request) => batcher.submit(request),
    transcribe: (job) => pool.transcribe(job),
    audioLimits: options.audioLimits,
    health: () => ({
      workers: pool.size,
      busyWorkers: pool.busy,
      pendingRequests: batcher.pending,
      decodingJobs: batcher.stats.jobs,
      decodedInputs: batcher.stats.texts,
    }),
    closing: () => closing,
    log,
  });
  const server = createServer(getRequestListener(app.fetch));
  const host = options.host ?? "127.0.0.1";
  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 8080, host);
  } catch (error) {
    await pool.close();
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = async () => {
    closing = true;
    const stopped = closeServer(server);
    await batcher.drain();
    await stopped;
    await pool.close();
  };
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    host: address.address,
    port: address.port,
    models: pool.models,
    pending: () => batcher.pending,
    close: () => {
      closed ??= close();
      return closed;
    },
  };
}
