// `npm run bench:multi30k -- --arch transformer [--minutes 30]`: trains one architecture on Multi30k
// German -> English within a time budget on this machine, then scores test_2016_flickr with greedy and
// beam-5 decoding: BLEU on lowercased tokenised text, sacreBLEU (cased, detokenised) and chrF.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { loadTranslator } from "../src/decode/translate.ts";
import { writeJsonAtomic } from "../src/io/atomic.ts";
import { loadConfigFile } from "../src/io/config.ts";
import { corpusBleu } from "../src/metrics/bleu.ts";
import { corpusChrf } from "../src/metrics/chrf.ts";
import { consoleObserver } from "../src/train/progress.ts";
import { resolveRunConfig } from "../src/train/train-config.ts";
import { train } from "../src/train/trainer.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i]!.replace(/^--/, "");
  const next = process.argv[i + 1];
  if (next !== undefined && !next.startsWith("--")) {
    args.set(key, next);
    i++;
  } else args.set(key, "true");
}
const arch = args.get("arch") ?? "transformer";
const minutes = Number(args.get("minutes") ?? 30);
const out = resolve(args.get("out") ?? `runs/multi30k-${arch}`);
const data = resolve("../shared/data/multi30k");
const configPath = `configs/${arch}-multi30k.yaml`;

function lines(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return text.replace(/\n$/, "").split("\n");
}

async function main(): Promise<void> {
  if (!existsSync(join(data, "test_2016_flickr.de"))) {
    console.log(`Multi30k not found at ${data}: skipped (see ../shared/data/README.md)`);
    return;
  }
  if (!existsSync(configPath)) throw new Error(`no config for --arch ${arch}: ${configPath} does not exist`);
  const config = resolveRunConfig([loadConfigFile(configPath)], [`--train.maxSeconds`, String(minutes * 60)]);
  const trainStart = performance.now();
  const result = args.has("skip-train")
    ? undefined
    : await train(config, {
        out,
        resume: existsSync(join(out, "run-config.json")),
        observer: consoleObserver(process.stdout, 100),
      });
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const modelDir = result?.averaged?.dir ?? result?.best?.dir ?? result?.checkpoint ?? join(out, "best");
  console.log(`\nevaluating ${modelDir} on test_2016_flickr`);

  const sources = lines(join(data, "test_2016_flickr.de"));
  const references = lines(join(data, "test_2016_flickr.en"));
  const translator = await loadTranslator(modelDir);
  const rows: Record<string, number | string>[] = [];
  for (const beam of [1, 5]) {
    const start = performance.now();
    const hyps = (await translator.translate(sources, { beam, nbest: 1, batchSize: 64 })).map((t) => t.text);
    const decodeSeconds = (performance.now() - start) / 1000;
    const lowercased = corpusBleu(hyps, [references], { lowercase: true, tokenize: "13a" });
    const cased = corpusBleu(hyps, [references]);
    const chrf = corpusChrf(hyps, [references]);
    rows.push({
      decoding: beam === 1 ? "greedy" : `beam ${beam}`,
      bleuLowercased: Number(lowercased.score.toFixed(2)),
      sacreBleu: Number(cased.score.toFixed(2)),
      chrF: Number(chrf.score.toFixed(2)),
      decodeSeconds: Number(decodeSeconds.toFixed(1)),
      signature: cased.signature,
    });
    await writeJsonAtomic(join(out, `test.${beam === 1 ? "greedy" : `beam${beam}`}.json`), {
      hypotheses: hyps,
    });
  }
  await translator.release();
  const log = existsSync(join(out, "log.jsonl"))
    ? lines(join(out, "log.jsonl")).map((l) => JSON.parse(l))
    : [];
  const steps = log.filter((r) => r.type === "step");
  const last = steps.at(-1);
  const summary = {
    arch,
    parameters: translator.loaded.model.parameterCount(),
    steps: last?.step ?? 0,
    trainingSeconds: last?.elapsed ?? trainSeconds,
    tokensPerSecond: last?.tokensPerSecond ?? 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    results: rows,
  };
  await writeJsonAtomic(join(out, "bench-results.json"), summary);
  console.log(JSON.stringify(summary, null, 2));
}

await main();
