// `npm run bench:g2p -- --minutes 60`: trains configs/transformer-g2p-cmudict.yaml on CMUdict (train.tsv) within a
// time budget, then scores ALL of dev.tsv with greedy and beam-5 decoding as the G2P literature does: a word is
// right when the output equals any of its pronunciations (WER), PER against the closest one. It also scores how
// well the model fits its own training words (greedy, --train-words of train.tsv, evenly spaced), which tells
// underfitting from a generalization gap. Writes <out>/bench-results.json and prints Markdown rows for BENCHMARKS.md.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { readTsv, referencesBySource } from "../src/data/parallel.ts";
import { loadTranslator, type Translator } from "../src/decode/translate.ts";
import { writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { type G2pScore, g2pScore } from "../src/metrics/g2p.ts";
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
async function score(translator: Translator) {
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
    await writeJsonAtomic(join(out, `dev.${beam === 1 ? "greedy" : `beam${beam}`}.json`), {
      hypotheses: hyps,
      errors,
    });
  }
  return { rows, parameters: translator.loaded.model.parameterCount(), words: words.length };
}

function markdown(s: ReturnType<typeof trainingFigures> & Awaited<ReturnType<typeof score>>): string {
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

async function main(): Promise<void> {
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new Error(`--minutes must be > 0, got "${flags.minutes}"`);
  if (!Number.isInteger(trainWordCount) || trainWordCount < 0)
    throw new Error(`--train-words must be an integer >= 0, got "${flags["train-words"]}"`);
  if (!existsSync(devPath)) {
    console.log(`CMUdict not found at ${devPath}: skipped (see ../shared/data/README.md)`);
    return;
  }
  const config = resolveRunConfig(
    [loadConfigFile(flags.config!)],
    ["--train.maxSeconds", String(minutes * 60), ...overrides],
  );
  const trainStart = performance.now();
  const result = await trainOrResume(config, out, flags["skip-train"]!);
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const model = chooseModel(out, result);
  console.log(`\nscoring ${model.dir} (${model.which}) on ${devPath}`);
  const translator = await loadTranslator(model.dir);
  const scores = await score(translator);
  const trainFit = trainWordCount > 0 ? await fit(translator, trainWordCount) : undefined;
  await translator.release();
  const summary = {
    config: flags.config,
    model: model.which,
    parameters: scores.parameters,
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
