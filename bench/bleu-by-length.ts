// `npx tsx bench/bleu-by-length.ts runs/multi30k-*/bench-results.json`: draws greedy BLEU by source-length
// bucket for several bench:multi30k runs as one figure, one line per architecture (after Bahdanau et al. 2014,
// Fig. 2), into docs/bleu-by-length.svg and .png (--out sets another prefix).

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { lengthCurveFromJson, writeLengthChart } from "../src/metrics/by-length-chart.ts";

const { values: flags, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string", default: "docs/bleu-by-length" },
    title: {
      type: "string",
      default: "Multi30k de→en, test_2016_flickr: BLEU by source length (greedy)",
    },
  },
});

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read results file ${file}: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  if (files.length === 0) {
    throw new Error(
      "give the bench-results.json of each run, e.g. runs/multi30k-gru/bench-results.json runs/multi30k-bahdanau/bench-results.json",
    );
  }
  const curves = files.map((file) => lengthCurveFromJson(readJson(file), file));
  const { svgPath, pngPath } = await writeLengthChart(curves, flags.out!, {
    title: flags.title,
    metric: "BLEU (lowercased, 13a)",
    lengthTitle: "German source length (words)",
  });
  for (const curve of curves) {
    console.log(`${curve.label}: ${curve.points.map((p) => `${p.bucket} ${p.score.toFixed(2)}`).join(", ")}`);
  }
  console.log(`wrote ${svgPath} and ${pngPath}`);
}

await main();
