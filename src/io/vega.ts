// Renders any Vega-Lite chart to SVG (vega, headless) and PNG (resvg), with one font everywhere so the
// output looks the same on every machine. Training plots and benchmark charts are built on this.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "./atomic.ts";

/** Font used for all chart text; Debian/Ubuntu ship it as `fonts-dejavu-core`. */
export const DEFAULT_CHART_FONT = "DejaVu Sans";

/** A rendered chart: standalone SVG text and PNG bytes. */
export interface RenderedChart {
  svg: string;
  png: Uint8Array;
}

export interface RenderOptions {
  /** PNG pixels per SVG unit (default 2, for sharp text). */
  scale?: number;
  /** PNG background colour (default white; the SVG keeps the spec's own background). */
  background?: string;
  /** Font family for all text (default DejaVu Sans); a `font` in the spec's own config wins. */
  font?: string;
}

/** Compiles a Vega-Lite spec and renders it headlessly to SVG text. */
export async function vegaLiteToSvg(spec: TopLevelSpec, font = DEFAULT_CHART_FONT): Promise<string> {
  const withFont = { ...spec, config: { font, ...spec.config } } as TopLevelSpec;
  const vegaSpec = compile(withFont).spec;
  const view = new View(parse(vegaSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes with resvg, using system fonts and `font` as the default family. */
export function svgToPng(svg: string, options: RenderOptions = {}): Uint8Array {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: options.font ?? DEFAULT_CHART_FONT },
    background: options.background ?? "white",
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    logLevel: "off",
  });
  return new Uint8Array(resvg.render().asPng());
}

/** Renders a Vega-Lite spec to both SVG and PNG. */
export async function renderVegaLite(
  spec: TopLevelSpec,
  options: RenderOptions = {},
): Promise<RenderedChart> {
  const svg = await vegaLiteToSvg(spec, options.font);
  return { svg, png: svgToPng(svg, options) };
}

/** Writes `<outPrefix>.svg` and `<outPrefix>.png` (each atomically, creating the folder) and returns their paths. */
export async function writeChartFiles(
  chart: RenderedChart,
  outPrefix: string,
): Promise<{ svgPath: string; pngPath: string }> {
  await mkdir(path.dirname(path.resolve(outPrefix)), { recursive: true });
  const svgPath = `${outPrefix}.svg`;
  const pngPath = `${outPrefix}.png`;
  await writeFileAtomic(svgPath, chart.svg);
  await writeFileAtomic(pngPath, chart.png);
  return { svgPath, pngPath };
}
