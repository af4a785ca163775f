// `seq2seq transcribe`: WAV files (arguments, or one path per line on stdin) -> one transcript per file, in
// order. Parsing and printing only; src/decode/transcribe.ts does the work.
import type { Command } from "commander";
import { AudioTooLongError, loadTranscriber, type TranscribeOptions } from "../decode/transcribe.ts";

interface TranscribeFlags {
  model: string;
  beam?: string;
  maxLength?: string;
  batchSize?: string;
  language?: string;
  task?: string;
  json?: boolean;
}

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Non-blank lines of stdin (a list of WAV paths). */
async function readPaths(): Promise<string[]> {
  if (process.stdin.isTTY)
    throw new Error("give WAV files as arguments, or a list of paths (one per line) on stdin");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .split("\n")
    .map((line) => line.replace(/\r$/, "").trim())
    .filter((line) => line !== "");
}

async function runTranscribe(files: string[], flags: TranscribeFlags): Promise<void> {
  const options: TranscribeOptions = {
    beam: integer(flags.beam, "--beam", 1),
    maxLength: integer(flags.maxLength, "--max-length", 1),
    batchSize: integer(flags.batchSize, "--batch-size", 1),
  };
  const paths = files.length > 0 ? files : await readPaths();
  if (paths.length === 0) throw new Error("no WAV files given (arguments or stdin)");
  const transcriber = await loadTranscriber(flags.model, { language: flags.language, task: flags.task });
  try {
    const transcripts = await transcriber.transcribeFiles(paths, options);
    const lines = transcripts.map((t, i) =>
      flags.json ? JSON.stringify({ file: paths[i], text: t.text, seconds: t.seconds }) : t.text,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
  } catch (error) {
    if (error instanceof AudioTooLongError) throw new Error(`${error.message} (split it into shorter files)`);
    throw error;
  } finally {
    await transcriber.release();
  }
}

/** Registers `seq2seq transcribe` on the program. */
export function register(program: Command): void {
  program
    .command("transcribe")
    .description("transcribe WAV files with a speech model folder: one line per file, in order")
    .argument("[files...]", "WAV files (default: one path per line on stdin)")
    .requiredOption("--model <dir>", "speech model folder (trained here, or a Hugging Face Whisper folder)")
    .option("--beam <n>", "beam size (default 1 = greedy)")
    .option("--max-length <n>", "most output tokens per file (default 200)")
    .option("--batch-size <n>", "files decoded together (default 16)")
    .option("--language <code>", "a multilingual Whisper folder's language, e.g. en")
    .option("--task <task>", "a Whisper folder's task: transcribe (default) or translate")
    .option("--json", "one JSON object per file: {file, text, seconds}")
    .action((files: string[], flags: TranscribeFlags) => runTranscribe(files, flags));
}
