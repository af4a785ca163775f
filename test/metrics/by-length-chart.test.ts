// The BLEU-by-source-length figure: its spec from made-up results JSON, the rendered SVG/PNG files, and the
// errors for results that cannot be drawn.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  type LengthCurve,
  lengthChartSpec,
  lengthCurveFromJson,
  writeLengthChart,
} from "../../src/metrics/by-length-chart.ts";

/** A results JSON as bench/multi30k.ts writes it, with made-up scores. */
function results(label: string, scores: number[], counts = [172, 234, 75]): unknown {
  const buckets = [
    { bucket: "0-7", min: 0, max: 7 },
    { bucket: "8-9", min: 8, max: 9 },
    { bucket: "17+", min: 17, max: null },
  ];
  return {
    arch: label.toLowerCase(),
    label,
    byLength: {
      metric: "bleu-lowercased-13a",
      buckets: buckets.map((b, i) => ({ ...b, count: counts[i], score: scores[i] })),
    },
  };
}

interface SpecShape {
  data: { values: Array<{ system: string; bucket: string; score: number }> };
  encoding: { x: { sort: string[]; title: string }; color: { sort: string[] } };
}

test("one line per system, buckets ordered by length and labelled with their sentence counts", () => {
  const curves = [
    lengthCurveFromJson(results("GRU", [20, 18.5, 9]), "gru.json"),
    lengthCurveFromJson(results("Attention", [31, 30, 27.25]), "att.json"),
  ];
  assert.deepEqual(
    curves[1]!.points.map((p) => [p.bucket, p.score]),
    [
      ["0-7", 31],
      ["8-9", 30],
      ["17+", 27.25],
    ],
  );
  // Curves given with their buckets out of order still draw shortest first.
  const shuffled: LengthCurve[] = [{ ...curves[0]!, points: [...curves[0]!.points].reverse() }, curves[1]!];
  const spec = lengthChartSpec(shuffled) as unknown as SpecShape;
  assert.deepEqual(spec.encoding.x.sort, ["0-7 (172)", "8-9 (234)", "17+ (75)"]);
  assert.match(spec.encoding.x.title, /sentences per bucket/);
  assert.deepEqual(spec.encoding.color.sort, ["GRU", "Attention"]);
  assert.equal(spec.data.values.length, 6);
  assert.deepEqual(spec.data.values.find((v) => v.system === "GRU" && v.bucket === "17+ (75)")?.score, 9);
});

test("bucket counts that differ between curves are left out of the labels", () => {
  const a = lengthCurveFromJson(results("A", [1, 2, 3]), "a.json");
  const b = lengthCurveFromJson(results("B", [1, 2, 3], [100, 234, 75]), "b.json");
  const spec = lengthChartSpec([a, b]) as unknown as SpecShape;
  assert.deepEqual(spec.encoding.x.sort, ["0-7", "8-9", "17+"]);
});

test("writes an SVG with every label and a PNG", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "length-chart-"));
  try {
    const curves = [
      lengthCurveFromJson(results("GRU", [20, 18.5, 9]), "gru.json"),
      lengthCurveFromJson(results("Transformer", [40, 38, 35]), "t.json"),
    ];
    const { svgPath, pngPath } = await writeLengthChart(curves, path.join(dir, "figs", "bleu"), {
      title: "BLEU by source length",
    });
    const svg = readFileSync(svgPath, "utf8");
    assert.match(svg, /^<svg/);
    for (const text of ["GRU", "Transformer", "BLEU by source length", "17+ (75)"]) {
      assert.ok(svg.includes(text), `the SVG shows "${text}"`);
    }
    const png = readFileSync(pngPath);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    assert.ok(png.length > 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("results that cannot be drawn are errors naming the file and the key", () => {
  assert.throws(
    () => lengthCurveFromJson({ label: "x" }, "runs/a.json"),
    /runs\/a\.json: no "byLength\.buckets"/,
  );
  const bad = results("GRU", [1, Number.NaN, 3]) as { byLength: { buckets: unknown[] } };
  bad.byLength.buckets[1] = { bucket: "8-9", min: 8, max: 9, count: 3, score: "high" };
  assert.throws(() => lengthCurveFromJson(bad, "g.json"), /g\.json: byLength\.buckets\[1\]: "score"/);
  assert.throws(() => lengthCurveFromJson({ byLength: { buckets: [] } }, "n.json"), /no "label"/);
  assert.throws(() => lengthChartSpec([]), /no length curves/);
  const curve = lengthCurveFromJson(results("GRU", [1, 2, 3]), "g.json");
  assert.throws(() => lengthChartSpec([curve, curve]), /two length curves are labelled "GRU"/);
  const shifted: LengthCurve = {
    label: "other",
    points: [{ bucket: "8-9", min: 7, max: 9, count: 1, score: 1 }],
  };
  assert.throws(() => lengthChartSpec([curve, shifted]), /"8-9" starts at 8 in one curve and 7/);
});
