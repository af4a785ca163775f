// `seq2seq average`: averages the weights of checkpoints of one run into a new model folder. Parsing and
// printing only; src/train/average-folders.ts does the work.
import type { Command } from "commander";
import { averageFolders } from "../train/average-folders.ts";

export function register(program: Command): void {
  program
    .command("average")
    .description(
      "average the weights of checkpoints of one run (same config and tokenizer) into a new model folder",
    )
    .argument("<folders...>", "model folders to average, e.g. runs/x/checkpoints/step-00000900 ...")
    .requiredOption("--out <dir>", "model folder to write (replaced atomically)")
    .action(async (folders: string[], flags: { out: string }) => {
      const report = await averageFolders(folders, flags.out);
      process.stdout.write(`averaged ${report.sources.length} model folders into ${report.dir}\n`);
    });
}
