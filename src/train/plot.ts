// Training curves: the training loss over steps, plus one panel per validation metric, written next to
// checkpoints as SVG and PNG so a run can be inspected without any notebook.

import type { TopLevelSpec } from "vega-lite";
import { type RenderedChart, type RenderOptions, renderVegaLite, writeChartFiles } from "../io/vega.ts";

/** One logged training step. */
export interface TrainRecord {
  step: number;
  loss: number;
}

/** One validation measurement, e.g. `{ step: 1000, metric: "bleu", value: 23.4 }`. */
export interface ValidationRecord {
  step: number;
  metric: string;
  value: number;
}

export interface TrainingRecords {
  train: TrainRecord[];
  validation?: ValidationRecord[];
}

export interface TrainingPlotOptions extends RenderOptions {
  title?: string;
  /** Width of each panel in pixels (default 560). */
  width?: number;
  /** Height of the loss panel (default 260; metric panels are 160). */
  height?: number;
  /** Training records beyond this count are averaged in equal buckets of steps (default 2000). */
  maxPoints?: number;
  /** Plot the training loss on a log scale (default false). */
  logLoss?: boolean;
}

/** Averages consecutive records into at most `maxPoints` buckets (step and loss both averaged). */
export function downsample(records: TrainRecord[], maxPoints: number): TrainRecord[] {
  if (records.length <= maxPoints) return records;
  const out: TrainRecord[] = [];
  const per = records.length / maxPoints;
  for (let b = 0; b < maxPoints; b++) {
    const chunk = records.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    if (chunk.length === 0) continue;
    const mean = (f: (r: TrainRecord) => number) => chunk.reduce((s, r) => s + f(r), 0) / chunk.length;
    out.push({ step: mean((r) => r.step), loss: mean((r) => r.loss) });
  }
  return out;
}

/** The Vega-Lite spec for a training plot: the loss panel on top, one row per validation metric below. */
export function trainingPlotSpec(records: TrainingRecords, options: TrainingPlotOptions = {}): TopLevelSpec {
  const width = options.width ?? 560;
  const train = downsample(
    records.train.filter((r) => Number.isFinite(r.loss)),
    options.maxPoints ?? 2000,
  );
  const validation = (records.validation ?? []).filter((r) => Number.isFinite(r.value));
  const lossPanel = {
    data: { values: train },
    mark: { type: "line" as const, strokeWidth: 1.5 },
    width,
    height: options.height ?? 260,
    encoding: {
      x: { field: "step", type: "quantitative" as const, title: "step" },
      y: {
        field: "loss",
        type: "quantitative" as const,
        title: "training loss",
        scale: options.logLoss ? { type: "log" as const } : { zero: false },
      },
    },
  };
  const spec = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", background: "white" };
  const title = options.title === undefined ? {} : { title: options.title };
  if (validation.length === 0) return { ...spec, ...title, ...lossPanel };
  const metricPanel = {
    data: { values: validation },
    facet: {
      row: {
        field: "metric",
        type: "nominal" as const,
        title: "validation",
        header: { labelAngle: 0, labelAlign: "left" as const, labelFontSize: 12 },
      },
    },
    resolve: { scale: { y: "independent" as const } },
    spec: {
      width,
      height: 160,
      layer: [{ mark: { type: "line" as const } }, { mark: { type: "point" as const, filled: true } }],
      encoding: {
        x: { field: "step", type: "quantitative" as const, title: "step" },
        y: { field: "value", type: "quantitative" as const, title: "value", scale: { zero: false } },
      },
    },
  };
  const shareSteps = { resolve: { scale: { x: "shared" as const } } };
  return { ...spec, ...title, ...shareSteps, vconcat: [lossPanel, metricPanel] } as TopLevelSpec;
}

/** Renders a training plot to SVG and PNG in memory. */
export async function renderTrainingPlot(
  records: TrainingRecords,
  options: TrainingPlotOptions = {},
): Promise<RenderedChart> {
  if (records.train.length === 0 && (records.validation ?? []).length === 0) {
    throw new Error("nothing to plot: no training or validation records");
  }
  return renderVegaLite(trainingPlotSpec(records, options), options);
}

/**
 * Writes `<outPrefix>.svg` and `<outPrefix>.png` (each atomically, creating the folder if needed) and
 * returns their paths.
 */
export async function writeTrainingPlot(
  records: TrainingRecords,
  outPrefix: string,
  options: TrainingPlotOptions = {},
): Promise<{ svgPath: string; pngPath: string }> {
  return writeChartFiles(await renderTrainingPlot(records, options), outPrefix);
}
