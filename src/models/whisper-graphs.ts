// Inference graphs of Whisper with the weights baked in as initializers: the encoder reads input_features and
// projects every decoder layer's cross-attention keys/values once; the decoder step extends the self-attention cache.

import { Builder } from "../graph/composites.ts";
import type { Graph } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { buildDecoderStep, keyValueInputs, keyValueOutputs, selfAttentionCache } from "./key-value-io.ts";
import { type InferenceGraphs, IO } from "./seq2seq.ts";
import type { Whisper } from "./whisper.ts";

/**
 * Encoder: input_features [batch, nMels, frames] (and feature_lengths [batch] with maskPadding) ->
 * cross_key_i / cross_value_i [batch, heads, positions, d_head] (and memory_bias [batch, 1, 1, positions]).
 * Decoder step: tgt_ids [batch, t], past_length [1], cross_* (and memory_bias), past_key_i / past_value_i
 * [batch, heads, past, d_head] -> logits [batch, t, V], cross_attention [batch, t, positions],
 * present_key_i / present_value_i.
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
  const features = model.featuresInput(es);
  const lengths = model.lengthsInput(es);
  const memory = model.encode(es, features, lengths); // [batch, positions, d_model]
  const encoderOutputs = keyValueOutputs("cross", model.crossKeyValues(es, memory));
  if (lengths) encoderOutputs[IO.memoryBias] = model.memoryBias(es, lengths, memory); // [batch, 1, 1, positions]
  const encoder = eb.build("encoder", encoderOutputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const cross = keyValueInputs(b, "cross", layers, kvShape("positions"));
  const past = keyValueInputs(b, "past", layers, kvShape("past"));
  const memoryBias = c.maskPadding
    ? b.input(IO.memoryBias, "float32", ["batch", 1, 1, "positions"])
    : undefined;
  const out = model.decode(s, tgt, undefined, memoryBias, { length: pastLength, keyValues: past }, cross);
  const decoderStep = buildDecoderStep(b, { ...out, keyValues: out.selfKeyValues });
  const cache = selfAttentionCache(layers, kvShape("past"));
  return { encoder, encoderOutputs: Object.keys(encoderOutputs), decoderStep, cache };
}

/**
 * The encoder's last hidden state: input_features (and feature_lengths with maskPadding) -> `encoder_output`
 * [batch, positions, d_model].
 */
export function buildWhisperEncoderGraph(model: Whisper, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const memory = model.encode(s, model.featuresInput(s), model.lengthsInput(s));
  return b.build("encoder_output", { encoder_output: memory });
}

/**
 * Teacher-forced logits: input_features (and feature_lengths with maskPadding) and tgt_ids [batch, t] ->
 * logits [batch, t, V] (no cache).
 */
export function buildWhisperFullGraph(model: Whisper, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const features = model.featuresInput(s);
  const lengths = model.lengthsInput(s);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const memory = model.encode(s, features, lengths); // [batch, positions, d_model]
  const bias = lengths && model.memoryBias(s, lengths, memory);
  return b.build("full_decoder", { [IO.logits]: model.decode(s, tgt, memory, bias).logits });
}
