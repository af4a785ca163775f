// `seq2seq demo`: thin wrapper over runDemo (src/demo.ts): parse flags, print progress and results.

import type { Command } from "commander";
import { runDemo } from "../demo.ts";
import { consoleObserver } from "../train/progress.ts";

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "train a small Transformer on English grapheme-to-phoneme (CMUdict, offline) and show its predictions",
    )
    .option("--seconds <n>", "training time budget in seconds", "180")
    .option("--out <dir>", "where to write the trained model folder", "runs/demo")
    .option("--seed <n>", "random seed", "1")
    .option("--eval-words <n>", "held-out words to decode and score", "1000")
    .action(async (flags: { seconds: string; out: string; seed: string; evalWords: string }) => {
      const seconds = Number(flags.seconds);
      if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got "${flags.seconds}"`);
      const result = await runDemo({
        seconds,
        out: flags.out,
        seed: Number(flags.seed),
        evalWords: Number(flags.evalWords),
        log: (line) => process.stdout.write(`${line}\n`),
        observer: consoleObserver(process.stdout, 50),
      });
      process.stdout.write(`\nheld-out words after ${result.steps} steps:\n`);
      for (const e of result.examples) {
        const mark = e.reference.includes(e.predicted) ? "✓" : "✗";
        process.stdout.write(
          `  ${mark} ${e.word.padEnd(14)} ${e.predicted.padEnd(24)} (reference: ${e.reference.join(" | ")})\n`,
        );
      }
      process.stdout.write(
        `word error rate ${result.wordErrorRate.toFixed(1)}%, phoneme error rate ${result.phonemeErrorRate.toFixed(1)}%\n`,
      );
      process.stdout.write(`model saved to ${result.modelDir}\n`);
      process.stdout.write(`training log, checkpoint and loss plot: ${result.runDir}\n`);
    });
}
