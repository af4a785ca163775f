// `seq2seq serve`: the HTTP API and the web page over one or more model folders. Parses flags, starts
// src/server (worker threads decode), and on SIGTERM/SIGINT answers the requests in flight before exiting.
import type { Command } from "commander";
import { parseModelSpec, type ServerLimits, startServer } from "../server/index.ts";

interface ServeFlags {
  model: string[];
  port: string;
  host: string;
  workers: string;
  threads?: string;
  maxBatch: string;
  batchWaitMs: string;
  maxInputs?: string;
  maxInputChars?: string;
  maxBodyBytes?: string;
}

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function limits(flags: ServeFlags): Partial<ServerLimits> {
  const out: Partial<ServerLimits> = {};
  const maxInputs = integer(flags.maxInputs, "--max-inputs", 1);
  const maxInputChars = integer(flags.maxInputChars, "--max-input-chars", 1);
  const maxBodyBytes = integer(flags.maxBodyBytes, "--max-body-bytes", 64);
  if (maxInputs !== undefined) out.maxInputs = maxInputs;
  if (maxInputChars !== undefined) out.maxInputChars = maxInputChars;
  if (maxBodyBytes !== undefined) out.maxBodyBytes = maxBodyBytes;
  return out;
}

async function runServe(flags: ServeFlags): Promise<void> {
  const port = integer(flags.port, "--port", 0)!;
  if (port > 65535) throw new Error(`--port must be at most 65535, got ${port}`);
  const server = await startServer({
    models: flags.model.map(parseModelSpec),
    host: flags.host,
    port,
    workers: integer(flags.workers, "--workers", 1),
    threads: integer(flags.threads, "--threads", 1),
    maxBatch: integer(flags.maxBatch, "--max-batch", 1),
    batchWaitMs: integer(flags.batchWaitMs, "--batch-wait-ms", 0),
    limits: limits(flags),
  });
  const names = server.models.map((m) => m.name).join(", ");
  process.stdout.write(`seq2seq serve: listening on ${server.url} (models: ${names})\n`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      const n = server.pending();
      const requests = `${n} request${n === 1 ? "" : "s"}`;
      process.stdout.write(`seq2seq serve: ${signal}: finishing ${requests} in flight, taking no new ones\n`);
      server.close().then(done, done);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  process.stdout.write("seq2seq serve: stopped\n");
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Registers `seq2seq serve` on the program. */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "serve models over HTTP (POST /v1/translate, GET /v1/models, GET /healthz) with a web page at /",
    )
    .requiredOption(
      "--model <dir>",
      "model folder, or name=DIR, or name=DIR1,DIR2 for folders decoded as one (an ensemble; left-to-right with right-to-left folders rerank); repeatable, the first is the default",
      collect,
    )
    .option("--port <n>", "port (0: any free port)", "8080")
    .option("--host <host>", "interface to bind (0.0.0.0 opens it to the network)", "127.0.0.1")
    .option("--workers <n>", "decoding worker threads, each with every model loaded", "1")
    .option("--threads <n>", "ONNX Runtime threads per worker (default 1)")
    .option("--max-batch <n>", "most input texts decoded together across requests", "32")
    .option("--batch-wait-ms <n>", "how long a batch waits for more requests", "5")
    .option("--max-inputs <n>", "most texts per request (default 64)")
    .option("--max-input-chars <n>", "most characters per input text (default 2000)")
    .option("--max-body-bytes <n>", "largest request body (default 1048576)")
    .action((flags: ServeFlags) => runServe(flags));
}
