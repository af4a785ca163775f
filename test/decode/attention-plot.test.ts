// Attention heat maps: one cell per (output, source) pair with repeated tokens kept apart, token labels
// on the axes, shape errors named, and the files written as SVG or PNG by extension.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { attentionPlotSpec, writeAttentionPlot } from "../../src/decode/attention-plot.ts";
import { vegaLiteToSvg } from "../../src/io/vega.ts";

const dir = mkdtempSync(join(tmpdir(), "s2s-attention-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const INPUT = {
  sourceTokens: ["a", "b", "a", "</s>"],
  outputTokens: ["x y", "z", "</s>"],
  attention: [
    [0.7, 0.1, 0.1, 0.1],
    [0.1, 0.8, 0.05, 0.05],
    [0, 0, 0, 1],
  ],
};

test("the spec has one cell per pair, keyed by position so repeated tokens stay apart", () => {
  const spec = attentionPlotSpec(INPUT) as unknown as { data: { values: Array<Record<string, unknown>> } };
  assert.equal(spec.data.values.length, 12);
  assert.deepEqual(spec.data.values[2], { src: 2, out: 0, weight: 0.1, source: "a", output: "x y" });
});

test("the SVG shows the tokens as axis labels (spaces made visible)", async () => {
  const svg = await vegaLiteToSvg(attentionPlotSpec({ ...INPUT, title: "attention" }));
  assert.match(svg, /^<svg/);
  for (const label of [">b<", "&lt;/s&gt;", ">x␣y<", ">attention<"]) assert.ok(svg.includes(label), label);
  assert.equal(svg.match(/>a</g)?.length, 2, "both a's labelled");
});

test("a weight matrix of the wrong shape is an error", () => {
  assert.throws(
    () => attentionPlotSpec({ ...INPUT, attention: INPUT.attention.slice(1) }),
    /attention must be \[3 output tokens\]\[4 source tokens\]/,
  );
});

test("files: .svg gets SVG text, .png gets PNG bytes", async () => {
  await writeAttentionPlot(join(dir, "sub", "plot.svg"), INPUT);
  assert.match(readFileSync(join(dir, "sub", "plot.svg"), "utf8"), /^<svg/);
  await writeAttentionPlot(join(dir, "plot.png"), INPUT);
  assert.deepEqual([...readFileSync(join(dir, "plot.png")).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});
