// Inference graphs of the Transformer with the weights baked in as initializers (ORT pre-packs constant
// weights): the encoder also projects every layer's cross-attention keys/values once per input, and the
// decoder step extends the self-attention key/value cache.

import { Builder } from "../graph/composites.ts";
import type { Graph } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { buildDecoderStep, keyValueInputs, keyValueOutputs, selfAttentionCache } from "./key-value-io.ts";
import { type InferenceGraphs, IO } from "./seq2seq.ts";
import type { Transformer } from "./transformer.ts";

/**
 * Encoder: src_ids [batch, srcLen] -> cross_key_i / cross_value_i [batch, heads, srcLen, d_head].
 * Decoder step: tgt_ids [batch, t], src_ids, past_length [1], cross_*, past_key_i / past_value_i
 * [batch, heads, past, d_head] -> logits [batch, t, V], cross_attention [batch, t, srcLen] (last layer,
 * mean over heads), present_key_i / present_value_i [batch, heads, past + t, d_head].
 */
export function transformerInferenceGraphs(
  model: Transformer,
  weights: ReadonlyMap<string, Float32Array>,
): InferenceGraphs {
  const layers = model.decoderLayers.length;
  const kvShape = (len: string) => ["batch", model.config.heads, len, model.headDim] as const;

  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const src = eb.input(IO.src, "int64", ["batch", "srcLen"]);
  const encoderOutputs = keyValueOutputs("cross", model.crossKeyValues(es, model.encode(es, src)));
  const encoder = eb.build("encoder", encoderOutputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const stepSrc = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const cross = keyValueInputs(b, "cross", layers, kvShape("srcLen"));
  const past = keyValueInputs(b, "past", layers, kvShape("past"));
  const memoryBias = model.sourceBias(s, stepSrc); // [batch, 1, 1, srcLen]
  const out = model.decode(s, tgt, undefined, memoryBias, { length: pastLength, keyValues: past }, cross);
  const decoderStep = buildDecoderStep(b, { ...out, keyValues: out.selfKeyValues });
  const cache = selfAttentionCache(layers, kvShape("past"));
  return { encoder, encoderOutputs: Object.keys(encoderOutputs), decoderStep, cache };
}

/** Teacher-forced logits over a whole target prefix, no cache (the reference for cache tests). */
export function buildFullDecoderGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const memory = model.encode(s, src); // [batch, srcLen, d_model]
  const logits = model.decode(s, tgt, memory, model.sourceBias(s, src)).logits; // [batch, t, V]
  return b.build("full_decoder", { [IO.logits]: logits });
}

/** The encoder's last hidden state: src_ids [batch, srcLen] -> `encoder_output` [batch, srcLen, d_model]. */
export function buildEncoderOutputGraph(
  model: Transformer,
  weights: ReadonlyMap<string, Float32Array>,
): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
  return b.build("encoder_output", { encoder_output: model.encode(s, src) });
}
