// Inference graphs of Whisper with the weights baked in as initializers: the encoder reads input_features and
// projects every decoder layer's cross-attention keys/values once; the decoder step extends the self-attention cache.

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { type CacheSlot, type InferenceGraphs, IO } from "./seq2seq.ts";
import type { Whisper } from "./whisper.ts";

const crossKey = (i: number) => `cross_key_${i}`;
const crossValue = (i: number) => `cross_value_${i}`;
const pastKey = (i: number) => `past_key_${i}`;
const pastValue = (i: number) => `past_value_${i}`;
const presentKey = (i: number) => `present_key_${i}`;
const presentValue = (i: number) => `present_value_${i}`;

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
  const headDim = c.dModel / c.heads;
  const layers = model.decoderLayers.map((_, i) => i);

  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const cross = model.crossKeyValues(es, model.encode(es, model.featuresInput(es)));
  const encoderOutputs: Record<string, Value> = {};
  for (const i of layers) {
    encoderOutputs[crossKey(i)] = cross[i]!.key;
    encoderOutputs[crossValue(i)] = cross[i]!.value;
  }
  const encoder = eb.build("encoder", encoderOutputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const kvShape = (len: string) => ["batch", c.heads, len, headDim] as const;
  const crossIn = layers.map((i) => ({
    key: b.input(crossKey(i), "float32", kvShape("positions")),
    value: b.input(crossValue(i), "float32", kvShape("positions")),
  }));
  const past = layers.map((i) => ({
    key: b.input(pastKey(i), "float32", kvShape("past")),
    value: b.input(pastValue(i), "float32", kvShape("past")),
  }));
  const out = model.decode(s, tgt, undefined, { length: pastLength, keyValues: past }, crossIn);
  const stepOutputs: Record<string, Value> = {
    [IO.logits]: out.logits,
    [IO.crossAttention]: out.crossAttention,
  };
  out.selfKeyValues.forEach((kv, i) => {
    stepOutputs[presentKey(i)] = kv.key;
    stepOutputs[presentValue(i)] = kv.value;
  });
  const decoderStep = b.build("decoder_step", stepOutputs);

  const cache: CacheSlot[] = layers.flatMap((i) =>
    [
      [pastKey(i), presentKey(i)],
      [pastValue(i), presentValue(i)],
    ].map(([input, output]) => ({
      input: input!,
      output: output!,
      shape: kvShape("past"),
      init: { kind: "empty", axis: 2 } as const,
    })),
  );
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
