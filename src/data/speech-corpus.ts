// A synthesized speech corpus for speech recognition: espeak-ng reads seeded texts (digit strings, numbers, dates,
// times, short phrases, or lines of a user's file) in many voices; 16 kHz WAV files + one TSV manifest per split.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { makeNoise, mixAtSnr, NOISE_KINDS, type NoiseKind } from "../audio/noise.ts";
import { resample } from "../audio/resample.ts";
import { decodeWav, writeWav } from "../audio/wav.ts";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { fnv1a32 } from "./g2p-task.ts";
import { DataFileError, readLines } from "./line-reader.ts";
import { mixSeed, Rng } from "./rng.ts";
import { generateText } from "./speech-texts.ts";

/** espeak-ng's English accents (its gmw/ voices; the mbrola ones need extra packages). */
export const ENGLISH_ACCENTS =
  "en-us en-gb en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-gb-x-gbcwmd en-029 en-us-nyc".split(" ");
/** espeak-ng voice variants (`-v en-us+f3`): the speaker's pitch range and formants. Robotic/whispered ones are left out. */
export const VOICE_VARIANTS = [
  "m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 croak klatt klatt2 klatt3 klatt4 klatt5 klatt6 adam Alex Alicia Andrea Andy",
  "Annie aunty belinda benjamin boris caleb david Denis ed edward Gene grandma grandpa Hugo iven Jacky john Lee linda",
  "Marco max Michael michel miguel Mike norbert paul pedro quincy rob robert sandro shelby steph travis victor zac",
]
  .join(" ")
  .split(" ");
export const SPLITS = ["train", "valid", "test"] as const;
export type Split = (typeof SPLITS)[number];

/** Settings of `synthesizeSpeechCorpus`; only `out`, `count` and `seed` are required. */
export interface SpeechCorpusOptions {
  out: string;
  count: number;
  seed: number;
  /** A UTF-8 text file, one utterance per line (blank lines skipped). */
  textsFile?: string;
  /** Share of utterances whose text comes from the built-in generator: 1 without a texts file, else default 0. */
  builtinFraction?: number;
  /** Share of utterances mixed with background noise (white, pink or brown). Default 0. */
  noise?: number;
  /** Signal-to-noise ratio range in dB for noisy utterances. Default [5, 25]. */
  snrDb?: [number, number];
  /** Share of utterances in valid and test. Default 0.05 each (at least one each once count ≥ 3). */
  validFraction?: number;
  testFraction?: number;
  /** espeak-ng processes run at once. Default 2. */
  concurrency?: number;
  /** The espeak-ng executable. Default "espeak-ng". */
  espeak?: string;
  log?: (line: string) => void;
}

/** One planned utterance; `path` is relative to the corpus folder. */
export interface Utterance {
  index: number;
  split: Split;
  path: string;
  text: string;
  /** espeak-ng voice, accent+variant, e.g. "en-gb+f3". */
  voice: string;
  speed: number;
  pitch: number;
  /** e.g. "pink@12.5dB", or "" for clean speech. */
  noise: string;
}

export interface SpeechCorpusResult {
  counts: Record<Split, number>;
  variants: Record<Split, string[]>;
  synthesized: number;
  reused: number;
}

export const SAMPLE_RATE = 16000;

// ---- Voices and the plan ----

/**
 * Variants held out of training, chosen by hand so each split mixes low and high voices (female, male and
 * Klatt-synthesised variants); every other variant is for training. A "voice" is accent+variant: the accents are
 * shared, the variant (pitch range and formants, the speaker's timbre) is what is held out.
 */
export const HELD_OUT_VARIANTS: Record<"valid" | "test", readonly string[]> = {
  valid: ["f4", "belinda", "m6", "klatt2", "Marco", "quincy"],
  test: ["f2", "Annie", "linda", "m3", "klatt4", "Hugo", "david", "norbert", "edward"],
};

/** Splits the available variants into disjoint train/valid/test sets (HELD_OUT_VARIANTS; the rest train). */
export function splitVariants(available: readonly string[]): Record<Split, string[]> {
  const split: Record<Split, string[]> = {
    train: available.filter(
      (v) => !HELD_OUT_VARIANTS.valid.includes(v) && !HELD_OUT_VARIANTS.test.includes(v),
    ),
    valid: HELD_OUT_VARIANTS.valid.filter((v) => available.includes(v)),
    test: HELD_OUT_VARIANTS.test.filter((v) => available.includes(v)),
  };
  for (const name of SPLITS) {
    if (split[name].length === 0) {
      throw new Error(`espeak-ng has none of the voice variants for the ${name} split`);
    }
  }
  return split;
}

function splitSizes(count: number, validFraction: number, testFraction: number): Record<Split, number> {
  const atLeastOne = (fraction: number) =>
    fraction > 0 && count >= 3 ? Math.max(1, Math.round(count * fraction)) : Math.round(count * fraction);
  const test = atLeastOne(testFraction);
  const valid = atLeastOne(validFraction);
  if (test + valid >= count && count > 0) throw new Error(`--count ${count} leaves no training utterances`);
  return { train: count - valid - test, valid, test };
}

function noiseLabel(rng: Rng, options: SpeechCorpusOptions): string {
  if (rng.next() >= (options.noise ?? 0)) return "";
  const [lo, hi] = options.snrDb ?? [5, 25];
  const snr = lo + (hi - lo) * rng.next();
  return `${rng.pick(NOISE_KINDS)}@${snr.toFixed(1)}dB`;
}

/** The whole corpus as a pure function of the options, the user texts and the voices: equal inputs, equal plan. */
export function planSpeechCorpus(
  options: SpeechCorpusOptions,
  userTexts: readonly string[],
  accents: readonly string[],
  variants: Record<Split, string[]>,
): Utterance[] {
  const builtin = options.builtinFraction ?? (userTexts.length > 0 ? 0 : 1);
  if (builtin < 1 && userTexts.length === 0) {
    throw new Error("builtinFraction < 1 needs texts from a texts file");
  }
  const sizes = splitSizes(options.count, options.validFraction ?? 0.05, options.testFraction ?? 0.05);
  const plan: Utterance[] = [];
  for (let index = 0; index < options.count; index++) {
    const split: Split = index < sizes.train ? "train" : index < sizes.train + sizes.valid ? "valid" : "test";
    const rng = new Rng(mixSeed(options.seed, index));
    const text = rng.next() < builtin ? generateText(rng) : rng.pick(userTexts);
    const voice = `${rng.pick(accents)}+${rng.pick(variants[split])}`;
    const speed = rng.range(120, 220);
    const pitch = rng.range(20, 80);
    const noise = noiseLabel(rng, options);
    plan.push({
      index,
      split,
      path: `wav/${split}/${String(index).padStart(6, "0")}.wav`,
      text,
      voice,
      speed,
      pitch,
      noise,
    });
  }
  return plan;
}

// ---- espeak-ng ----

/** espeak-ng is not installed (or not where `espeak` points). */
export class EspeakMissingError extends Error {
  constructor(bin: string) {
    super(
      `"${bin}" was not found: speech synthesis needs espeak-ng (Debian/Ubuntu: apt-get install espeak-ng)`,
    );
    this.name = "EspeakMissingError";
  }
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") reject(new EspeakMissingError(bin));
      else if (error) reject(new Error(`${bin} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** The installed English accents and variants that the curated lists name (throws EspeakMissingError). */
export async function listEspeakVoices(
  bin = "espeak-ng",
): Promise<{ version: string; accents: string[]; variants: string[] }> {
  const version = (await run(bin, ["--version"])).trim();
  const english = await run(bin, ["--voices=en"]);
  const installed = new Set(english.split("\n").map((line) => line.trim().split(/\s+/)[1] ?? ""));
  const variantFiles = new Set(
    [...(await run(bin, ["--voices=variant"])).matchAll(/!v\/(\S+)/g)].map((m) => m[1]!),
  );
  return {
    version,
    accents: ENGLISH_ACCENTS.filter((a) => installed.has(a)),
    variants: VOICE_VARIANTS.filter((v) => variantFiles.has(v) || variantFiles.has(v.toLowerCase())),
  };
}

/** Runs espeak-ng on `text` (via stdin) and returns its WAV bytes. */
async function speak(bin: string, u: Utterance, tmpFile: string): Promise<Uint8Array> {
  const args = ["-v", u.voice, "-s", String(u.speed), "-p", String(u.pitch), "-w", tmpFile, "--stdin"];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "ENOENT" ? new EspeakMissingError(bin) : error),
    );
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${bin} ${args.join(" ")} exited with ${code}: ${stderr.trim()}`)),
    );
    child.stdin.end(u.text);
  });
  try {
    return await readFile(tmpFile);
  } finally {
    await rm(tmpFile, { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Synthesizes one utterance unless its WAV file already exists (files are written atomically, so it is whole). */
async function synthesizeOne(u: Utterance, options: SpeechCorpusOptions): Promise<boolean> {
  const target = path.join(options.out, u.path);
  if (await exists(target)) return false;
  const tmp = path.join(options.out, ".tmp", `${u.index}-${randomBytes(4).toString("hex")}.wav`);
  const wav = decodeWav(
    await speak(options.espeak ?? "espeak-ng", u, tmp),
    `espeak-ng output for utterance ${u.index}`,
  );
  let samples = resample(wav.samples, wav.sampleRate, SAMPLE_RATE);
  const noise = /^(\w+)@([\d.-]+)dB$/.exec(u.noise);
  if (noise) {
    const rng = new Rng(mixSeed(options.seed, u.index, 1));
    samples = mixAtSnr(samples, makeNoise(noise[1] as NoiseKind, samples.length, rng), Number(noise[2]));
  }
  await writeWav(target, samples, SAMPLE_RATE);
  return true;
}

// ---- The corpus folder ----

/** The non-blank lines of a UTF-8 text file, whitespace collapsed (tabs would break the TSV manifest). */
export async function readTextLines(file: string): Promise<string[]> {
  if (!(await exists(file))) throw new Error(`texts file "${file}": no such file`);
  const texts: string[] = [];
  for await (const raw of readLines(file)) {
    const text = raw.replace(/\s+/g, " ").trim();
    if (text) texts.push(text);
  }
  if (texts.length === 0) throw new Error(`texts file "${file}" has no non-blank lines`);
  return texts;
}

const MANIFEST_HEADER = "path\ttext\tvoice\tspeed\tpitch\tnoise";

/** Checks that an existing corpus.json in the folder was made with the same settings, so reused files fit the plan. */
async function checkSettings(file: string, settings: Record<string, unknown>): Promise<void> {
  if (!(await exists(file))) return;
  const previous = JSON.parse(await readFile(file, "utf8")) as { settings?: Record<string, unknown> };
  for (const [key, value] of Object.entries(settings)) {
    const before = previous.settings?.[key];
    if (JSON.stringify(before) !== JSON.stringify(value)) {
      throw new Error(
        `${path.dirname(file)} holds a corpus made with other settings (${key}: ${JSON.stringify(before)}, now ${JSON.stringify(value)}); use another --out folder or delete it`,
      );
    }
  }
}

async function runPool<T>(
  items: readonly T[],
  workers: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
}

function checkFraction(value: number | undefined, key: string): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) {
    throw new Error(`${key} must be between 0 and 1, got ${value}`);
  }
}

/** Rejects option values that make no corpus, naming the option. */
function checkOptions(options: SpeechCorpusOptions): void {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new Error(`count must be a positive integer, got ${options.count}`);
  }
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  for (const key of ["noise", "builtinFraction", "validFraction", "testFraction"] as const) {
    checkFraction(options[key], key);
  }
  const [lo, hi] = options.snrDb ?? [5, 25];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new Error(`snrDb must be a range [low, high] in dB, got [${lo}, ${hi}]`);
  }
  const jobs = options.concurrency ?? 2;
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`concurrency must be a positive integer, got ${jobs}`);
}

async function writeManifests(out: string, plan: readonly Utterance[]): Promise<Record<Split, number>> {
  const counts = { train: 0, valid: 0, test: 0 };
  for (const split of SPLITS) {
    const rows = plan.filter((u) => u.split === split);
    counts[split] = rows.length;
    const lines = rows.map((u) => [u.path, u.text, u.voice, u.speed, u.pitch, u.noise].join("\t"));
    await writeFileAtomic(path.join(out, `${split}.tsv`), `${[MANIFEST_HEADER, ...lines].join("\n")}\n`);
  }
  return counts;
}

/**
 * Synthesizes the corpus into `options.out`: wav/<split>/<index>.wav (16 kHz mono 16-bit), <split>.tsv manifests
 * (header: path, text, voice, speed, pitch, noise) and corpus.json. Voice variants are disjoint across splits.
 * Resumable: files already present are kept (every file is written atomically and the plan is deterministic);
 * a folder made with other settings is refused.
 */
export async function synthesizeSpeechCorpus(options: SpeechCorpusOptions): Promise<SpeechCorpusResult> {
  checkOptions(options);
  const userTexts = options.textsFile ? await readTextLines(options.textsFile) : [];
  const voices = await listEspeakVoices(options.espeak);
  if (voices.accents.length === 0) {
    throw new Error(`${voices.version} has none of the English voices ${ENGLISH_ACCENTS.join(", ")}`);
  }
  const variants = splitVariants(voices.variants);
  const plan = planSpeechCorpus(options, userTexts, voices.accents, variants);
  const settings = {
    count: options.count,
    seed: options.seed,
    noise: options.noise ?? 0,
    snrDb: options.snrDb ?? [5, 25],
    builtinFraction: options.builtinFraction ?? (userTexts.length > 0 ? 0 : 1),
    validFraction: options.validFraction ?? 0.05,
    testFraction: options.testFraction ?? 0.05,
    textsHash: fnv1a32(userTexts.join("\n")),
    accents: voices.accents,
    variants,
  };
  const out = path.resolve(options.out);
  await mkdir(path.join(out, ".tmp"), { recursive: true });
  await checkSettings(path.join(out, "corpus.json"), settings);
  await writeJsonAtomic(path.join(out, "corpus.json"), {
    espeak: voices.version,
    sampleRate: SAMPLE_RATE,
    settings,
  });
  for (const split of SPLITS) await mkdir(path.join(out, "wav", split), { recursive: true });
  let [done, synthesized] = [0, 0];
  await runPool(plan, options.concurrency ?? 2, async (u) => {
    if (await synthesizeOne(u, { ...options, out })) synthesized++;
    done++;
    if (done % 500 === 0 || done === plan.length) options.log?.(`${done}/${plan.length} utterances`);
  });
  const counts = await writeManifests(out, plan);
  await rm(path.join(out, ".tmp"), { recursive: true, force: true });
  return { counts, variants, synthesized, reused: plan.length - synthesized };
}

/** One manifest row with `audio` resolved to an absolute path. */
export interface SpeechExample {
  audio: string;
  text: string;
  voice: string;
}

/** Reads a <split>.tsv manifest; audio paths are resolved against the manifest's folder. Errors name file and line. */
export async function readSpeechManifest(file: string): Promise<SpeechExample[]> {
  if (!(await exists(file))) throw new Error(`manifest "${file}": no such file`);
  const examples: SpeechExample[] = [];
  let line = 0;
  for await (const raw of readLines(file)) {
    line++;
    if (line === 1 && raw.startsWith("path\t")) continue;
    if (raw === "") continue;
    const [audio, text, voice] = raw.split("\t");
    if (!audio || text === undefined) {
      throw new DataFileError(file, line, "expected at least 2 tab-separated columns (path, text)");
    }
    examples.push({ audio: path.resolve(path.dirname(file), audio), text, voice: voice ?? "" });
  }
  return examples;
}
