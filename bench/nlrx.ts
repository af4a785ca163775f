// `npm run bench:nlrx -- --dataset synth|turk --minutes M [--config path] [--out dir] [--resume]`: trains
// English -> regex on NL-RX within a time budget, then scores val with greedy and beam-5 decoding
// (exact match and semantic accuracy) and prints the run as a Markdown table row.

import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { NL_RX_VARIANTS, type NlRxVariant, nlRxPaths, readNlRx } from "../src/data/nl-rx.ts";
import { loadTranslator, type Translator } from "../src/decode/translate.ts";
import { writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { corpusSemanticAccuracy, REGEX_TIMEOUT_MS } from "../src/metrics/index.ts";
import { consoleObserver, JsonlLog, type StepRecord } from "../src/train/progress.ts";
import { resolveRunConfig } from "../src/train/train-config.ts";
import { LOG_FILE, train } from "../src/train/trainer.ts";

const USAGE =
  "usage: tsx bench/nlrx.ts --dataset synth|turk --minutes M [--config path] [--out dir] [--resume]\n" +
  "       [--skip-train] [--models best,averaged] [--beams 1,5]";

/** Reads `--key value` and `--flag` arguments. */
function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      args.set(arg.slice(2), next);
      i++;
    } else args.set(arg.slice(2), "true");
  }
  return args;
}

/** One decoding's scores on val. */
interface DecodeRow {
  model: string;
  decoding: string;
  exact: number;
  semantic: number;
  unparsable: number;
  undecided: number;
  decodeSeconds: number;
}

/** Decodes every val description with `beam` and scores the outputs against all references. */
async function scoreDecoding(
  translator: Translator,
  sources: readonly string[],
  references: readonly string[],
  beam: number,
): Promise<{ hypotheses: string[]; seconds: number; score: ReturnType<typeof corpusSemanticAccuracy> }> {
  const start = performance.now();
  const translations = await translator.translate(sources, {
    beam,
    nbest: 1,
    batchSize: 64,
    maxLength: 48,
    relativeMaxLength: null,
  });
  const hypotheses = translations.map((t) => t.text);
  const seconds = (performance.now() - start) / 1000;
  const score = corpusSemanticAccuracy(hypotheses, [[...references]], { timeoutMs: REGEX_TIMEOUT_MS });
  return { hypotheses, seconds, score };
}

/** The asked-for model folders that exist (best by val semantic accuracy, averaged), else the last checkpoint. */
function modelFolders(out: string, names: readonly string[], checkpoint?: string): Array<[string, string]> {
  const folders: Array<[string, string]> = [];
  for (const name of names) {
    if (existsSync(join(out, name, "config.json"))) folders.push([name, join(out, name)]);
  }
  if (folders.length === 0 && checkpoint !== undefined) folders.push(["last", checkpoint]);
  if (folders.length === 0) throw new Error(`no model folder in ${out} (train first, without --skip-train)`);
  return folders;
}

function markdownRow(cells: readonly (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dataset = (args.get("dataset") ?? "synth") as NlRxVariant;
  if (!NL_RX_VARIANTS.includes(dataset)) {
    throw new Error(`--dataset must be one of ${NL_RX_VARIANTS.join(", ")}, got "${dataset}"\n${USAGE}`);
  }
  const minutes = Number(args.get("minutes") ?? 30);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number\n${USAGE}`);
  const configPath = args.get("config") ?? `configs/transformer-nlrx-${dataset}.yaml`;
  const configName = basename(configPath).replace(/\.(ya?ml|json)$/, "");
  const out = resolve(args.get("out") ?? `runs/bench-${configName}`);
  const root = resolve("../shared/data/nl-rx");
  if (!existsSync(nlRxPaths(root, dataset, "val").src)) {
    console.log(`NL-RX not found at ${root}: skipped (see ../shared/data/README.md)`);
    return;
  }
  if (!existsSync(configPath)) throw new Error(`--config ${configPath} does not exist`);

  const config = resolveRunConfig([loadConfigFile(configPath)], ["--train.maxSeconds", String(minutes * 60)]);
  const trainStart = performance.now();
  const result = args.has("skip-train")
    ? undefined
    : await train(config, {
        out,
        resume: args.has("resume"),
        observer: consoleObserver(process.stdout, 100),
      });
  const wallSeconds = (performance.now() - trainStart) / 1000;

  const val = await readNlRx(root, dataset, "val");
  const sources = val.examples.map((e) => e.src);
  const references = val.examples.map((e) => e.tgt);
  const rows: DecodeRow[] = [];
  let parameters = 0;
  const names = (args.get("models") ?? "best,averaged").split(",");
  const beams = (args.get("beams") ?? "1,5").split(",").map(Number);
  if (beams.some((b) => !Number.isInteger(b) || b < 1))
    throw new Error(`--beams: positive integers\n${USAGE}`);
  for (const [name, dir] of modelFolders(out, names, result?.checkpoint)) {
    const translator = await loadTranslator(dir);
    parameters = translator.loaded.model.parameterCount();
    try {
      for (const beam of beams) {
        const decoding = beam === 1 ? "greedy" : `beam ${beam}`;
        const { hypotheses, seconds, score } = await scoreDecoding(translator, sources, references, beam);
        rows.push({
          model: name,
          decoding,
          exact: 100 * score.exactMatch,
          semantic: score.score,
          unparsable: score.unparsable,
          undecided: score.unknown,
          decodeSeconds: seconds,
        });
        await writeJsonAtomic(join(out, `val.${name}.${beam === 1 ? "greedy" : `beam${beam}`}.json`), {
          hypotheses,
          verdicts: score.verdicts,
        });
      }
    } finally {
      await translator.release();
    }
  }
  await report(dataset, configPath, out, parameters, wallSeconds, rows);
}

/** Prints and saves the summary: a JSON object and one Markdown row per model folder and decoding. */
async function report(
  dataset: string,
  configPath: string,
  out: string,
  parameters: number,
  wallSeconds: number,
  rows: readonly DecodeRow[],
): Promise<void> {
  const steps = new JsonlLog(join(out, LOG_FILE)).read().filter((r): r is StepRecord => r.type === "step");
  const last = steps.at(-1);
  const summary = {
    dataset,
    config: configPath,
    parameters,
    steps: last?.step ?? 0,
    trainingSeconds: last?.elapsed ?? 0,
    wallSeconds,
    tokensPerSecond: last?.tokensPerSecond ?? 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    results: rows,
  };
  await writeJsonAtomic(join(out, "bench-results.json"), summary);
  console.log(`\n${JSON.stringify(summary, null, 2)}\n`);
  const header = [
    "dataset",
    "config",
    "model",
    "decoding",
    "exact %",
    "semantic %",
    "params",
    "steps",
    "train min",
    "tok/s",
    "peak RSS MB",
    "decode s",
  ];
  console.log(markdownRow(header));
  console.log(markdownRow(header.map(() => "---")));
  for (const r of rows) {
    console.log(
      markdownRow([
        dataset,
        basename(configPath),
        r.model,
        r.decoding,
        r.exact.toFixed(1),
        r.semantic.toFixed(1),
        `${(parameters / 1e6).toFixed(2)}M`,
        summary.steps,
        (summary.trainingSeconds / 60).toFixed(1),
        Math.round(summary.tokensPerSecond),
        summary.peakRssMb,
        r.decodeSeconds.toFixed(0),
      ]),
    );
  }
}

await main();
