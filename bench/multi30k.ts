// `npm run bench:multi30k -- --arch gru|lstm|bahdanau|transformer [--minutes 30]`: trains one architecture on
// Multi30k German -> English within a time budget on this machine, then scores test_2016_flickr with greedy and
// beam-5 decoding: BLEU on lowercased tokenised text, sacreBLEU (cased, detokenised), chrF, and lowercased BLEU
// by source-length bucket (the data of `npx tsx bench/bleu-by-length.ts`). Writes <out>/bench-results.json.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { readParallelFiles } from "../src/data/parallel.ts";
import { loadTranslator, type Translator } from "../src/decode/translate.ts";
import { writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { corpusBleu } from "../src/metrics/bleu.ts";
import { breakdownByLength } from "../src/metrics/by-length.ts";
import type { LengthCurvePoint } from "../src/metrics/by-length-chart.ts";
import { corpusChrf } from "../src/metrics/chrf.ts";
import { resolveRunConfig } from "../src/train/train-config.ts";
import { chooseModel, peakRssMb, splitOverrides, trainingFigures, trainOrResume } from "./run-helpers.ts";

/** The architectures with a configs/<arch>-multi30k.yaml, and how the figure and tables name them. */
const ARCHS: Record<string, string> = {
  gru: "GRU encoder–decoder (Cho et al. 2014)",
  lstm: "LSTM encoder–decoder (Sutskever et al. 2014)",
  bahdanau: "RNNsearch, attention (Bahdanau et al. 2014)",
  transformer: "Transformer (Vaswani et al. 2017)",
};

// Arguments after a lone `--` are config overrides, e.g. `-- --train.validMaxExamples 100`.
const { flags: args, overrides } = splitOverrides(process.argv.slice(2));
const { values: flags } = parseArgs({
  args,
  options: {
    arch: { type: "string", default: "transformer" },
    minutes: { type: "string", default: "30" },
    out: { type: "string" },
    "skip-train": { type: "boolean", default: false },
    "length-edges": { type: "string", default: "0,8,10,12,14,17" },
    "test-limit": { type: "string", default: "0" },
  },
});
const arch = flags.arch!;
const minutes = Number(flags.minutes);
const out = resolve(flags.out ?? `runs/multi30k-${arch}`);
const data = resolve("../shared/data/multi30k");
const configPath = `configs/${arch}-multi30k.yaml`;
const edges = flags["length-edges"]!.split(",").map(Number);
/** Score only the first N test sentences (0 = all 1,000): for smoke runs. */
const testLimit = Number(flags["test-limit"]);

/**
 * Translates every source; a source longer than the model takes (a recurrent model's maxSourceLength) gets
 * an empty output, counted in `tooLong`, instead of failing the benchmark.
 */
async function translateAll(translator: Translator, sources: string[], beam: number) {
  const limit = translator.maxSourceLength;
  const { source } = translator.loaded.tokenizers;
  const fits = sources.map((s) => limit === undefined || source.encode(s).length + 1 <= limit);
  const kept = sources.filter((_, i) => fits[i]);
  const start = performance.now();
  const translated = await translator.translate(kept, { beam, nbest: 1, batchSize: 64 });
  const seconds = (performance.now() - start) / 1000;
  let k = 0;
  const hyps = sources.map((_, i) => (fits[i] ? translated[k++]!.text : ""));
  return { hyps, seconds, tooLong: fits.filter((f) => !f).length };
}

/** Lowercased 13a BLEU of each source-length bucket (words of the German source). */
function bleuByLength(sources: string[], hyps: string[], refs: string[]): LengthCurvePoint[] {
  const breakdown = breakdownByLength(
    sources,
    hyps,
    [refs],
    (h, r) => corpusBleu(h, r, { lowercase: true, tokenize: "13a" }).score,
    { edges },
  );
  return breakdown.map((b) => ({
    bucket: b.label,
    min: b.min,
    max: b.max,
    count: b.count,
    score: Number(b.result.toFixed(2)),
  }));
}

/** Scores greedy and beam-5 outputs of the model in `modelDir` on test_2016_flickr. */
async function score(modelDir: string) {
  const test = await readParallelFiles(join(data, "test_2016_flickr.de"), join(data, "test_2016_flickr.en"), {
    limit: testLimit || undefined,
  });
  const sources = test.examples.map((e) => e.src);
  const references = test.examples.map((e) => e.tgt);
  const translator = await loadTranslator(modelDir);
  const rows: Record<string, number | string>[] = [];
  const byLength: Record<string, LengthCurvePoint[]> = {};
  for (const beam of [1, 5]) {
    const decoding = beam === 1 ? "greedy" : `beam ${beam}`;
    const { hyps, seconds, tooLong } = await translateAll(translator, sources, beam);
    const cased = corpusBleu(hyps, [references]);
    rows.push({
      decoding,
      bleuLowercased: Number(
        corpusBleu(hyps, [references], { lowercase: true, tokenize: "13a" }).score.toFixed(2),
      ),
      sacreBleu: Number(cased.score.toFixed(2)),
      chrF: Number(corpusChrf(hyps, [references]).score.toFixed(2)),
      decodeSeconds: Number(seconds.toFixed(1)),
      sourcesTooLong: tooLong,
      signature: cased.signature,
    });
    byLength[decoding] = bleuByLength(sources, hyps, references);
    await writeJsonAtomic(join(out, `test.${beam === 1 ? "greedy" : `beam${beam}`}.json`), {
      hypotheses: hyps,
    });
  }
  const parameters = translator.loaded.model.parameterCount();
  await translator.release();
  return { rows, byLength, parameters, sentences: sources.length };
}

type Summary = Omit<Awaited<ReturnType<typeof score>>, "byLength"> &
  ReturnType<typeof trainingFigures> & { peakRssMb: number };

/** The Markdown rows for BENCHMARKS.md: the summary row, the decoding rows and the by-length row. */
function markdown(s: Summary, buckets: readonly LengthCurvePoint[]): string {
  const greedy = s.rows[0]!;
  const beam = s.rows[1]!;
  return [
    "| architecture | parameters | steps | training | tokens/s | peak RSS | greedy BLEU (lc) | beam-5 BLEU (lc) |",
    "|---|---|---|---|---|---|---|---|",
    `| ${ARCHS[arch]} | ${s.parameters.toLocaleString("en")} | ${s.steps} | ${(s.trainingSeconds / 60).toFixed(1)} min | ${s.tokensPerSecond} | ${s.peakRssMb} MB | ${greedy["bleuLowercased"]} | ${beam["bleuLowercased"]} |`,
    "",
    `| decoding | BLEU (lowercased, 13a) | sacreBLEU (cased) | chrF | decode time, ${s.sentences.toLocaleString("en")} sentences |`,
    "|---|---|---|---|---|",
    ...s.rows.map(
      (r) =>
        `| ${r["decoding"]} | ${r["bleuLowercased"]} | ${r["sacreBleu"]} | ${r["chrF"]} | ${r["decodeSeconds"]} s |`,
    ),
    "",
    `| greedy BLEU (lc) by source length | ${buckets.map((b) => `${b.bucket} (${b.count})`).join(" | ")} |`,
    `|---|${buckets.map(() => "---").join("|")}|`,
    `| ${arch} | ${buckets.map((b) => b.score.toFixed(2)).join(" | ")} |`,
  ].join("\n");
}

async function main(): Promise<void> {
  if (!(arch in ARCHS))
    throw new Error(`--arch must be one of ${Object.keys(ARCHS).join(", ")}, got "${arch}"`);
  if (!Number.isFinite(minutes) || minutes <= 0)
    throw new Error(`--minutes must be > 0, got "${flags.minutes}"`);
  if (!existsSync(join(data, "test_2016_flickr.de"))) {
    console.log(`Multi30k not found at ${data}: skipped (see ../shared/data/README.md)`);
    return;
  }
  const config = resolveRunConfig(
    [loadConfigFile(configPath)],
    ["--train.maxSeconds", String(minutes * 60), ...overrides],
  );
  const trainStart = performance.now();
  const result = await trainOrResume(config, out, flags["skip-train"]!);
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const model = chooseModel(out, result);
  console.log(`\nevaluating ${model.dir} (${model.which}) on test_2016_flickr`);
  const scores = await score(model.dir);
  const summary = {
    arch,
    label: ARCHS[arch]!,
    config: configPath,
    model: model.which,
    parameters: scores.parameters,
    sentences: scores.sentences,
    ...trainingFigures(out, trainSeconds),
    peakRssMb: peakRssMb(),
    results: scores.rows,
    // The figure's data (bench/bleu-by-length.ts): greedy, lowercased 13a BLEU per source-length bucket.
    byLength: {
      metric: "bleu-lowercased-13a",
      decoding: "greedy",
      edges,
      buckets: scores.byLength["greedy"],
    },
    byLengthBeam5: scores.byLength["beam 5"],
  };
  await writeJsonAtomic(join(out, "bench-results.json"), summary);
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n${markdown({ ...summary, rows: scores.rows }, scores.byLength["greedy"]!)}`);
  console.log(`\nwrote ${join(out, "bench-results.json")}`);
}

await main();
