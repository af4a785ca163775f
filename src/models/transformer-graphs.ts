// Inference graphs of the Transformer with the weights baked in as initializers (ORT pre-packs constant
// weights): the encoder also projects every layer's cross-attention keys/values once per input, and the
// decoder step extends the self-attention key/value cache.

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { type CacheSlot, type InferenceGraphs, IO } from "./seq2seq.ts";
import type { Transformer } from "./transformer.ts";

const crossKey = (i: number) => `cross_key_${i}`;
const crossValue = (i: number) => `cross_value_${i}`;
const pastKey = (i: number) => `past_key_${i}`;
const pastValue = (i: number) => `past_value_${i}`;
const presentKey = (i: number) => `present_key_${i}`;
const presentValue = (i: number) => `present_value_${i}`;

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
  const c = model.config;
  const headDim = model.headDim;
  const layers = model.decoderLayers.map((_, i) => i);

  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const src = eb.input(IO.src, "int64", ["batch", "srcLen"]);
  const cross = model.crossKeyValues(es, model.encode(es, src));
  const encoderOutputs: Record<string, Value> = {};
  for (const i of layers) {
    encoderOutputs[crossKey(i)] = cross[i]!.key;
    encoderOutputs[crossValue(i)] = cross[i]!.value;
  }
  const encoder = eb.build("encoder", encoderOutputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const stepSrc = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const kvShape = (len: string) => ["batch", c.heads, len, headDim] as const;
  const crossIn = layers.map((i) => ({
    key: b.input(crossKey(i), "float32", kvShape("srcLen")),
    value: b.input(crossValue(i), "float32", kvShape("srcLen")),
  }));
  const past = layers.map((i) => ({
    key: b.input(pastKey(i), "float32", kvShape("past")),
    value: b.input(pastValue(i), "float32", kvShape("past")),
  }));
  const memoryBias = model.sourceBias(s, stepSrc); // [batch, 1, 1, srcLen]
  const out = model.decode(s, tgt, undefined, memoryBias, { length: pastLength, keyValues: past }, crossIn);
  const stepOutputs: Record<string, Value> = {
    [IO.logits]: out.logits,
    [IO.crossAttention]: out.crossAttention,
  };
  out.selfKeyValues.forEach((kv, i) => {
    stepOutputs[presentKey(i)] = kv.key;
    stepOutputs[presentValue(i)] = kv.value;
  });
  const decoderStep = b.build("decoder_step", stepOutputs);

  const cache: CacheSlot[] = layers.flatMap((i) => [
    {
      input: pastKey(i),
      output: presentKey(i),
      shape: kvShape("past"),
      init: { kind: "empty", axis: 2 },
    } as const,
    {
      input: pastValue(i),
      output: presentValue(i),
      shape: kvShape("past"),
      init: { kind: "empty", axis: 2 },
    } as const,
  ]);
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
