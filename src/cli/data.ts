// `seq2seq data speech`: synthesizes a speech-recognition corpus with espeak-ng (src/data/speech-corpus.ts).
// Parsing and printing only; `--list-voices` shows the English accents and voice variants per split.
import type { Command } from "commander";
import {
  listEspeakVoices,
  SPLITS,
  type SpeechCorpusOptions,
  splitVariants,
  synthesizeSpeechCorpus,
} from "../data/speech-corpus.ts";

interface SpeechFlags {
  out?: string;
  count?: string;
  seed: string;
  texts?: string;
  builtinFraction?: string;
  noise: string;
  snr: string;
  validFraction: string;
  testFraction: string;
  jobs: string;
  listVoices?: boolean;
}

function parseNumber(value: string, flag: string, check: (n: number) => boolean, what: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n))
    throw new Error(`${flag} must be ${what}, got "${value}"`);
  return n;
}

const fraction = (value: string, flag: string) =>
  parseNumber(value, flag, (n) => n >= 0 && n <= 1, "a number from 0 to 1");
const integer = (value: string, flag: string, min: number) =>
  parseNumber(value, flag, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);

function parseSnr(value: string): [number, number] {
  const parts = value.split(":");
  const [lo, hi] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  const range = [Number(lo), Number(hi)] as [number, number];
  if (parts.length > 2 || !range.every(Number.isFinite) || range[0] > range[1] || lo?.trim() === "") {
    throw new Error(`--snr must be LOW:HIGH in dB (e.g. 5:25) or one value, got "${value}"`);
  }
  return range;
}

function toOptions(flags: SpeechFlags): SpeechCorpusOptions {
  if (flags.out === undefined) throw new Error("--out <dir> is required");
  if (flags.count === undefined) throw new Error("--count <n> is required");
  return {
    out: flags.out,
    count: integer(flags.count, "--count", 1),
    seed: integer(flags.seed, "--seed", 0),
    textsFile: flags.texts,
    builtinFraction:
      flags.builtinFraction === undefined ? undefined : fraction(flags.builtinFraction, "--builtin-fraction"),
    noise: fraction(flags.noise, "--noise"),
    snrDb: parseSnr(flags.snr),
    validFraction: fraction(flags.validFraction, "--valid-fraction"),
    testFraction: fraction(flags.testFraction, "--test-fraction"),
    concurrency: integer(flags.jobs, "--jobs", 1),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

async function listVoices(): Promise<void> {
  const voices = await listEspeakVoices();
  const variants = splitVariants(voices.variants);
  process.stdout.write(`${voices.version}\naccents (all splits): ${voices.accents.join(" ")}\n`);
  for (const split of SPLITS) process.stdout.write(`variants, ${split}: ${variants[split].join(" ")}\n`);
}

async function speech(flags: SpeechFlags): Promise<void> {
  if (flags.listVoices) return listVoices();
  const options = toOptions(flags);
  const result = await synthesizeSpeechCorpus(options);
  const counts = SPLITS.map((s) => `${s} ${result.counts[s]}`).join(", ");
  process.stdout.write(
    `${options.out}: ${counts} utterances (${result.synthesized} synthesized, ${result.reused} already there)\n`,
  );
  process.stdout.write(
    `manifests: ${SPLITS.map((s) => `${s}.tsv`).join(", ")} (path, text, voice, speed, pitch, noise)\n`,
  );
  process.stdout.write(
    `held-out voice variants: test ${result.variants.test.join(" ")}; valid ${result.variants.valid.join(" ")}\n`,
  );
}

/** Adds `seq2seq data` and its `speech` subcommand. */
export function register(program: Command): void {
  const data = program.command("data").description("make data sets");
  data
    .command("speech")
    .description(
      "synthesize a speech corpus with espeak-ng: 16 kHz WAV files + TSV manifests (train/valid/test)",
    )
    .option("--out <dir>", "corpus folder (a rerun with the same settings resumes it)")
    .option("--count <n>", "number of utterances over all splits")
    .option("--seed <n>", "random seed", "1")
    .option("--texts <file>", "UTF-8 text file, one utterance per line (default: built-in texts)")
    .option("--builtin-fraction <f>", "share of built-in texts when --texts is given (default 0)")
    .option("--noise <p>", "share of utterances mixed with white/pink/brown noise", "0")
    .option("--snr <low:high>", "signal-to-noise ratio range in dB for noisy utterances", "5:25")
    .option("--valid-fraction <f>", "share of utterances in valid", "0.05")
    .option("--test-fraction <f>", "share of utterances in test", "0.05")
    .option("--jobs <n>", "espeak-ng processes at once", "2")
    .option("--list-voices", "print the English accents and voice variants of each split, then exit")
    .action(speech);
}
