// `npm run bench:multitask -- [--minutes 20] [--multi-minutes M]`: the T5 comparison of issue 10. Trains the
// multi-task model of configs/t5-multitask.yaml (every task of its data.mixture, each source with its prefix) and,
// with the same model, tokenizer settings and optimiser, one single-task model per task (the mixture cut to that
// task), then scores every task on its held-out set with each model it has. By default the multi-task model
// trains as long as the single-task models together (equal compute per task). Writes <out>/multitask.{json,md}.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readNlRx } from "../src/data/nl-rx.ts";
import { readParallelFiles, readTsv, referencesBySource } from "../src/data/parallel.ts";
import { loadTranslator } from "../src/decode/translate.ts";
import { writeFileAtomic, writeJsonAtomic } from "../src/io/atomic.ts";
import { type ConfigSource, loadConfigFile } from "../src/io/config.ts";
import { corpusBleu } from "../src/metrics/bleu.ts";
import { corpusChrf } from "../src/metrics/chrf.ts";
import { g2pScore } from "../src/metrics/g2p.ts";
import { corpusSemanticAccuracy, REGEX_TIMEOUT_MS } from "../src/metrics/index.ts";
import { resolveRunConfig } from "../src/train/train-config.ts";
import { chooseModel, peakRssMb, splitOverrides, trainingFigures, trainOrResume } from "./run-helpers.ts";

// Arguments after a lone `--` are config overrides for every run, e.g. `-- --train.validMaxExamples 50`.
const { flags: args, overrides } = splitOverrides(process.argv.slice(2));
const { values: flags } = parseArgs({
  args,
  options: {
    config: { type: "string", default: "configs/t5-multitask.yaml" },
    minutes: { type: "string", default: "20" },
    "multi-minutes": { type: "string" },
    out: { type: "string", default: "runs/multitask" },
    "skip-train": { type: "boolean", default: false },
    "test-limit": { type: "string", default: "0" },
  },
});
const shared = resolve("../shared/data");
/** Score only the first N held-out examples of each task (0 = all): for smoke runs. */
const testLimit = Number(flags["test-limit"]);

/** A task's held-out examples: each source with every reference. */
interface TestSet {
  sources: string[];
  references: string[][];
}

/** How the bench scores a task of the mixture, by its name in the config: held-out data and metrics (headline first). */
interface TaskTest {
  data: string;
  /** Decoding options beyond greedy (the regex outputs are longer than their descriptions allow by default). */
  maxLength?: number;
  load(): Promise<TestSet>;
  score(hypotheses: string[], test: TestSet): Record<string, number>;
}

const limit = <T>(items: T[]): T[] => items.slice(0, testLimit || undefined);
const round = (x: number): number => Number(x.toFixed(2));

const TASK_TESTS: Record<string, TaskTest> = {
  "de-en": {
    data: "Multi30k test_2016_flickr",
    async load() {
      const dir = join(shared, "multi30k");
      const test = await readParallelFiles(
        join(dir, "test_2016_flickr.de"),
        join(dir, "test_2016_flickr.en"),
        {
          limit: testLimit || undefined,
        },
      );
      return { sources: test.examples.map((e) => e.src), references: test.examples.map((e) => [e.tgt]) };
    },
    score(hyps, test) {
      const refs = [test.references.map((r) => r[0]!)];
      return {
        "BLEU (lowercased)": round(corpusBleu(hyps, refs, { lowercase: true, tokenize: "13a" }).score),
        sacreBLEU: round(corpusBleu(hyps, refs).score),
        chrF: round(corpusChrf(hyps, refs).score),
      };
    },
  },
  g2p: {
    data: "CMUdict dev.tsv words, any pronunciation right",
    async load() {
      const refs = referencesBySource((await readTsv(join(shared, "cmudict/dev.tsv"))).examples);
      const words = limit([...refs.keys()]);
      return { sources: words, references: words.map((w) => refs.get(w)!) };
    },
    score(hyps, test) {
      const s = g2pScore(hyps, test.references);
      return { "WER %": round(s.wordErrorRate), "PER %": round(s.phonemeErrorRate) };
    },
  },
  regex: {
    data: "NL-RX synth val",
    maxLength: 48,
    async load() {
      const examples = limit((await readNlRx(join(shared, "nl-rx"), "synth", "val")).examples);
      return { sources: examples.map((e) => e.src), references: examples.map((e) => [e.tgt]) };
    },
    score(hyps, test) {
      const refs = [test.references.map((r) => r[0]!)];
      const s = corpusSemanticAccuracy(hyps, refs, { timeoutMs: REGEX_TIMEOUT_MS });
      return { "semantic %": round(s.score), "exact %": round(100 * s.exactMatch) };
    },
  },
};

/** A task's output-length cap for decoding, when it has its own. */
function lengthOptions(test: TaskTest): { maxLength?: number; relativeMaxLength?: null } {
  return test.maxLength === undefined ? {} : { maxLength: test.maxLength, relativeMaxLength: null };
}

/** One trained model: which tasks it learned, its size and training figures, and its scores per task. */
interface RunSummary {
  run: string;
  tasks: string[];
  model: string;
  parameters: number;
  steps: number;
  trainingMinutes: number;
  scores: Record<string, Record<string, number>>;
}

/** The config with its mixture cut to `tasks` (same model, tokenizer settings and optimiser). */
function sourceFor(base: ConfigSource, tasks: readonly string[]): ConfigSource {
  const values = structuredClone(base.values) as { data: { mixture: Array<{ name: string }> } };
  values.data.mixture = values.data.mixture.filter((t) => tasks.includes(t.name));
  return { origin: `${base.origin} (tasks: ${tasks.join(", ")})`, values };
}

/** Trains (or resumes, or with --skip-train reuses) one run and scores each of its tasks greedily. */
async function trainAndScore(
  base: ConfigSource,
  run: string,
  tasks: readonly string[],
  minutes: number,
  tests: ReadonlyMap<string, TestSet>,
): Promise<RunSummary> {
  const out = resolve(flags.out!, run);
  const config = resolveRunConfig(
    [sourceFor(base, tasks)],
    ["--train.maxSeconds", String(minutes * 60), ...overrides],
  );
  console.log(`\n== ${run}: ${tasks.join(" + ")}, ${minutes} min → ${out}`);
  const result = await trainOrResume(config, out, flags["skip-train"]!);
  const model = chooseModel(out, result);
  const translator = await loadTranslator(model.dir);
  const parameters = translator.loaded.model.parameterCount();
  const scores: Record<string, Record<string, number>> = {};
  try {
    for (const task of tasks) {
      const test = tests.get(task)!;
      const translations = await translator.translate(
        test.sources,
        { beam: 1, nbest: 1, batchSize: 64, ...lengthOptions(TASK_TESTS[task]!) },
        translator.textTaskFor({ task }),
      );
      const hyps = translations.map((t) => t.text);
      scores[task] = TASK_TESTS[task]!.score(hyps, test);
      await writeJsonAtomic(join(out, `test.${task}.greedy.json`), { hypotheses: hyps });
      console.log(`${run} ${task}: ${JSON.stringify(scores[task])}`);
    }
  } finally {
    await translator.release();
  }
  const figures = trainingFigures(out, minutes * 60);
  return {
    run,
    tasks: [...tasks],
    model: model.which,
    parameters,
    steps: figures.steps,
    trainingMinutes: round(figures.trainingSeconds / 60),
    scores,
  };
}

/** One row per task and metric: the single-task model's score beside the multi-task model's. */
function markdown(
  single: readonly RunSummary[],
  multi: RunSummary,
  tests: ReadonlyMap<string, TestSet>,
): string {
  const rows = [
    `| task | held-out data | metric | single-task model | multi-task model (${multi.tasks.length} tasks) |`,
    "|---|---|---|---|---|",
  ];
  for (const run of single) {
    const task = run.tasks[0]!;
    for (const [metric, value] of Object.entries(run.scores[task]!)) {
      rows.push(
        `| ${task} | ${TASK_TESTS[task]!.data} (${tests.get(task)!.sources.length.toLocaleString("en")}) | ${metric} | ${value} | ${multi.scores[task]![metric]} |`,
      );
    }
  }
  rows.push(
    "",
    "| run | tasks | parameters | steps | training | model scored |",
    "|---|---|---|---|---|---|",
  );
  for (const r of [...single, multi]) {
    rows.push(
      `| ${r.run} | ${r.tasks.join(", ")} | ${r.parameters.toLocaleString("en")} | ${r.steps} | ${r.trainingMinutes} min | ${r.model} |`,
    );
  }
  return rows.join("\n");
}

async function main(): Promise<void> {
  const minutes = Number(flags.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes must be > 0, got "${flags.minutes}"`);
  const base = loadConfigFile(flags.config!);
  const mixture = (base.values as { data?: { mixture?: Array<{ name?: string }> } }).data?.mixture;
  if (!Array.isArray(mixture) || mixture.length < 2)
    throw new Error(`${flags.config}: data.mixture must list at least two tasks`);
  const tasks = mixture.map((t) => t.name ?? "");
  const unknown = tasks.filter((t) => !(t in TASK_TESTS));
  if (unknown.length > 0)
    throw new Error(
      `no held-out set for task(s) ${unknown.join(", ")} (this bench knows ${Object.keys(TASK_TESTS).join(", ")})`,
    );
  const multiMinutes =
    flags["multi-minutes"] === undefined ? minutes * tasks.length : Number(flags["multi-minutes"]);
  if (!(multiMinutes > 0)) throw new Error(`--multi-minutes must be > 0, got "${flags["multi-minutes"]}"`);
  const missing = ["multi30k/test_2016_flickr.de", "cmudict/dev.tsv", "nl-rx/synth"].filter(
    (p) => !existsSync(join(shared, p)),
  );
  if (missing.length > 0) {
    console.log(
      `data not found (${missing.map((p) => join(shared, p)).join(", ")}): skipped (see ../shared/data/README.md)`,
    );
    return;
  }
  const tests = new Map<string, TestSet>();
  for (const task of tasks) tests.set(task, await TASK_TESTS[task]!.load());

  const single: RunSummary[] = [];
  for (const task of tasks) single.push(await trainAndScore(base, `single-${task}`, [task], minutes, tests));
  const multi = await trainAndScore(base, "multi", tasks, multiMinutes, tests);

  const table = markdown(single, multi, tests);
  const out = resolve(flags.out!);
  await writeJsonAtomic(join(out, "multitask.json"), {
    config: flags.config,
    single,
    multi,
    peakRssMb: peakRssMb(),
  });
  await writeFileAtomic(join(out, "multitask.md"), `${table}\n`);
  console.log(`\n${table}\n\nwrote ${join(out, "multitask.json")} and multitask.md`);
}

await main();
