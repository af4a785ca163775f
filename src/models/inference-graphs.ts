// Inference graphs of the Transformer with the weights baked in as initializers (ORT pre-packs constant
// weights): an encoder graph, and a decoder-step graph that extends a self-attention key/value cache.

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import type { Transformer } from "./transformer.ts";

/** Input and output names of the inference graphs. */
export const INFER_IO = {
  src: "src_ids",
  memory: "memory",
  tgt: "tgt_ids",
  pastLength: "past_length",
  logits: "logits",
  crossAttention: "cross_attention",
  pastKey: (i: number) => `past_key_${i}`,
  pastValue: (i: number) => `past_value_${i}`,
  presentKey: (i: number) => `present_key_${i}`,
  presentValue: (i: number) => `present_value_${i}`,
} as const;

/** src_ids [batch, srcLen] int64 -> memory [batch, srcLen, d_model]. */
export function buildEncoderGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(INFER_IO.src, "int64", ["batch", "srcLen"]);
  return b.build("encoder", { [INFER_IO.memory]: model.encode(s, src) });
}

/**
 * One decoder call over t new tokens with a cache of `past` earlier ones.
 * Inputs: tgt_ids [batch, t], memory [batch, srcLen, d_model], src_ids [batch, srcLen], past_length [1] int64,
 * past_key_i / past_value_i [batch, heads, past, d_head] (past may be 0).
 * Outputs: logits [batch, t, V], present_key_i / present_value_i [batch, heads, past + t, d_head],
 * cross_attention [batch, t, srcLen] (last layer, mean over heads).
 */
export function buildDecoderStepGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const c = model.config;
  const headDim = c.dModel / c.heads;
  const tgt = b.input(INFER_IO.tgt, "int64", ["batch", "t"]);
  const memory = b.input(INFER_IO.memory, "float32", ["batch", "srcLen", c.dModel]);
  const src = b.input(INFER_IO.src, "int64", ["batch", "srcLen"]);
  const pastLength = b.input(INFER_IO.pastLength, "int64", [1]);
  const keyValues = model.decoderLayers.map((_, i) => ({
    key: b.input(INFER_IO.pastKey(i), "float32", ["batch", c.heads, "past", headDim]),
    value: b.input(INFER_IO.pastValue(i), "float32", ["batch", c.heads, "past", headDim]),
  }));
  const out = model.decode(s, tgt, memory, src, { length: pastLength, keyValues });
  const outputs: Record<string, Value> = {
    [INFER_IO.logits]: out.logits,
    [INFER_IO.crossAttention]: out.crossAttention,
  };
  out.selfKeyValues.forEach((kv, i) => {
    outputs[INFER_IO.presentKey(i)] = kv.key;
    outputs[INFER_IO.presentValue(i)] = kv.value;
  });
  return b.build("decoder_step", outputs);
}

/** Teacher-forced logits over a whole target prefix, no cache (the reference for cache tests). */
export function buildFullDecoderGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(INFER_IO.src, "int64", ["batch", "srcLen"]);
  const tgt = b.input(INFER_IO.tgt, "int64", ["batch", "t"]);
  const memory = model.encode(s, src);
  return b.build("full_decoder", { [INFER_IO.logits]: model.decode(s, tgt, memory, src).logits });
}
