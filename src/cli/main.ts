// Entry point of the `seq2seq` command: builds the commander program from one file per subcommand.
// Each subcommand file exports `register(program)`; it parses its flags and calls the library.
import { Command } from "commander";
import { register as registerAverage } from "./average.ts";
import { register as registerData } from "./data.ts";
import { register as registerDemo } from "./demo.ts";
import { register as registerEval } from "./eval.ts";
import { register as registerExport } from "./export.ts";
import { register as registerGraphones } from "./graphones.ts";
import { register as registerServe } from "./serve.ts";
import { register as registerTrain } from "./train.ts";
import { register as registerTranscribe } from "./transcribe.ts";
import { register as registerTranslate } from "./translate.ts";

/** Builds the full `seq2seq` program (exported so tests can inspect --help without spawning). */
export function buildProgram(): Command {
  const program = new Command("seq2seq")
    .description("Sequence-to-sequence models in TypeScript: train, decode, evaluate, export and serve.")
    .version("0.1.0")
    .showHelpAfterError()
    .showSuggestionAfterError();
  registerDemo(program);
  registerEval(program);
  registerData(program);
  registerTrain(program);
  registerServe(program);
  registerTranslate(program);
  registerExport(program);
  registerAverage(program);
  registerTranscribe(program);
  registerGraphones(program);
  return program;
}

/** Runs the CLI; errors print one clear line (no stack trace) and exit with status 1. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`seq2seq: ${message}\n`);
    process.exitCode = 1;
  }
}
