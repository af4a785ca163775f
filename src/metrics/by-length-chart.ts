// "BLEU by source length" as one figure, one line per system (in the spirit of Bahdanau et al. 2014, Fig. 2),
// drawn with Vega-Lite as SVG and PNG; plus the reader of the per-bucket scores benchmarks write as JSON.

import type { TopLevelSpec } from "vega-lite";
import { type RenderedChart, type RenderOptions, renderVegaLite, writeChartFiles } from "../io/vega.ts";

/** One source-length bucket's score (a LengthBreakdown flattened to its score). */
export interface LengthCurvePoint {
  /** "10-19", or "40+" for an open last bucket. */
  bucket: string;
  min: number;
  max: number | null;
  /** Segments in the bucket. */
  count: number;
  score: number;
}

/** One system's scores over the buckets, e.g. `{ label: "GRU", points: [...] }`. */
export interface LengthCurve {
  label: string;
  points: readonly LengthCurvePoint[];
}

export interface LengthChartOptions extends RenderOptions {
  title?: string;
  /** The y axis title (default "BLEU"). */
  metric?: string;
  /** The x axis title (default "source length (words)"; the sentence count of each bucket is added when all curves agree). */
  lengthTitle?: string;
  width?: number;
  height?: number;
}

/** The buckets of all curves, shortest first; a label used with two different lower bounds is an error. */
function orderedBuckets(curves: readonly LengthCurve[]): LengthCurvePoint[] {
  const byLabel = new Map<string, LengthCurvePoint>();
  for (const curve of curves) {
    for (const point of curve.points) {
      const seen = byLabel.get(point.bucket);
      if (seen && seen.min !== point.min) {
        throw new Error(
          `length bucket "${point.bucket}" starts at ${seen.min} in one curve and ${point.min} in "${curve.label}"`,
        );
      }
      if (!seen) byLabel.set(point.bucket, point);
    }
  }
  return [...byLabel.values()].sort((a, b) => a.min - b.min);
}

/** Each bucket's sentence count when every curve that has the bucket agrees on it, else null. */
function sharedCounts(curves: readonly LengthCurve[]): Map<string, number> | null {
  const counts = new Map<string, number>();
  for (const curve of curves) {
    for (const p of curve.points) {
      const seen = counts.get(p.bucket);
      if (seen !== undefined && seen !== p.count) return null;
      counts.set(p.bucket, p.count);
    }
  }
  return counts;
}

function checkCurves(curves: readonly LengthCurve[]): void {
  if (curves.length === 0) throw new Error("nothing to draw: no length curves");
  const labels = new Set<string>();
  for (const curve of curves) {
    if (labels.has(curve.label)) throw new Error(`two length curves are labelled "${curve.label}"`);
    labels.add(curve.label);
    if (curve.points.length === 0) throw new Error(`length curve "${curve.label}" has no points`);
    for (const p of curve.points) {
      if (!Number.isFinite(p.score))
        throw new Error(`length curve "${curve.label}": bucket ${p.bucket} has score ${p.score}`);
    }
  }
}

/**
 * The Vega-Lite spec: x = source-length bucket (ordered by length, labelled "8-9 (234)" with the sentence
 * count when the curves share it), y = the score, one coloured line with points per curve, in curve order.
 */
export function lengthChartSpec(
  curves: readonly LengthCurve[],
  options: LengthChartOptions = {},
): TopLevelSpec {
  checkCurves(curves);
  const counts = sharedCounts(curves);
  const tick = (bucket: string) => (counts ? `${bucket} (${counts.get(bucket)})` : bucket);
  const order = orderedBuckets(curves).map((p) => tick(p.bucket));
  const values = curves.flatMap((curve) =>
    curve.points.map((p) => ({
      system: curve.label,
      bucket: tick(p.bucket),
      score: p.score,
      count: p.count,
    })),
  );
  const lengthTitle = options.lengthTitle ?? "source length (words)";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width ?? 520,
    height: options.height ?? 300,
    data: { values },
    mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2 },
    encoding: {
      x: {
        field: "bucket",
        type: "ordinal",
        sort: order,
        title: counts ? `${lengthTitle}, sentences per bucket in brackets` : lengthTitle,
        axis: { labelAngle: 0 },
      },
      y: { field: "score", type: "quantitative", title: options.metric ?? "BLEU", scale: { zero: true } },
      color: {
        field: "system",
        type: "nominal",
        sort: curves.map((c) => c.label),
        title: null,
        legend: { orient: "bottom", columns: 2, labelLimit: 400 },
      },
    },
  } as TopLevelSpec;
}

/** Renders the length chart to SVG and PNG in memory. */
export async function renderLengthChart(
  curves: readonly LengthCurve[],
  options: LengthChartOptions = {},
): Promise<RenderedChart> {
  return renderVegaLite(lengthChartSpec(curves, options), options);
}

/** Writes `<outPrefix>.svg` and `<outPrefix>.png` (atomically, creating the folder) and returns their paths. */
export async function writeLengthChart(
  curves: readonly LengthCurve[],
  outPrefix: string,
  options: LengthChartOptions = {},
): Promise<{ svgPath: string; pngPath: string }> {
  return writeChartFiles(await renderLengthChart(curves, options), outPrefix);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readPoint(value: unknown, where: string): LengthCurvePoint {
  if (!isRecord(value)) throw new Error(`${where}: expected an object`);
  const { bucket, min, max, count, score } = value;
  const bad = (key: string, want: string) => new Error(`${where}: "${key}" must be ${want}`);
  if (typeof bucket !== "string") throw bad("bucket", "a string");
  if (typeof min !== "number" || !Number.isInteger(min) || min < 0) throw bad("min", "an integer ≥ 0");
  if (max !== null && (typeof max !== "number" || max < min)) throw bad("max", "null or a number ≥ min");
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0)
    throw bad("count", "an integer ≥ 0");
  if (typeof score !== "number" || !Number.isFinite(score)) throw bad("score", "a finite number");
  return { bucket, min, max, count, score };
}

/**
 * Reads one curve from a benchmark's results JSON: `{ byLength: { buckets: [{ bucket, min, max, count,
 * score }] } }` labelled by `label` (or the JSON's own `label`). `where` names the file in errors.
 */
export function lengthCurveFromJson(value: unknown, where: string, label?: string): LengthCurve {
  if (!isRecord(value)) throw new Error(`${where}: expected a JSON object`);
  const byLength = value["byLength"];
  if (!isRecord(byLength) || !Array.isArray(byLength["buckets"])) {
    throw new Error(`${where}: no "byLength.buckets" array (written by bench/multi30k.ts)`);
  }
  const name = label ?? value["label"];
  if (typeof name !== "string" || name === "")
    throw new Error(`${where}: no "label" string to name the curve`);
  const points = byLength["buckets"].map((p, i) => readPoint(p, `${where}: byLength.buckets[${i}]`));
  return { label: name, points };
}
