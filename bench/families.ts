// `npx tsx bench/families.ts --task multi30k|g2p|tagging [--minutes 30]`: trains the parameter-matched
// encoder–decoder, decoder-only and encoder-only configs (configs/families/) for the same time each through
// the trainer the CLI uses, greedy-decodes the test set and writes a Markdown table (docs/three-families.md).

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { readTsv, referencesBySource } from "../src/data/parallel.ts";
import {
  type TaggerCoverage,
  type TaggerExample,
  taggerCoverage,
  taggerOracle,
  taggerView,
} from "../src/data/tagger-alignment.ts";
import { truecasePairs } from "../src/data/truecase-task.ts";
import { loadTranslator } from "../src/decode/translate.ts";
import { writeFileAtomic, writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { corpusBleu } from "../src/metrics/bleu.ts";
import { corpusChrf } from "../src/metrics/chrf.ts";
import { g2pScore } from "../src/metrics/g2p.ts";
import { buildModel, resolveModelConfig } from "../src/models/registry.ts";
import { SPECIAL_IDS } from "../src/tokenize/tokenizer.ts";
import type { TokenizerPair } from "../src/tokenize/tokenizer-pair.ts";
import { listCheckpoints } from "../src/train/checkpoint.ts";
import { consoleObserver, JsonlLog, type StepRecord } from "../src/train/progress.ts";
import { loadRunText } from "../src/train/run-data.ts";
import { hasCheckpoint, trainTokenizers } from "../src/train/run-setup.ts";
import { modelConfigFor, type RunConfig, resolveRunConfig } from "../src/train/train-config.ts";
import { train } from "../src/train/trainer.ts";

const FAMILIES = ["encdec", "deconly", "enconly"] as const;
type Family = (typeof FAMILIES)[number];
const FAMILY_NAMES: Record<Family, string> = {
  encdec: "encoder–decoder",
  deconly: "decoder-only (prefix LM)",
  enconly: "encoder-only (tagger)",
};

/** The test examples of a task: each source with every reference. */
interface TestSet {
  name: string;
  sources: string[];
  references: string[][];
}

/** A task of the comparison: its data, its test set and its metrics (the first is the headline). */
interface BenchTask {
  title: string;
  metrics: string[];
  note: string;
  /** Why the task cannot run here (its data is missing), or null. */
  missingData(): string | null;
  /** Writes data files the configs read, if the task has any. */
  prepare(): Promise<void>;
  testSet(limit: number): Promise<TestSet>;
  score(hyps: readonly string[], refs: readonly (readonly string[])[]): Record<string, number>;
  /** A trivial system to read the scores against (its name and outputs), if the task has one. */
  baseline?: { name: string; outputs(test: TestSet): string[] };
}

const DATA = resolve("../shared/data");
const MULTI30K = join(DATA, "multi30k");
const CMUDICT = join(DATA, "cmudict");
/** Where the tagging configs read the truecasing data (relative to the repository root, like the configs). */
const TRUECASE = resolve("runs/families/data/truecase-de");

const readLines = (file: string) => readFileSync(file, "utf8").replace(/\n$/, "").split("\n");
const first = <T>(list: T[], limit: number) => (limit > 0 ? list.slice(0, limit) : list);
const missing = (file: string, what: string) => (existsSync(file) ? null : `${what} not found at ${file}`);

/** Percent of hypotheses equal to their first reference, and of characters right position by position. */
function taggingScores(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
): Record<string, number> {
  let exact = 0;
  let right = 0;
  let total = 0;
  hyps.forEach((hyp, i) => {
    const ref = [...refs[i]![0]!];
    const out = [...hyp];
    if (hyp === refs[i]![0]) exact++;
    right += ref.filter((c, j) => out[j] === c).length;
    total += Math.max(ref.length, out.length);
  });
  return { exact: (100 * exact) / Math.max(1, hyps.length), "char acc": (100 * right) / Math.max(1, total) };
}

const TASKS: Record<string, BenchTask> = {
  multi30k: {
    title: "Multi30k German → English",
    metrics: ["BLEU", "chrF"],
    note: "BLEU: sacreBLEU-compatible (cased, 13a tokenisation); chrF: chrF2.",
    missingData: () => missing(join(MULTI30K, "test_2016_flickr.de"), "Multi30k"),
    prepare: async () => {},
    testSet: async (limit) => ({
      name: "test_2016_flickr",
      sources: first(readLines(join(MULTI30K, "test_2016_flickr.de")), limit),
      references: first(readLines(join(MULTI30K, "test_2016_flickr.en")), limit).map((r) => [r]),
    }),
    score: (hyps, refs) => {
      const stream = [refs.map((r) => r[0]!)];
      return { BLEU: corpusBleu(hyps, stream).score, chrF: corpusChrf(hyps, stream).score };
    },
  },
  g2p: {
    title: "CMUdict grapheme → phoneme",
    metrics: ["WER", "PER"],
    note: "WER: % of words matching none of their pronunciations; PER: phoneme edits to the closest one (lower is better).",
    missingData: () => missing(join(CMUDICT, "dev.tsv"), "CMUdict"),
    prepare: async () => {},
    testSet: async (limit) => {
      const words = [...referencesBySource((await readTsv(join(CMUDICT, "dev.tsv"))).examples)];
      const chosen = first(words, limit);
      return {
        name: "dev.tsv (by word)",
        sources: chosen.map(([w]) => w),
        references: chosen.map(([, r]) => r),
      };
    },
    score: (hyps, refs) => {
      const s = g2pScore(hyps, refs);
      return { WER: s.wordErrorRate, PER: s.phonemeErrorRate };
    },
  },
  tagging: {
    title: "German truecasing (same-length tagging)",
    metrics: ["exact", "char acc"],
    note: "exact: % of sentences cased right throughout; char acc: % of characters right, position by position.",
    missingData: () => missing(join(MULTI30K, "train.de"), "Multi30k"),
    prepare: async () => {
      mkdirSync(TRUECASE, { recursive: true });
      for (const split of ["train", "val"]) {
        const { pairs } = truecasePairs(readLines(join(MULTI30K, `${split}.de`)));
        await writeFileAtomic(join(TRUECASE, `${split}.src`), `${pairs.map((p) => p.src).join("\n")}\n`);
        await writeFileAtomic(join(TRUECASE, `${split}.tgt`), `${pairs.map((p) => p.tgt).join("\n")}\n`);
      }
    },
    testSet: async (limit) => {
      const { pairs } = truecasePairs(readLines(join(MULTI30K, "test_2016_flickr.de")));
      const chosen = first(pairs, limit);
      return {
        name: "test_2016_flickr.de lowercased",
        sources: chosen.map((p) => p.src),
        references: chosen.map((p) => [p.tgt]),
      };
    },
    score: taggingScores,
    baseline: { name: "the lowercased source unchanged", outputs: (test) => test.sources },
  },
};

/** The command line; `overrides` are dotted config overrides for every family (`--train.lr 5e-4`). */
interface Args {
  task: string;
  minutes: number;
  out: string;
  families: Family[];
  paramsOnly: boolean;
  skipTrain: boolean;
  testLimit: number;
  overrides: string[];
}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string>();
  const overrides: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!;
    if (!key.startsWith("--")) throw new Error(`unexpected argument "${key}" (options start with --)`);
    const next = argv[i + 1];
    const hasValue = next !== undefined && !next.startsWith("--");
    const value = hasValue ? next : "true";
    if (hasValue) i++;
    if (key.slice(2).includes(".")) overrides.push(key, value);
    else flags.set(key.slice(2), value);
  }
  const task = flags.get("task") ?? "";
  if (!(task in TASKS))
    throw new Error(`--task must be one of ${Object.keys(TASKS).join(", ")}, got "${task}"`);
  const families = (flags.get("families") ?? FAMILIES.join(",")).split(",") as Family[];
  for (const f of families)
    if (!FAMILIES.includes(f)) throw new Error(`--families: "${f}" is not one of ${FAMILIES.join(", ")}`);
  const minutes = Number(flags.get("minutes") ?? 30);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, got ${flags.get("minutes")}`);
  return {
    task,
    minutes,
    out: resolve(flags.get("out") ?? `runs/families-${task}`),
    families,
    paramsOnly: flags.has("params"),
    skipTrain: flags.has("skip-train"),
    testLimit: Number(flags.get("test-limit") ?? 0),
    overrides,
  };
}

function familyConfig(args: Args, family: Family): RunConfig {
  const path = `configs/families/${family}-${args.task}.yaml`;
  if (!existsSync(path)) throw new Error(`no config for --task ${args.task}: ${path} does not exist`);
  const budget = ["--train.maxSeconds", String(Math.round(args.minutes * 60))];
  return resolveRunConfig([loadConfigFile(path)], [...budget, ...args.overrides]);
}

/** "3+3" for the Transformer, "7" for the single-stack families. */
function layersOf(config: RunConfig): string {
  const m = config.model as Record<string, unknown>;
  return "encoderLayers" in m ? `${m["encoderLayers"]}+${m["decoderLayers"]}` : String(m["layers"]);
}

/** Parameter counts of the trio, with the tokenizers the runs would train (nothing else is trained). */
async function printParameterCounts(args: Args): Promise<void> {
  const counts: Array<{ family: Family; layers: string; parameters: number }> = [];
  for (const family of args.families) {
    const config = familyConfig(args, family);
    const text = await loadRunText(config.data);
    const tokenizers = await trainTokenizers(config, text.train);
    const vocab = modelConfigFor(config, tokenizers.source.vocabSize, tokenizers.target.vocabSize);
    const model = buildModel(resolveModelConfig(vocab, "model config"));
    counts.push({ family, layers: layersOf(config), parameters: model.parameterCount() });
  }
  const base = counts[0]!.parameters;
  console.log(`| family | layers | parameters | vs ${counts[0]!.family} |\n|---|---|---:|---:|`);
  for (const c of counts) {
    const diff = (100 * (c.parameters - base)) / base;
    console.log(
      `| ${c.family} | ${c.layers} | ${c.parameters.toLocaleString("en")} | ${diff >= 0 ? "+" : ""}${diff.toFixed(2)}% |`,
    );
  }
}

/** One family's row of the results. */
interface FamilyResult {
  family: Family;
  architecture: string;
  layers: string;
  parameters: number;
  steps: number;
  trainingSeconds: number;
  tokensPerSecond: number;
  decodeSeconds: number;
  scores: Record<string, number>;
  /** The headline metric on the examples the encoder-only family can represent. */
  representableScore: number;
  /** Encoder-only: test examples it cannot output whole, examples aligned exactly, and its ceiling. */
  tagger: { test: TaggerCoverage; train: TaggerCoverage; ceiling: Record<string, number> } | null;
}

/** Trains `family` into out/family (or, with --skip-train, finds its newest checkpoint). */
async function trainFamily(args: Args, family: Family, config: RunConfig): Promise<string> {
  const runDir = join(args.out, family);
  if (args.skipTrain) {
    const last = listCheckpoints(runDir).at(-1);
    if (!last) throw new Error(`--skip-train: ${runDir} holds no checkpoint to score`);
    return last.dir;
  }
  if (hasCheckpoint(runDir)) {
    throw new Error(
      `${runDir} already holds a run: pass --skip-train to score it again, or choose another --out`,
    );
  }
  console.log(`\n== ${family}: ${FAMILY_NAMES[family]}, ${args.minutes} min ==`);
  const result = await train(config, { out: runDir, observer: consoleObserver(process.stdout, 100) });
  return result.checkpoint;
}

/** The test examples as id rows (source + EOS; each reference + EOS) with this family's tokenizers. */
function encodeTest(test: TestSet, tokenizers: TokenizerPair): TaggerExample[] {
  const eos = SPECIAL_IDS.eos;
  return test.sources.map((s, i) => ({
    src: [...tokenizers.source.encode(s), eos],
    refs: test.references[i]!.map((r) => [...tokenizers.target.encode(r), eos]),
  }));
}

/** What the encoder-only family can and cannot represent, on the test and training pairs, and its ceiling. */
async function taggerStats(
  task: BenchTask,
  test: TestSet,
  encoded: TaggerExample[],
  config: RunConfig,
  tokenizers: TokenizerPair,
): Promise<FamilyResult["tagger"]> {
  const text = await loadRunText(config.data);
  const trainExamples = encodeTest(
    { name: "train", sources: text.train.map((p) => p.src), references: text.train.map((p) => [p.tgt]) },
    tokenizers,
  );
  const oracle = encoded.map((e) => tokenizers.target.decode(taggerOracle(e), { skipSpecial: true }));
  return {
    test: taggerCoverage(encoded),
    train: taggerCoverage(trainExamples),
    ceiling: task.score(oracle, test.references),
  };
}

function lastStep(runDir: string): StepRecord | undefined {
  return new JsonlLog(join(runDir, "log.jsonl")).read().findLast((r): r is StepRecord => r.type === "step");
}

async function scoreFamily(
  args: Args,
  family: Family,
  config: RunConfig,
  modelDir: string,
  test: TestSet,
): Promise<FamilyResult> {
  const task = TASKS[args.task]!;
  const translator = await loadTranslator(modelDir, { threads: config.train.threads });
  const start = performance.now();
  const translations = await translator.translate(test.sources, { beam: 1, batchSize: 64 });
  const decodeSeconds = (performance.now() - start) / 1000;
  await translator.release();
  const hyps = translations.map((t) => t.text);
  const { tokenizers, model } = translator.loaded;
  const encoded = encodeTest(test, tokenizers);
  const fits = encoded.map((e) => e.refs.some((r) => taggerView(e.src, r).representable));
  const keep = <T>(list: readonly T[]) => list.filter((_, i) => fits[i]);
  const step = lastStep(join(args.out, family));
  return {
    family,
    architecture: model.architecture,
    layers: layersOf(config),
    parameters: model.parameterCount(),
    steps: step?.step ?? 0,
    trainingSeconds: step?.elapsed ?? 0,
    tokensPerSecond: step?.tokensPerSecond ?? 0,
    decodeSeconds,
    scores: task.score(hyps, test.references),
    representableScore: task.score(keep(hyps), keep(test.references))[task.metrics[0]!]!,
    tagger: family === "enconly" ? await taggerStats(task, test, encoded, config, tokenizers) : null,
  };
}

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
const fixed = (x: number, digits = 2) => x.toFixed(digits);

/** The Markdown table and its notes. */
function markdown(args: Args, task: BenchTask, test: TestSet, rows: FamilyResult[]): string {
  const head = task.metrics[0]!;
  const lines = [
    `## ${task.title}: the three families, ${args.minutes} min of training each`,
    "",
    `Test set: ${test.name}, ${test.sources.length} examples, greedy decoding. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load ${loadavg()[0]!.toFixed(1)} at the end. ${new Date().toISOString().slice(0, 10)}.`,
    "",
    `| family | layers | parameters | steps | train tokens/s | decode s | ${task.metrics.join(" | ")} | ${head} on representable | cannot represent |`,
    `|---|---|---:|---:|---:|---:|${task.metrics.map(() => "---:|").join("")}---:|---:|`,
  ];
  for (const r of rows) {
    const cannot = r.tagger
      ? pct(r.tagger.test.examples - r.tagger.test.representable, r.tagger.test.examples)
      : "—";
    lines.push(
      `| ${FAMILY_NAMES[r.family]} | ${r.layers} | ${r.parameters.toLocaleString("en")} | ${r.steps} | ${fixed(r.tokensPerSecond, 0)} | ${fixed(r.decodeSeconds, 1)} | ${task.metrics.map((m) => fixed(r.scores[m]!)).join(" | ")} | ${fixed(r.representableScore)} | ${cannot} |`,
    );
  }
  if (task.baseline) {
    const scores = task.score(task.baseline.outputs(test), test.references);
    lines.push(
      "",
      `Baseline, ${task.baseline.name}: ${task.metrics.map((m) => `${m} ${fixed(scores[m]!)}`).join(", ")}.`,
    );
  }
  const tagger = rows.find((r) => r.tagger)?.tagger;
  lines.push(
    "",
    `${task.note} "${head} on representable": the test examples the encoder-only family can output whole.`,
  );
  if (tagger) {
    const { test: t, train: tr, ceiling } = tagger;
    lines.push(
      "",
      `Encoder-only reach. Test: ${pct(t.aligned, t.examples)} of examples have a reference exactly as long as the source (in tokens), ` +
        `${pct(t.representable, t.examples)} have one it can output whole (at most |source| + 1 tokens), ` +
        `${t.examples - t.representable} (${pct(t.examples - t.representable, t.examples)}) have none. ` +
        `Training pairs: ${pct(tr.aligned, tr.examples)} aligned, ${pct(tr.representable, tr.examples)} representable of ${tr.examples}. ` +
        `Ceiling (every label right, references cut to what it can emit): ${task.metrics.map((m) => `${m} ${fixed(ceiling[m]!)}`).join(", ")}.`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const task = TASKS[args.task]!;
  const missing = task.missingData();
  if (missing) {
    console.log(`${missing}: skipped (see ../shared/data/README.md)`);
    return;
  }
  await task.prepare();
  if (args.paramsOnly) return printParameterCounts(args);
  const test = await task.testSet(args.testLimit);
  const rows: FamilyResult[] = [];
  for (const family of args.families) {
    const config = familyConfig(args, family);
    const modelDir = await trainFamily(args, family, config);
    console.log(`scoring ${modelDir} on ${test.name}`);
    rows.push(await scoreFamily(args, family, config, modelDir, test));
  }
  const table = markdown(args, task, test, rows);
  await writeFileAtomic(join(args.out, `families-${args.task}.md`), table);
  await writeJsonAtomic(join(args.out, `families-${args.task}.json`), { args, test: test.name, rows });
  console.log(`\n${table}\nwritten to ${join(args.out, `families-${args.task}.md`)}`);
}

await main();
