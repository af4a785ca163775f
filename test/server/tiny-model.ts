// A tiny random-weight Transformer saved as a model folder (character tokenizers over a-h and space), for
// the server tests, the browser test and `npm run bench:serve`.

import { saveModelFolder } from "../../src/models/folder.ts";
import type { ModelConfig } from "../../src/models/registry.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "../../src/models/transformer.ts";
import { initialize } from "../../src/nn/init.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";

/** The characters the tiny model's tokenizers know. */
export const TINY_ALPHABET = "abcdefgh ";

/**
 * Saves a tiny Transformer (d 16, 2 heads, 1 + 1 layers) with seeded random weights in `dir`; `overrides`
 * change its config (e.g. a larger dModel for a slower model).
 */
export async function saveTinyModel(
  dir: string,
  overrides: Partial<TransformerConfig> = {},
  seed = 7,
): Promise<void> {
  const source = trainCharTokenizer([TINY_ALPHABET]);
  const target = trainCharTokenizer([TINY_ALPHABET]);
  const config: TransformerConfig = {
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: source.vocabSize,
    tgtVocabSize: target.vocabSize,
    shareEmbeddings: false,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 1,
    decoderLayers: 1,
    maxPositions: 64,
    dropout: 0,
    ...overrides,
  };
  const model = new Transformer(config);
  const weights = new Map<string, Float32Array>();
  for (const p of model.parameters()) {
    // Norm gains around 1 and non-zero biases, so outputs differ from input to input.
    const init =
      p.init.kind === "zeros" || p.init.kind === "ones" ? { kind: "normal" as const, std: 0.3 } : p.init;
    const data = initialize(init, p.shape, seed, p.name);
    if (p.init.kind === "ones") for (let i = 0; i < data.length; i++) data[i]! += 1;
    weights.set(p.name, data);
  }
  await saveModelFolder(dir, {
    config: { architecture: "transformer", ...config } as ModelConfig,
    model,
    weights,
    tokenizers: { source, target, joint: false },
  });
}
