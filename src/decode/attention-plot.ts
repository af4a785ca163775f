// Attention heat maps: how much each output token attended to each source token (the last decoder
// layer's cross-attention, averaged over heads), drawn with Vega-Lite as SVG or PNG.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../io/atomic.ts";
import { renderVegaLite, vegaLiteToSvg } from "../io/vega.ts";

export interface AttentionPlotInput {
  /** Source pieces (x axis): [srcLen]. */
  sourceTokens: readonly string[];
  /** Output pieces (y axis): [outLen]. */
  outputTokens: readonly string[];
  /** Weights [outLen][srcLen]. */
  attention: readonly (readonly number[])[];
  title?: string;
}

/** A token as an axis label: spaces made visible, long pieces shortened. */
function label(token: string): string {
  const visible = token.replace(/ /g, "␣");
  return visible.length > 16 ? `${visible.slice(0, 15)}…` : visible;
}

/**
 * The Vega-Lite heat map spec. Positions (not token texts) are the axis values, so repeated tokens get
 * their own rows and columns; the labels show the tokens.
 */
export function attentionPlotSpec(input: AttentionPlotInput): TopLevelSpec {
  const { sourceTokens, outputTokens, attention } = input;
  if (
    attention.length !== outputTokens.length ||
    attention.some((row) => row.length !== sourceTokens.length)
  ) {
    throw new Error(
      `attention must be [${outputTokens.length} output tokens][${sourceTokens.length} source tokens]`,
    );
  }
  const values = attention.flatMap((row, out) =>
    row.map((weight, src) => ({ src, out, weight, source: sourceTokens[src], output: outputTokens[out] })),
  );
  const labels = (tokens: readonly string[]) => `${JSON.stringify(tokens.map(label))}[datum.value]`;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    ...(input.title === undefined ? {} : { title: input.title }),
    data: { values },
    mark: "rect" as const,
    width: { step: 22 },
    height: { step: 22 },
    encoding: {
      x: {
        field: "src",
        type: "ordinal" as const,
        title: "source",
        axis: { orient: "top" as const, labelExpr: labels(sourceTokens), labelAngle: 0 },
      },
      y: {
        field: "out",
        type: "ordinal" as const,
        title: "output",
        axis: { labelExpr: labels(outputTokens) },
      },
      color: {
        field: "weight",
        type: "quantitative" as const,
        title: "attention",
        scale: { scheme: "blues" as const, domain: [0, 1] },
      },
      tooltip: [
        { field: "source", type: "nominal" as const },
        { field: "output", type: "nominal" as const },
        { field: "weight", type: "quantitative" as const, format: ".3f" },
      ],
    },
  };
  return spec as TopLevelSpec;
}

/** Writes the heat map to `file` atomically: PNG when the name ends in .png, else SVG. */
export async function writeAttentionPlot(file: string, input: AttentionPlotInput): Promise<void> {
  const spec = attentionPlotSpec(input);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  if (file.toLowerCase().endsWith(".png")) {
    await writeFileAtomic(file, (await renderVegaLite(spec)).png);
  } else {
    await writeFileAtomic(file, await vegaLiteToSvg(spec));
  }
}
