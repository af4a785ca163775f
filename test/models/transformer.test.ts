// Golden behaviour of the Transformer's inference graphs in ONNX Runtime: a decoder step with a cache
// equals the full teacher-forced forward, and source padding never changes unpadded outputs.

import { describe, test } from "node:test";
import type { TransformerConfig } from "../../src/models/transformer.ts";
import { buildFullDecoderGraph } from "../../src/models/transformer-graphs.ts";
import { assertCacheMatchesFull, assertSourcePaddingFree, tinyTransformer } from "../helpers/model-checks.ts";

async function cacheMatchesFullForward(overrides: Partial<TransformerConfig>): Promise<void> {
  const { model, weights } = tinyTransformer(overrides);
  await assertCacheMatchesFull(model, weights, buildFullDecoderGraph(model, weights));
}

describe("decoder step with cache == full teacher-forced forward (1e-4)", () => {
  test("pre-LN, sinusoidal positions, tied embeddings", () => cacheMatchesFullForward({}));
  test("post-LN, learned positions, untied output, RMSNorm, GELU", () =>
    cacheMatchesFullForward({
      preNorm: false,
      positions: "learned",
      tieOutput: false,
      norm: "rms",
      activation: "gelu",
    }));
});

test("source padding never changes the outputs at unpadded positions", async () => {
  const { model, weights } = tinyTransformer();
  await assertSourcePaddingFree(model, weights, buildFullDecoderGraph(model, weights), [5, 6, 7]);
});
