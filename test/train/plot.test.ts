// Tests for training plots and the generic Vega-Lite renderer: files are written, the SVG carries the axis
// titles and the chart font, and the PNG is a real PNG of plausible size.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { DEFAULT_CHART_FONT, renderVegaLite } from "../../src/io/vega.ts";
import { downsample, renderTrainingPlot, trainingPlotSpec, writeTrainingPlot } from "../../src/train/plot.ts";

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), "plot-test-"));
after(() => fs.rm(tmpRoot, { recursive: true, force: true }));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(png: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

const train = Array.from({ length: 50 }, (_, i) => ({ step: (i + 1) * 10, loss: 4 / (i + 1) + 0.5 }));
const validation = [
  { step: 250, metric: "bleu", value: 12.5 },
  { step: 500, metric: "bleu", value: 20.25 },
  { step: 250, metric: "chrf", value: 40 },
  { step: 500, metric: "chrf", value: 47 },
];

describe("writeTrainingPlot", () => {
  test("writes <prefix>.svg and <prefix>.png with axis titles, metric panels and a real PNG", async () => {
    const prefix = path.join(tmpRoot, "run1", "curves");
    const { svgPath, pngPath } = await writeTrainingPlot({ train, validation }, prefix, { title: "toy run" });
    assert.equal(svgPath, `${prefix}.svg`);
    assert.equal(pngPath, `${prefix}.png`);
    const svg = readFileSync(svgPath, "utf8");
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const texts = svgTexts(svg);
    for (const label of ["step", "training loss", "value", "bleu", "chrf", "toy run"]) {
      assert.ok(texts.includes(label), `SVG lacks the text "${label}"`);
    }
    assert.match(svg, new RegExp(`font-family="${DEFAULT_CHART_FONT}"`));
    const { width, height } = pngSize(readFileSync(pngPath));
    // Default scale 2: a 560-px-wide panel plus axes; two stacked metric panels make it taller than wide.
    assert.ok(width >= 1120 && width <= 2000, `PNG width ${width}`);
    assert.ok(height > width * 0.8 && height <= 3000, `PNG height ${height}`);
    assert.deepEqual((await fs.readdir(path.dirname(prefix))).sort(), ["curves.png", "curves.svg"]);
  });

  test("training loss alone gives one panel; non-finite losses are dropped", async () => {
    const records = { train: [...train, { step: 510, loss: Number.NaN }] };
    const spec = trainingPlotSpec(records) as { data: { values: unknown[] }; vconcat?: unknown };
    assert.equal(spec.vconcat, undefined);
    assert.equal(spec.data.values.length, 50);
    const { svg, png } = await renderTrainingPlot(records, { scale: 1 });
    assert.ok(svgTexts(svg).includes("training loss"));
    assert.ok(!svgTexts(svg).includes("value"));
    const { width, height } = pngSize(png);
    assert.ok(width > 560 && width < 800 && height > 260 && height < 450, `PNG ${width}x${height}`);
  });

  test("nothing to plot is an error", async () => {
    await assert.rejects(renderTrainingPlot({ train: [] }), /nothing to plot/);
  });
});

describe("downsample", () => {
  test("averages equal buckets and leaves short series alone", () => {
    const recs = [1, 2, 3, 4, 5, 6].map((s) => ({ step: s, loss: s * 10 }));
    assert.equal(downsample(recs, 10), recs);
    assert.deepEqual(downsample(recs, 3), [
      { step: 1.5, loss: 15 },
      { step: 3.5, loss: 35 },
      { step: 5.5, loss: 55 },
    ]);
  });
});

describe("renderVegaLite", () => {
  test("renders a generic bar chart", async () => {
    const { svg, png } = await renderVegaLite(
      {
        data: {
          values: [
            { system: "greedy", bleu: 20 },
            { system: "beam", bleu: 23 },
          ],
        },
        mark: "bar",
        width: 200,
        height: 100,
        encoding: {
          x: { field: "system", type: "nominal", title: "decoder" },
          y: { field: "bleu", type: "quantitative", title: "BLEU" },
        },
      },
      { scale: 1 },
    );
    const texts = svgTexts(svg);
    for (const label of ["decoder", "BLEU", "greedy", "beam"]) assert.ok(texts.includes(label), label);
    assert.match(svg, /class="mark-rect role-mark/);
    const { width, height } = pngSize(png);
    assert.ok(width > 200 && width < 400 && height > 100 && height < 300, `PNG ${width}x${height}`);
  });
});
