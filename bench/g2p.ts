// `npm run bench:g2p -- --minutes 60`: trains configs/transformer-g2p-cmudict.yaml on CMUdict (train.tsv) within a
// time budget, then scores ALL of dev.tsv with greedy and beam-5 decoding as the G2P literature does: a word is
// right when the output equals any of its pronunciations (WER), PER against the closest one. It also scores how
// well the model fits its own training words (greedy, --train-words of train.tsv, evenly spaced), which tells
// underfitting from a generalization gap. Writes <out>/bench-results.json and prints Markdown rows for BENCHMARKS.md.
// `--members N` trains N models side by side within the same budget instead (child processes, one ONNX Runtime
// thread and seed i each, into <out>/member-i) and scores each member and their ensemble (src/decode/ensemble.ts).
// `--right-to-left K` makes the last K members right-to-left models (data.reverseTarget); the ensemble then
// reranks the candidates of both directions (src/decode/bidirectional.ts), and a joint-sequence n-gram model
// (src/models/joint-sequence.ts, trained first on train.tsv, its time taken from the members' budget) joins
// them with --joint-sequence-weight (0: not trained, not used). Both ensembles are scored: with and without it.

import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { readTsv, referencesBySource } from "../src/data/parallel.ts";
import { loadTranslator, type Translator } from "../src/decode/translate.ts";
import { writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { type G2pScore, g2pScore } from "../src/metrics/g2p.ts";
import {
  type JointSequenceModel,
  loadJointSequence,
  saveJointSequence,
  trainJointSequenceOnTsv,
} from "../src/models/joint-sequence.ts";
import { resolveRunConfig } from "../src/train/train-config.ts";
import { chooseModel, peakRssMb, splitOverrides, trainingFigures, trainOrResume } from "./run-helpers.ts";

// Arguments after a lone `--` are config overrides, e.g. `-- --train.validMaxExamples 200`.
const { flags: args, overrides } = splitOverrides(process.argv.slice(2));
const { values: flags } = parseArgs({
  args,
  options: {
    minutes: { type: "string", default: "60" },
    out: { type: "string", default: "runs/g2p-cmudict" },
    config: { type: "string", default: "configs/transformer-g2p-cmudict.yaml" },
    "skip-train": { type: "boolean", default: false },
    "dev-limit": { type: "string", default: "0" },
    "train-words": { type: "string", default: "2000" },
    members: { type: "string", default: "1" },
    "right-to-left": { type: "string", default: "0" },
    "train-only": { type: "boolean", default: false },
    "joint-sequence-weight": { type: "string", default: "0.5" },
    "joint-sequence-order": { type: "string", default: "6" },
  },
});
const minutes = Number(flags.minutes);
const out = resolve(flags.out!);
const devPath = resolve("../shared/data/cmudict/dev.tsv");
const trainPath = resolve("../shared/data/cmudict/train.tsv");
/** Score only the first N dev words (0 = all 5,342): for smoke runs. */
const devLimit = Number(flags["dev-limit"]);
/** Training words scored for fit (0 = none): every (words / N)-th word of train.tsv, in file order. */
const trainWordCount = Number(flags["train-words"]);
/** Models trained side by side and decoded as an ensemble (1: one model on every thread). */
const memberCount = Number(flags.members);
/** How many of the members (the last ones) write right to left (data.reverseTarget): they rerank with the others. */
const rightToLeftCount = Number(flags["right-to-left"]);
/** The weight of the joint-sequence n-gram model in reranking a pair's candidates (0 = none). */
const jointSequenceWeight = Number(flags["joint-sequence-weight"]);
const jointSequenceOrder = Number(flags["joint-sequence-order"]);
/** Whether member i (0-based) writes right to left. */
const isRightToLeft = (i: number): boolean => i >= memberCount - rightToLeftCount;

interface Words {
  words: string[];
  /** Every pronunciation of each word. */
  pronunciations: string[][];
}

/** The words `pick` keeps of a CMUdict TSV file's words (in file order), with all their pronunciations. */
async function readWords(path: string, pick: (all: string[]) => string[]): Promise<Words> {
  const refs = referencesBySource((await readTsv(path)).examples);
  const words = pick([...refs.keys()]);
  return { words, pronunciations: words.map((w) => refs.get(w)!) };
}

/** Every dev word (or the first --dev-limit). */
function devWords(): Promise<Words> {
  return readWords(devPath, (all) => all.slice(0, devLimit || undefined));
}

/** `count` training words spread evenly over train.tsv. */
function trainWords(count: number): Promise<Words> {
  return readWords(trainPath, (all) => {
    const stride = Math.max(1, Math.floor(all.length / count));
    return all.filter((_, i) => i % stride === 0).slice(0, count);
  });
}

/** WER and PER in percent, to two decimals, as the results file and the tables give them. */
function rates(s: G2pScore): { wer: number; per: number } {
  return { wer: Number(s.wordErrorRate.toFixed(2)), per: Number(s.phonemeErrorRate.toFixed(2)) };
}

/** Decodes `words` with a beam of `beam` (1 = greedy) and scores the outputs against every pronunciation. */
async function decodeAndScore(translator: Translator, { words, pronunciations }: Words, beam: number) {
  const hyps = (await translator.translate(words, { beam, nbest: 1, batchSize: 128 })).map((t) => t.text);
  return { hyps, score: g2pScore(hyps, pronunciations) };
}

/** Greedy WER / PER of the model on training words: how well it fits what it trained on. */
async function fit(translator: Translator, count: number) {
  const { score: s } = await decodeAndScore(translator, await trainWords(count), 1);
  return { ...rates(s), words: s.words };
}

/** Greedy and beam-5 WER / PER of the model on the dev words. */
async function score(translator: Translator, prefix = "dev") {
  const dev = await devWords();
  const { words, pronunciations } = dev;
  const rows: Record<string, number | string>[] = [];
  for (const beam of [1, 5]) {
    const start = performance.now();
    const { hyps, score: s } = await decodeAndScore(translator, dev, beam);
    const seconds = (performance.now() - start) / 1000;
    rows.push({
      decoding: beam === 1 ? "greedy" : `beam ${beam}`,
      ...rates(s),
      wrongWords: s.wrongWords,
      words: s.words,
      decodeSeconds: Number(seconds.toFixed(1)),
    });
    const errors = words.flatMap((word, i) =>
      pronunciations[i]!.includes(hyps[i]!) ? [] : [{ word, output: hyps[i], references: pronunciations[i] }],
    );
    await writeJsonAtomic(join(out, `${prefix}.${beam === 1 ? "greedy" : `beam${beam}`}.json`), {
      hypotheses: hyps,
      errors,
    });
  }
  return { rows, words: words.length };
}

type Scores = Awaited<ReturnType<typeof score>>;

function markdown(s: ReturnType<typeof trainingFigures> & Scores & { parameters: number }): string {
  return [
    "| decoding | dev WER | dev PER | parameters | steps (epochs started) | training | tokens/s | decode time |",
    "|---|---|---|---|---|---|---|---|",
    ...s.rows.map(
      (r) =>
        `| ${r["decoding"]} | ${r["wer"]}% | ${r["per"]}% | ${s.parameters.toLocaleString("en")} | ${s.steps} (${s.epochsStarted}) | ` +
        `${(s.trainingSeconds / 60).toFixed(1)} min | ${s.tokensPerSecond} | ${r["decodeSeconds"]} s, ${s.words} words |`,
    ),
  ].join("\n");
}

/** The run config of one model: the bench's config file, its time budget and the overrides. */
function runConfig(extra: readonly string[] = []) {
  return resolveRunConfig(
    [loadConfigFile(flags.config!)],
    ["--train.maxSeconds", String(minutes * 60), ...overrides, ...extra],
  );
}

/** Trains `count` members side by side for `memberMinutes`: this script again per member (--train-only), one thread, seed i. */
async function trainMembers(count: number, memberMinutes: number): Promise<string[]> {
  const dirs = Array.from({ length: count }, (_, i) => join(out, `member-${i + 1}`));
  mkdirSync(out, { recursive: true });
  const exits = dirs.map((dir, i) => {
    const log = join(out, `member-${i + 1}.log`);
    const args = [
      ...process.execArgv,
      process.argv[1]!,
      ...["--minutes", String(memberMinutes), "--out", dir, "--config", flags.config!, "--train-only"],
      ...["--", ...overrides, "--train.threads", "1", "--train.seed", String(i + 1)],
      ...(isRightToLeft(i) ? ["--data.reverseTarget", "true"] : []),
    ];
    const direction = isRightToLeft(i) ? ", right to left" : "";
    console.log(`member ${i + 1}${direction}: training into ${dir} (output in ${log})`);
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const file = createWriteStream(log);
    child.stdout.pipe(file);
    child.stderr.pipe(file);
    return new Promise<number | null>((done) => child.on("close", done));
  });
  const codes = await Promise.all(exits);
  codes.forEach((code, i) => {
    if (code !== 0)
      throw new Error(`member ${i + 1} failed (exit ${code}): see ${join(out, `member-${i + 1}.log`)}`);
  });
  return dirs;
}

/**
 * The joint-sequence model of train.tsv (its file in <out>; read back with --skip-train) and how many seconds
 * its training took.
 */
async function jointSequence(): Promise<{ model: JointSequenceModel; trainingSeconds: number }> {
  const [path, timing] = [join(out, "joint-sequence.json"), join(out, "joint-sequence-training.json")];
  if (flags["skip-train"])
    return {
      model: loadJointSequence(path),
      ...(JSON.parse(readFileSync(timing, "utf8")) as { trainingSeconds: number }),
    };
  console.log(`training a joint-sequence ${jointSequenceOrder}-gram model on ${trainPath}`);
  const start = performance.now();
  const model = await trainJointSequenceOnTsv(trainPath, { order: jointSequenceOrder });
  const trainingSeconds = Number(((performance.now() - start) / 1000).toFixed(1));
  mkdirSync(out, { recursive: true });
  await saveJointSequence(path, model);
  await writeJsonAtomic(timing, { trainingSeconds });
  console.log(
    `  ${model.size.graphones} graphones over ${model.size.words} words in ${trainingSeconds} s: ${path}`,
  );
  return { model, trainingSeconds };
}

/** N members trained side by side, each scored alone, then their ensemble. */
async function ensembleMain(): Promise<void> {
  const ngram = rightToLeftCount > 0 && jointSequenceWeight > 0 ? await jointSequence() : undefined;
  const memberMinutes = minutes - (ngram?.trainingSeconds ?? 0) / 60;
  const memberDirs = flags["skip-train"]
    ? Array.from({ length: memberCount }, (_, i) => join(out, `member-${i + 1}`))
    : await trainMembers(memberCount, memberMinutes);
  const members = [];
  for (const [i, dir] of memberDirs.entries()) {
    const model = chooseModel(dir, undefined);
    const translator = await loadTranslator(model.dir);
    console.log(`\nscoring member ${i + 1}: ${model.dir} (${model.which})`);
    const parameters = translator.loaded.model.parameterCount();
    const scores = await score(translator, `member-${i + 1}.dev`);
    await translator.release();
    const recorded = JSON.parse(readFileSync(join(dir, "bench-results.json"), "utf8")) as {
      peakRssMb: number;
    };
    members.push({
      dir: model.dir,
      model: model.which,
      direction: isRightToLeft(i) ? "right to left" : "left to right",
      parameters,
      ...trainingFigures(dir, 0),
      peakRssMb: recorded.peakRssMb,
      results: scores.rows,
    });
  }
  console.log(`\nscoring the ensemble of ${members.length} on ${devPath}`);
  const translator = await loadTranslator(members.map((m) => m.dir));
  const scores = await score(translator);
  const trainFit = trainWordCount > 0 ? await fit(translator, trainWordCount) : undefined;
  await translator.release();
  let withNgram: Scores | undefined;
  if (ngram) {
    console.log(`\nscoring the ensemble with the joint-sequence model (weight ${jointSequenceWeight})`);
    const rerank = { jointSequence: ngram.model, weight: jointSequenceWeight };
    const reranked = await loadTranslator(
      members.map((m) => m.dir),
      {},
      rerank,
    );
    withNgram = await score(reranked, "dev.joint-sequence");
    await reranked.release();
  }
  const summary = {
    config: flags.config,
    members,
    parameters: members.reduce((n, m) => n + m.parameters, 0),
    results: scores.rows,
    ...(trainFit ? { trainFit } : {}),
    ...(ngram && withNgram
      ? {
          jointSequence: {
            order: ngram.model.order,
            weight: jointSequenceWeight,
            ...ngram.model.size,
            trainingSeconds: ngram.trainingSeconds,
            memberMinutes: Number(memberMinutes.toFixed(2)),
            results: withNgram.rows,
          },
        }
      : {}),
  };
  await writeJsonAtomic(join(out, "bench-results.json"), summary);
  console.log(JSON.stringify(summary, null, 2));
  console.log("\n| model | decoding | dev WER | dev PER | steps | tokens/s | peak RSS | decode time |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [i, m] of members.entries())
    for (const r of m.results)
      console.log(
        `| member ${i + 1} (${m.direction}, ${m.model}) | ${r["decoding"]} | ${r["wer"]}% | ${r["per"]}% | ${m.steps} | ${m.tokensPerSecond} | ${m.peakRssMb} MB | ${r["decodeSeconds"]} s |`,
      );
  for (const r of scores.rows)
    console.log(
      `| ensemble of ${members.length} | ${r["decoding"]} | ${r["wer"]}% | ${r["per"]}% | | | | ${r["decodeSeconds"]} s |`,
    );
  for (const r of withNgram?.rows ?? [])
    console.log(
      `| ensemble of ${members.length} + joint-sequence ${ngram!.model.order}-gram (weight ${jointSequenceWeight}, ${ngram!.trainingSeconds} s) | ${r["decoding"]} | ${r["wer"]}% | ${r["per"]}% | | | | ${r["decodeSeconds"]} s |`,
    );
  if (trainFit)
    console.log(
      `\nfit: greedy WER ${trainFit.wer}% / PER ${trainFit.per}% on ${trainFit.words} words of ${trainPath}`,
    );
  console.log(`\nwrote ${join(out, "bench-results.json")}`);
}

async function main(): Promise<void> {
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new Error(`--minutes must be > 0, got "${flags.minutes}"`);
  if (!Number.isInteger(trainWordCount) || trainWordCount < 0)
    throw new Error(`--train-words must be an integer >= 0, got "${flags["train-words"]}"`);
  if (!Number.isInteger(memberCount) || memberCount < 1)
    throw new Error(`--members must be an integer >= 1, got "${flags.members}"`);
  if (!Number.isInteger(rightToLeftCount) || rightToLeftCount < 0 || rightToLeftCount >= memberCount)
    throw new Error(
      `--right-to-left must be an integer from 0 to --members - 1 (${memberCount - 1}), got "${flags["right-to-left"]}"`,
    );
  if (!(jointSequenceWeight >= 0) || !Number.isInteger(jointSequenceOrder) || jointSequenceOrder < 1)
    throw new Error(
      `--joint-sequence-weight must be >= 0 and --joint-sequence-order an integer >= 1, got "${flags["joint-sequence-weight"]}", "${flags["joint-sequence-order"]}"`,
    );
  if (!existsSync(devPath)) {
    console.log(`CMUdict not found at ${devPath}: skipped (see ../shared/data/README.md)`);
    return;
  }
  runConfig(); // a bad override is an error before any member starts
  if (memberCount > 1) return ensembleMain();
  const config = runConfig();
  const trainStart = performance.now();
  const result = await trainOrResume(config, out, flags["skip-train"]!);
  const trainSeconds = (performance.now() - trainStart) / 1000;
  if (flags["train-only"]) {
    const summary = { config: flags.config, ...trainingFigures(out, trainSeconds), peakRssMb: peakRssMb() };
    await writeJsonAtomic(join(out, "bench-results.json"), summary);
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const model = chooseModel(out, result);
  console.log(`\nscoring ${model.dir} (${model.which}) on ${devPath}`);
  const translator = await loadTranslator(model.dir);
  const parameters = translator.loaded.model.parameterCount();
  const scores = await score(translator);
  const trainFit = trainWordCount > 0 ? await fit(translator, trainWordCount) : undefined;
  await translator.release();
  const summary = {
    config: flags.config,
    model: model.which,
    parameters,
    ...trainingFigures(out, trainSeconds),
    peakRssMb: peakRssMb(),
    results: scores.rows,
    ...(trainFit ? { trainFit } : {}),
  };
  await writeJsonAtomic(join(out, "bench-results.json"), summary);
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n${markdown({ ...summary, ...scores })}`);
  if (trainFit)
    console.log(
      `\nfit: greedy WER ${trainFit.wer}% / PER ${trainFit.per}% on ${trainFit.words} words of ${trainPath}`,
    );
  console.log(`\nwrote ${join(out, "bench-results.json")}`);
}

await main();
