// `seq2seq train --config FILE [--out DIR] [--resume] [--section.key value ...]`: resolves the run config
// (file + dotted overrides), trains with progress on the console, and turns Ctrl-C into a checkpoint.

import { existsSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import { configToJson, loadConfigFile } from "../io/config.ts";
import { consoleObserver } from "../train/progress.ts";
import { type RunConfig, resolveRunConfig } from "../train/train-config.ts";
import { type TrainResult, train } from "../train/trainer.ts";

interface TrainFlags {
  config: string;
  out?: string;
  resume?: boolean;
  seed?: string;
  printConfig?: boolean;
}

const HELP = `
Config sections (every key has a default; see configs/*.yaml for commented examples):
  model      architecture ("transformer", ...) and its options (dModel, heads, layers, dropout, ...)
  data       task (built-in: copy, reverse, sort, addition, dates, g2p) or src/tgt or tsv files;
             validSrc/validTgt or validTsv; filter.dropEmpty, filter.maxLength; limit
  tokenizer  kind (char, word, bpe, unigram), vocabSize, joint, lowercase, ...
  train      seed, maxSteps, maxEpochs, maxTokens, accumulate, lr, schedule (constant, noam, cosine,
             plateau), warmupSteps, labelSmoothing, maxGradNorm, weightDecay, validEvery, metric
             (auto, loss, bleu, chrf, exact, wer, per, g2p, ...), patience, keepBest, keepLast,
             averageLastK, ...
Override any key after the flags: --train.lr 5e-4 --model.dModel 128 (or --train.lr=5e-4).
The run folder gets log.jsonl, checkpoints/step-N/ (model folders that also resume), best/,
averaged/ and plot.svg/plot.png. Ctrl-C writes a checkpoint and exits with status 130;
--resume continues from the newest checkpoint with the same losses as an uninterrupted run.

Examples:
  seq2seq train --config configs/transformer-reverse.yaml
  seq2seq train --config configs/transformer-g2p.yaml --out runs/g2p --train.maxSteps 2000
  seq2seq train --config configs/transformer-g2p.yaml --out runs/g2p --resume
`;

/** Reads the config file, applies the overrides and --seed. */
export function loadRunConfig(file: string, overrides: string[], seed?: string): RunConfig {
  if (!existsSync(file)) throw new Error(`config file not found: ${file}`);
  const extra = seed === undefined ? [] : ["--train.seed", seed];
  return resolveRunConfig([loadConfigFile(file)], [...overrides, ...extra]);
}

function summary(result: TrainResult): string[] {
  const lines = [`${result.status} after ${result.step} steps; last checkpoint: ${result.checkpoint}`];
  if (result.best) {
    const where = result.best.dir ? ` (saved in ${result.best.dir})` : "";
    lines.push(
      `best ${result.best.metric}: ${result.best.value.toFixed(3)} at step ${result.best.step}${where}`,
    );
  }
  if (result.averaged) lines.push(`averaged model: ${result.averaged.dir}`);
  if (result.plot) lines.push(`plot: ${result.plot.svgPath} and ${result.plot.pngPath}`);
  lines.push(`log: ${join(result.runDir, "log.jsonl")}`);
  if (result.status === "interrupted")
    lines.push(`continue with the same command plus --resume (and --out ${result.runDir})`);
  return lines;
}

/** Runs `train` with SIGINT/SIGTERM turned into "checkpoint and stop"; a second signal quits at once. */
async function trainUntilSignal(config: RunConfig, out: string, resume: boolean): Promise<TrainResult> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      if (process.stdout.isTTY) process.stdout.write("\x1b[?25h\n"); // the progress bar hid the cursor
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: finishing this step and writing a checkpoint (again to quit now)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const observer = consoleObserver(process.stdout, config.train.logEvery);
    return await train(config, { out, resume, observer, signal: controller.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train a model from a JSON/YAML config, with dotted overrides like --train.lr 5e-4")
    .requiredOption("--config <file>", "the run config (.yaml, .yml or .json)")
    .option("--out <dir>", "the run folder (default: runs/<config file name>)")
    .option("--resume", "continue from the newest checkpoint in the run folder")
    .option("--seed <n>", "shorthand for --train.seed")
    .option("--print-config", "print the resolved config as JSON and exit")
    .argument("[overrides...]", "config overrides: --section.key value")
    .allowUnknownOption()
    .addHelpText("after", HELP)
    .action(async (overrides: string[], flags: TrainFlags) => {
      const config = loadRunConfig(flags.config, overrides, flags.seed);
      if (flags.printConfig) {
        process.stdout.write(configToJson(config));
        return;
      }
      const out = flags.out ?? join("runs", basename(flags.config, extname(flags.config)));
      const result = await trainUntilSignal(config, out, flags.resume ?? false);
      for (const line of summary(result)) process.stdout.write(`${line}\n`);
      if (result.status === "interrupted") process.exitCode = 130;
    });
}
