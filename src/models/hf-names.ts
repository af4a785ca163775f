// Parameter name tables: the Transformer names its parameters exactly as the Hugging Face checkpoints of
// the family its config matches, so importing and exporting safetensors is a mapping, not a rewrite.

import type { AttentionNames } from "../nn/attention.ts";
import { BART_LAYER_NAMES, type LayerNames } from "../nn/transformer-layers.ts";

/** Which checkpoint layout the parameters follow: BART's (also mBART, Marian, M2M100/NLLB) or T5's. */
export type Naming = "bart" | "t5";

/** Every checkpoint name the Transformer uses (layer internals relative to the layer prefix). */
export interface ModelNames {
  /** One embedding for source and target (and the tied output layer). */
  shared: string;
  encoderEmbed: string;
  decoderEmbed: string;
  encoderPositions: string;
  decoderPositions: string;
  /** LayerNorm right after the embeddings (BART's layernorm_embedding). */
  encoderEmbedNorm: string;
  decoderEmbedNorm: string;
  encoderLayer: (i: number) => string;
  decoderLayer: (i: number) => string;
  /** Final norms of pre-norm stacks. */
  encoderNorm: string;
  decoderNorm: string;
  lmHead: string;
  finalLogitsBias: string;
  /** T5's relative position biases, stored in the first block of each stack. */
  encoderRelativeBias: string;
  decoderRelativeBias: string;
  encoderLayerParts: LayerNames;
  decoderLayerParts: LayerNames;
}

export const BART_NAMES: ModelNames = {
  shared: "model.shared",
  encoderEmbed: "model.encoder.embed_tokens",
  decoderEmbed: "model.decoder.embed_tokens",
  encoderPositions: "model.encoder.embed_positions",
  decoderPositions: "model.decoder.embed_positions",
  encoderEmbedNorm: "model.encoder.layernorm_embedding",
  decoderEmbedNorm: "model.decoder.layernorm_embedding",
  encoderLayer: (i) => `model.encoder.layers.${i}`,
  decoderLayer: (i) => `model.decoder.layers.${i}`,
  encoderNorm: "model.encoder.layer_norm",
  decoderNorm: "model.decoder.layer_norm",
  lmHead: "lm_head",
  finalLogitsBias: "final_logits_bias",
  encoderRelativeBias: "model.encoder.relative_attention_bias",
  decoderRelativeBias: "model.decoder.relative_attention_bias",
  encoderLayerParts: BART_LAYER_NAMES,
  decoderLayerParts: BART_LAYER_NAMES,
};

const T5_ATTENTION: AttentionNames = { q: "q", k: "k", v: "v", out: "o" };

/** T5's block layout: layer.0 self-attention, (decoder: layer.1 cross-attention), then the FFN. */
function t5LayerNames(decoder: boolean, gated: boolean): LayerNames {
  const ffn = decoder ? "layer.2" : "layer.1";
  return {
    selfAttn: "layer.0.SelfAttention",
    selfAttnNorm: "layer.0.layer_norm",
    crossAttn: "layer.1.EncDecAttention",
    crossAttnNorm: "layer.1.layer_norm",
    ffn: `${ffn}.DenseReluDense`,
    fc1: gated ? "wi_0" : "wi",
    gate: "wi_1",
    fc2: "wo",
    finalNorm: `${ffn}.layer_norm`,
    attention: T5_ATTENTION,
  };
}

/** T5 names (T5ForConditionalGeneration); `gated` picks wi_0/wi_1 (v1.1) or wi (original). */
export function t5Names(gated: boolean): ModelNames {
  return {
    shared: "shared",
    encoderEmbed: "encoder.embed_tokens",
    decoderEmbed: "decoder.embed_tokens",
    encoderPositions: "encoder.embed_positions",
    decoderPositions: "decoder.embed_positions",
    encoderEmbedNorm: "encoder.layernorm_embedding",
    decoderEmbedNorm: "decoder.layernorm_embedding",
    encoderLayer: (i) => `encoder.block.${i}`,
    decoderLayer: (i) => `decoder.block.${i}`,
    encoderNorm: "encoder.final_layer_norm",
    decoderNorm: "decoder.final_layer_norm",
    lmHead: "lm_head",
    finalLogitsBias: "final_logits_bias",
    encoderRelativeBias: "encoder.block.0.layer.0.SelfAttention.relative_attention_bias",
    decoderRelativeBias: "decoder.block.0.layer.0.SelfAttention.relative_attention_bias",
    encoderLayerParts: t5LayerNames(false, gated),
    decoderLayerParts: t5LayerNames(true, gated),
  };
}

/** The name table of a naming scheme. */
export function modelNames(naming: Naming, gatedFfn: boolean): ModelNames {
  return naming === "t5" ? t5Names(gatedFfn) : BART_NAMES;
}

/**
 * Checkpoint keys that hold a copy of a tied tensor (Hugging Face writes tied weights once, but older or
 * other writers may store every copy): alias -> the name our model uses. Checked for equality on import.
 */
export function tiedAliases(names: ModelNames, shared: boolean, tiedOutput: boolean): Map<string, string> {
  const aliases = new Map<string, string>();
  const weight = (n: string) => `${n}.weight`;
  if (shared) {
    aliases.set(weight(names.encoderEmbed), weight(names.shared));
    aliases.set(weight(names.decoderEmbed), weight(names.shared));
  }
  if (tiedOutput) aliases.set(weight(names.lmHead), weight(shared ? names.shared : names.decoderEmbed));
  return aliases;
}
