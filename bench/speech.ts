// `npm run bench:speech`: speech recognition on a synthesized corpus. espeak-ng reads ≈ 20k built-in texts in
// many voices; a small Whisper-style model and the no-attention GRU baseline each train for a time budget on
// 2 cores; both are scored (CER, WER) on the test split, whose voices never occur in training.
//
//   npx tsx bench/speech.ts [--count 20000] [--seed 1] [--minutes 60] [--rnn-minutes 60] [--skip-rnn]
//     [--skip-whisper] [--noise 0] [--batch-frames 24000] [--lr 1e-3] [--warmup 150]
//     [--whisper '{"dModel":256}'] [--rnn '{"hiddenDim":256}']
//     [--schedule cosine|noam] [--steps N] [--rnn-steps N] [--freq-warp 0.1] [--masks 0] [--beam 5]
//     [--eval-max N] [--corpus .bench/speech-corpus] [--out .bench/speech-run]
//
// --schedule cosine (default): warm-up then half-cosine decay to zero — at --steps (--rnn-steps for the GRU), or
// at the end of the time budget when that comes first (the decay follows the clock, so it ends annealed on any
// machine); each run stops at its budget. --schedule noam: warm-up then inverse square root, stopped by the time budget.
// --freq-warp: VTLP on the training features (src/audio/spec-augment.ts), α ~ U[1 − w, 1 + w] (0 = off).
// --masks: SpecAugment's frequency masks and time masks (each that many; 0 = none). Dropout is 0 unless --whisper
// or --rnn set it. Each model is scored with greedy decoding and, unless --beam is 1, with a beam of that size
// too. The defaults are the recipe measured best (BENCHMARKS.md, 2026-11-27: 1.72% CER with beam 5); the first
// run's was --schedule noam --masks 2 --freq-warp 0 with dropout 0.1.

import { existsSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LogMel } from "../src/audio/mel.ts";
import { readSpeechManifest, type SpeechExample, synthesizeSpeechCorpus } from "../src/data/speech-corpus.ts";
import { type FeaturedExample, loadSpeechFeatures } from "../src/data/speech-dataset.ts";
import { loadTranscriber } from "../src/decode/transcribe.ts";
import { corpusCer, corpusWer } from "../src/metrics/edit-distance.ts";
import { saveModelFolder } from "../src/models/folder.ts";
import type { ModelConfig } from "../src/models/registry.ts";
import { encoderSteps } from "../src/models/speech-rnn.ts";
import { trainCharTokenizer } from "../src/tokenize/simple-tokenizers.ts";
import type { Tokenizer } from "../src/tokenize/tokenizer.ts";
import { jointPair } from "../src/tokenize/tokenizer-pair.ts";
import { DEFAULT_SCHEDULE_CONFIG, makeSchedule } from "../src/train/schedules.ts";
import { trainSpeech } from "../src/train/speech-train.ts";

const { values: flags } = parseArgs({
  options: {
    count: { type: "string", default: "20000" },
    seed: { type: "string", default: "1" },
    minutes: { type: "string", default: "60" },
    "rnn-minutes": { type: "string", default: "60" },
    "skip-rnn": { type: "boolean", default: false },
    "skip-whisper": { type: "boolean", default: false },
    noise: { type: "string", default: "0" },
    corpus: { type: "string", default: ".bench/speech-corpus" },
    out: { type: "string", default: ".bench/speech-run" },
    "eval-max": { type: "string", default: "0" },
    "batch-frames": { type: "string", default: "24000" },
    lr: { type: "string", default: "1e-3" },
    warmup: { type: "string", default: "150" }, // a 60-minute run makes ≈ 2,000 steps
    schedule: { type: "string", default: "cosine" },
    steps: { type: "string", default: "0" },
    "rnn-steps": { type: "string", default: "0" },
    "freq-warp": { type: "string", default: "0.1" },
    masks: { type: "string", default: "0" },
    beam: { type: "string", default: "5" },
    whisper: { type: "string", default: "{}" },
    rnn: { type: "string", default: "{}" },
  },
});
const SEED = Number(flags.seed);
if (flags.schedule !== "noam" && flags.schedule !== "cosine")
  throw new Error(`--schedule: expected noam or cosine, got ${JSON.stringify(flags.schedule)}`);
for (const name of ["steps", "rnn-steps"] as const) {
  const n = Number(flags[name]);
  if (!(Number.isInteger(n) && (n === 0 || n > Number(flags.warmup))))
    throw new Error(
      `--${name}: expected more steps than the ${flags.warmup} warm-up steps, got ${flags[name]}`,
    );
}
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Features of one split, computed once and cached next to the corpus (float32 file + JSON index). */
async function splitFeatures(corpus: string, split: string): Promise<FeaturedExample[]> {
  const examples = await readSpeechManifest(join(corpus, `${split}.tsv`));
  const [bin, index] = [join(corpus, "features", `${split}.f32`), join(corpus, "features", `${split}.json`)];
  if (existsSync(bin) && existsSync(index)) {
    const frames = JSON.parse(await readFile(index, "utf8")) as number[];
    if (frames.length === examples.length) {
      const bytes = await readFile(bin);
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
      const all = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
      let offset = 0;
      return examples.map((e, i) => {
        const nFrames = frames[i]!;
        const features: LogMel = { nMels: 80, nFrames, data: all.subarray(offset, offset + 80 * nFrames) };
        offset += 80 * nFrames;
        return { ...e, features };
      });
    }
  }
  const started = performance.now();
  const featured = await loadSpeechFeatures(examples, { log });
  log(
    `${split}: features of ${examples.length} utterances in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  await mkdir(join(corpus, "features"), { recursive: true });
  await writeFile(
    bin,
    Buffer.concat(
      featured.map((e) =>
        Buffer.from(e.features.data.buffer, e.features.data.byteOffset, e.features.data.byteLength),
      ),
    ),
  );
  await writeFile(index, JSON.stringify(featured.map((e) => e.features.nFrames)));
  return featured;
}

/** The Whisper-style model (≈ 3M parameters) and the GRU baseline, sized to the corpus's longest utterance. */
function modelConfigs(maxFrames: number, maxChars: number): Record<string, ModelConfig> {
  const frames = 4 * Math.ceil(maxFrames / 4);
  return {
    whisper: {
      architecture: "whisper",
      dModel: 192,
      heads: 4,
      ffDim: 768,
      encoderLayers: 4,
      decoderLayers: 2,
      conv1Stride: 2, // 40 ms per encoder position: half the encoder cost of Whisper's 20 ms
      maxSourcePositions: frames / 4,
      maxTargetPositions: maxChars + 2,
      dropout: 0,
      ...JSON.parse(flags.whisper),
    },
    "speech-gru": {
      architecture: "speech-gru",
      convDim: 256,
      hiddenDim: 512,
      embeddingDim: 64,
      readoutDim: 256,
      maxFrames: frames,
      maxTargetLength: maxChars + 2,
      convLayers: 3,
      lengthBuckets: Math.min(4, encoderSteps(frames, 3)),
      dropout: 0,
      ...JSON.parse(flags.rnn),
    },
  };
}

/**
 * Linear warm-up to --lr over --warmup steps, then half-cosine decay to zero: at `steps` steps when given (> 0),
 * or at the end of the time budget when that comes first (the library's cosine schedule follows the clock
 * through the fraction of the budget spent, src/train/schedules.ts).
 */
function cosineLr(steps: number): (step: number, timeDone?: number) => number {
  const totalSteps = steps > 0 ? steps : Number.MAX_SAFE_INTEGER;
  const cosine = { warmupSteps: Number(flags.warmup), totalSteps, minLr: 0 };
  const schedule = makeSchedule({ ...DEFAULT_SCHEDULE_CONFIG, kind: "cosine", lr: Number(flags.lr), cosine });
  return (step, timeDone) => schedule.lrAt(step, timeDone);
}

interface Score {
  model: string;
  parameters: number;
  steps: number;
  trainMinutes: number;
  finalLoss: number;
  /** Greedy decoding. */
  cer: number;
  wer: number;
  /** Beam search (--beam), when its size is above 1. */
  beam?: { size: number; cer: number; wer: number; decodeSeconds: number };
  testUtterances: number;
  decodeSeconds: number;
  examples: Array<{ reference: string; hypothesis: string; voice: string }>;
}

async function trainAndScore(
  name: string,
  config: ModelConfig,
  budget: { minutes: number; steps: number },
  data: { train: FeaturedExample[]; test: SpeechExample[] },
  tokenizer: Tokenizer,
): Promise<Score> {
  const { minutes, steps } = budget;
  const cosine = flags.schedule === "cosine";
  log(
    `${name}: training for ${minutes} min${cosine && steps > 0 ? ` or ${steps} steps` : ""} (${flags.schedule}) on ${data.train.length} utterances`,
  );
  const result = await trainSpeech({
    model: config,
    examples: data.train,
    tokenizer,
    steps: cosine && steps > 0 ? steps : Number.MAX_SAFE_INTEGER,
    maxSeconds: minutes * 60,
    lr: Number(flags.lr),
    warmupSteps: Number(flags.warmup),
    lrAt: cosine ? cosineLr(steps) : undefined,
    batchFrames: Number(flags["batch-frames"]),
    specAugment: {
      freqMasks: Number(flags.masks),
      freqWidth: 10,
      timeMasks: Number(flags.masks),
      timeWidth: 20,
      maxTimeFraction: 0.2,
      freqWarp: Number(flags["freq-warp"]),
    },
    labelSmoothing: 0.1,
    seed: SEED,
    log: (line) => log(`${name}: ${line}`),
  });
  const dir = join(flags.out, name);
  await saveModelFolder(dir, { ...result, tokenizers: jointPair(tokenizer) });
  const transcriber = await loadTranscriber(dir, { threads: 2 });
  const refs = [data.test.map((e) => e.text)];
  /** Transcribes the test clips with a beam of `size` (1: greedy), writes the hypotheses and scores them. */
  const score = async (size: number) => {
    const started = performance.now();
    const transcripts = await transcriber.transcribeFiles(
      data.test.map((e) => e.audio),
      { batchSize: 32, beam: size },
    );
    const decodeSeconds = (performance.now() - started) / 1000;
    const hyps = transcripts.map((t) => t.text);
    const [cer, wer] = [corpusCer(hyps, refs).score, corpusWer(hyps, refs).score];
    const how = size === 1 ? "greedy" : `beam ${size}`;
    log(`${name}: test CER ${cer.toFixed(2)}%, WER ${wer.toFixed(2)}% (${how}) after ${result.steps} steps`);
    const file = size === 1 ? "test-hypotheses.txt" : `test-hypotheses-beam${size}.txt`;
    await writeFile(join(dir, file), `${hyps.join("\n")}\n`);
    return { hyps, cer, wer, decodeSeconds };
  };
  const { hyps, cer, wer, decodeSeconds } = await score(1);
  const size = Number(flags.beam);
  const beam = size > 1 ? { size, ...(await score(size)) } : undefined;
  await transcriber.release();
  return {
    model: name,
    parameters: result.model.parameterCount(),
    steps: result.steps,
    trainMinutes: result.seconds / 60,
    finalLoss: result.loss,
    cer,
    wer,
    beam: beam && { size, cer: beam.cer, wer: beam.wer, decodeSeconds: beam.decodeSeconds },
    testUtterances: data.test.length,
    decodeSeconds,
    examples: data.test
      .slice(0, 8)
      .map((e, i) => ({ reference: e.text, hypothesis: hyps[i]!, voice: e.voice })),
  };
}

/** The most feature frames of any utterance in any split (16-bit mono 16 kHz files: 32 bytes per frame). */
async function longestFrames(corpus: string): Promise<number> {
  let most = 0;
  for (const split of ["train", "valid", "test"]) {
    for (const e of await readSpeechManifest(join(corpus, `${split}.tsv`)))
      most = Math.max(most, Math.floor(((await stat(e.audio)).size - 44) / 2 / 160));
  }
  return most;
}

async function main(): Promise<void> {
  const count = Number(flags.count);
  log(`corpus: ${count} utterances in ${flags.corpus} (espeak-ng; resumable)`);
  const made = await synthesizeSpeechCorpus({
    out: flags.corpus,
    count,
    seed: SEED,
    noise: Number(flags.noise),
    log,
  });
  log(`splits ${JSON.stringify(made.counts)}; test voices ${made.variants.test.join(", ")}`);
  const train = await splitFeatures(flags.corpus, "train");
  let test = await readSpeechManifest(join(flags.corpus, "test.tsv"));
  if (Number(flags["eval-max"]) > 0) test = test.slice(0, Number(flags["eval-max"]));
  const tokenizer = trainCharTokenizer(train.map((e) => e.text));
  const maxFrames = await longestFrames(flags.corpus); // every split's, so no test clip is too long
  const maxChars = Math.max(...train.map((e) => tokenizer.encode(e.text).length)) + 10;
  const configs = modelConfigs(maxFrames, maxChars);
  await mkdir(flags.out, { recursive: true });
  const scores: Score[] = [];
  if (!flags["skip-whisper"]) {
    scores.push(
      await trainAndScore(
        "whisper",
        configs.whisper!,
        { minutes: Number(flags.minutes), steps: Number(flags.steps) },
        { train, test },
        tokenizer,
      ),
    );
  }
  if (!flags["skip-rnn"]) {
    const rnn = configs["speech-gru"]!;
    scores.push(
      await trainAndScore(
        "speech-gru",
        rnn,
        { minutes: Number(flags["rnn-minutes"]), steps: Number(flags["rnn-steps"]) },
        { train, test },
        tokenizer,
      ),
    );
  }
  console.log(
    "\nmodel        params   steps  train min  loss    CER %   WER %   beam CER %  WER %   (test: held-out voices)",
  );
  for (const s of scores)
    console.log(
      `${s.model.padEnd(11)} ${(s.parameters / 1e6).toFixed(2).padStart(6)}M ${String(s.steps).padStart(7)} ${s.trainMinutes.toFixed(1).padStart(10)} ${s.finalLoss.toFixed(3).padStart(6)} ${s.cer.toFixed(2).padStart(7)} ${s.wer.toFixed(2).padStart(7)} ${(s.beam?.cer.toFixed(2) ?? "-").padStart(11)} ${(s.beam?.wer.toFixed(2) ?? "-").padStart(6)}`,
    );
  await writeFile(
    join(flags.out, "results.json"),
    `${JSON.stringify({ count, seed: SEED, scores }, null, 2)}\n`,
  );
  log(`results: ${join(flags.out, "results.json")}`);
}

await main();
