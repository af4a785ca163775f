// `seq2seq train --config FILE | --init-from DIR [--out DIR] [--resume] [--section.key value ...]`: resolves
// the run config, trains (speech manifests: a speech run) with progress lines, and turns Ctrl-C into a checkpoint.

import { existsSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { configToJson, loadConfigFile } from "../io/config.ts";
import { consoleObserver } from "../train/progress.ts";
import { isSpeechRun, runSpeechTraining, type SpeechRunResult } from "../train/speech-run.ts";
import { type RunConfig, resolveRunConfig } from "../train/train-config.ts";
import { type TrainResult, train } from "../train/trainer.ts";

interface TrainFlags {
  config?: string;
  initFrom?: string;
  src?: string;
  tgt?: string;
  validSrc?: string;
  validTgt?: string;
  speechTrain?: string;
  speechValid?: string;
  out?: string;
  resume?: boolean;
  seed?: string;
  printConfig?: boolean;
}

const HELP = `
Config sections (every key has a default; see configs/*.yaml for commented examples):
  model      architecture ("transformer", ...) and its options (dModel, heads, layers, dropout, ...)
  data       task (built-in: copy, reverse, sort, addition, dates, g2p) or src/tgt or tsv files;
             validSrc/validTgt or validTsv; filter.dropEmpty, filter.maxLength; limit; reverseTarget
             (a right-to-left model, which reranks with left-to-right ones in translate);
             speech.train/speech.valid manifests for speech models (whisper, speech-gru)
  tokenizer  kind (char, word, bpe, unigram), vocabSize, joint, lowercase, ...
  train      seed, maxSteps, maxSeconds, maxEpochs, maxTokens, accumulate, lr, schedule (constant, noam,
             cosine: decays to minLr at maxSteps or with maxSeconds, whichever ends first; plateau),
             warmupSteps, labelSmoothing, maxGradNorm, weightDecay, validEvery, metric (auto, loss, bleu,
             chrf, exact, wer, per, g2p, ...), patience, keepBest, keepLast, averageLastK, ...
Override any key after the flags: --train.lr 5e-4 --model.dModel 128 (or --train.lr=5e-4).
--init-from DIR fine-tunes a model folder (Hugging Face t5/bart/mbart/marian/m2m_100/whisper with
tokenizer.json, or one saved by seq2seq-ts): model, tokenizer and first weights come from it (only
model.dropout, model.attentionDropout, model.activationDropout may be set); a Hugging Face folder's run saves
Hugging Face folders, which translate, transcribe and export read with its conventions (docs/hf-families.md).
The run folder gets log.jsonl, checkpoints/step-N/ (model folders that also resume), best/,
averaged/ and plot.svg/plot.png. Ctrl-C writes a checkpoint and exits with status 130;
--resume continues from the newest checkpoint with the same losses as an uninterrupted run.
Speech models (whisper, speech-gru) train on manifests as \`seq2seq data speech\` writes them:
--speech-train/--speech-valid (data.speech.train/valid; data.speech.language and .task pick a multilingual
Whisper folder's prompt), train.batchFrames, train.specAugment.*; the run folder gets last/ and best/ (by
validation CER) for \`seq2seq transcribe --model\`, log.jsonl and checkpoints/step-N/ that --resume continues
(docs/speech.md).

Examples:
  seq2seq train --config configs/transformer-reverse.yaml
  seq2seq train --config configs/transformer-g2p.yaml --out runs/g2p --train.maxSteps 2000
  seq2seq train --config configs/transformer-g2p.yaml --out runs/g2p --resume
  seq2seq train --init-from models/opus-mt-en-de --src train.en --tgt train.de --valid-src dev.en \
    --valid-tgt dev.de --out runs/ft --train.lr 5e-5 --train.schedule constant --train.maxSteps 2000
  seq2seq train --config configs/whisper-speech.yaml --out runs/asr
  seq2seq train --init-from models/whisper-tiny --speech-train corpus/train.tsv --speech-valid corpus/valid.tsv \
    --data.speech.language en --out runs/whisper-ft --train.lr 1e-5 --train.schedule constant --train.maxSteps 500
`;

/** Shorthand flags and the config keys they set. */
const SHORTHANDS = [
  ["seed", "train.seed"],
  ["initFrom", "train.initFrom"],
  ["src", "data.src"],
  ["tgt", "data.tgt"],
  ["validSrc", "data.validSrc"],
  ["validTgt", "data.validTgt"],
  ["speechTrain", "data.speech.train"],
  ["speechValid", "data.speech.valid"],
] as const;

/** Reads the config file (none: every key from defaults and overrides), applies the overrides and --seed. */
export function loadRunConfig(file: string | undefined, overrides: string[], seed?: string): RunConfig {
  if (file !== undefined && !existsSync(file)) throw new Error(`config file not found: ${file}`);
  const extra = seed === undefined ? [] : ["--train.seed", seed];
  return resolveRunConfig(file === undefined ? [] : [loadConfigFile(file)], [...overrides, ...extra]);
}

/** The overrides shorthand flags stand for (--init-from DIR is --train.initFrom DIR, ...). */
function shorthandOverrides(flags: TrainFlags): string[] {
  return SHORTHANDS.flatMap(([flag, key]) => {
    const value = flags[flag];
    return value === undefined ? [] : [`--${key}`, value];
  });
}

/** The run folder: --out, else runs/<config file name>, else runs/<init folder name>. */
function runFolder(flags: TrainFlags): string {
  if (flags.out) return flags.out;
  if (flags.config) return join("runs", basename(flags.config, extname(flags.config)));
  return join("runs", basename(resolve(flags.initFrom!)));
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

function speechSummary(result: SpeechRunResult): string[] {
  const lines = [`stopped (${result.stopped}) after ${result.steps} steps; model: ${result.last}`];
  const f = result.final;
  if (f) lines.push(`validation at step ${f.step}: CER ${f.cer.toFixed(2)} %, WER ${f.wer.toFixed(2)} %`);
  const b = result.best;
  if (b)
    lines.push(
      `best: CER ${b.cer.toFixed(2)} %, WER ${b.wer.toFixed(2)} % at step ${b.step} (saved in ${b.dir})`,
    );
  lines.push(`checkpoint: ${result.checkpoint}`, `log: ${join(result.runDir, "log.jsonl")}`);
  lines.push(`transcribe: seq2seq transcribe --model ${b?.dir ?? result.last} file.wav`);
  if (result.stopped === "signal")
    lines.push(`continue with the same command plus --resume (and --out ${result.runDir})`);
  return lines;
}

/** Runs `work` with SIGINT/SIGTERM turned into an abort ("finish and save"); a second signal quits at once. */
async function untilSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train a model from a JSON/YAML config, with dotted overrides like --train.lr 5e-4")
    .option("--config <file>", "the run config (.yaml, .yml or .json)")
    .option("--init-from <dir>", "fine-tune this model folder (Hugging Face or seq2seq-ts): --train.initFrom")
    .option("--src <file>", "training sources, one per line: --data.src")
    .option("--tgt <file>", "training targets, line-aligned with --src: --data.tgt")
    .option("--valid-src <file>", "validation sources: --data.validSrc")
    .option("--valid-tgt <file>", "validation targets: --data.validTgt")
    .option("--speech-train <file>", "training speech manifest (TSV: path, text): --data.speech.train")
    .option("--speech-valid <file>", "validation speech manifest, scored by CER/WER: --data.speech.valid")
    .option(
      "--out <dir>",
      "the run folder (default: runs/<config file name>, or runs/<--init-from folder name>)",
    )
    .option("--resume", "continue from the newest checkpoint in the run folder")
    .option("--seed <n>", "shorthand for --train.seed")
    .option("--print-config", "print the resolved config as JSON and exit")
    .argument("[overrides...]", "config overrides: --section.key value")
    .allowUnknownOption()
    .addHelpText("after", HELP)
    .action(async (overrides: string[], flags: TrainFlags) => {
      if (flags.config === undefined && flags.initFrom === undefined)
        throw new Error("train needs --config FILE (or --init-from DIR to fine-tune a model folder)");
      const config = loadRunConfig(flags.config, [...overrides, ...shorthandOverrides(flags)]);
      if (flags.printConfig) {
        process.stdout.write(configToJson(config));
        return;
      }
      const out = runFolder(flags);
      if (isSpeechRun(config)) {
        const log = (line: string) => process.stdout.write(`${line}\n`);
        const resume = flags.resume ?? false;
        const result = await untilSignal((signal) => runSpeechTraining(config, { out, resume, log, signal }));
        for (const line of speechSummary(result)) log(line);
        if (result.stopped === "signal") process.exitCode = 130;
        return;
      }
      const resume = flags.resume ?? false;
      const result = await untilSignal((signal) => {
        const observer = consoleObserver(process.stdout, config.train.logEvery);
        return train(config, { out, resume, observer, signal });
      });
      for (const line of summary(result)) process.stdout.write(`${line}\n`);
      if (result.status === "interrupted") process.exitCode = 130;
    });
}
