// Inference graphs of Whisper with the weights baked in as initializers: the encoder reads input_features and
// projects every decoder layer's cross-attention keys/values once; the decoder step extends the self-attention cache.

import { Builder } from "../graph/composites.ts";
import type { Graph } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { buildDecoderStep, keyValueInputs, keyValueOutputs, selfAttentionCache } from "./key-value-io.ts";
import { type InferenceGraphs, IO } from "./seq2seq.ts";
import type { Whisper } from "./whisper.ts";

/**
 * Encoder: input_features [batch, nMels, frames] -> cross_key_i / cross_value_i [batch, heads, positions, d_head].
 * Decoder step: tgt_ids [batch, t], past_length [1], cross_*, past_key_i / past_value_i [batch, heads, past,
 * d_head] -> logits [batch, t, V], cross_attention [batch, t, positions], present_key_i / present_value_i.
 */
export function whisperInferenceGraphs(
  model: Whisper,
  weights: ReadonlyMap<string, Float32Array>,
): InferenceGraphs {
  const c = model.config;
  const layers = model.decoderLayers.length;
  const kvShape = (len: string) => ["batch", c.heads, len, c.dModel / c.heads] as const;

  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const memory = model.encode(es, model.featuresInput(es)); // [batch, positions, d_model]
  const encoderOutputs = keyValueOutputs("cross", model.crossKeyValues(es, memory));
  const encoder = eb.build("encoder", encoderOutputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const cross = keyValueInputs(b, "cross", layers, kvShape("positions"));
  const past = keyValueInputs(b, "past", layers, kvShape("past"));
  const out = model.decode(s, tgt, undefined, { length: pastLength, keyValues: past }, cross);
  const decoderStep = buildDecoderStep(b, { ...out, keyValues: out.selfKeyValues });
  const cache = selfAttentionCache(layers, kvShape("past"));
  return { encoder, encoderOutputs: Object.keys(encoderOutputs), decoderStep, cache };
}

/** The encoder's last hidden state: input_features -> `encoder_output` [batch, positions, d_model]. */
export function buildWhisperEncoderGraph(model: Whisper, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  return b.build("encoder_output", { encoder_output: model.encode(s, model.featuresInput(s)) });
}

/** Teacher-forced logits: input_features and tgt_ids [batch, t] -> logits [batch, t, V] (no cache). */
export function buildWhisperFullGraph(model: Whisper, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const features = model.featuresInput(s);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  return b.build("full_decoder", { [IO.logits]: model.decode(s, tgt, model.encode(s, features)).logits });
}
