// Inference graphs of the prefix LM with the weights baked in: the "encoder" runs the source prefix once
// and hands every layer's keys/values to the decoder step as its initial cache, which each step extends.

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import { ConstantScope, type Scope } from "../nn/module.ts";
import type { PrefixLm } from "./decoder-only.ts";
import { buildDecoderStep, keyValueInputs, keyValueOutputs, selfAttentionCache } from "./key-value-io.ts";
import { type KeyValue, prefixLmBias, tokenCounts } from "./self-attention-stack.ts";
import { type InferenceGraphs, IO } from "./seq2seq.ts";

/**
 * The source prefix through every layer: srcIds [batch, src] -> per-layer keys/values
 * [batch, heads, src, d_head]. Source positions never see targets, so these equal the full forward's.
 */
export function encodePrefix(model: PrefixLm, s: Scope, srcIds: Value): KeyValue[] {
  const b = s.b;
  const srcLen = b.reshape(b.dimOf(srcIds, 1), []); // []
  const index = b.range(b.scalar(0, "int64"), srcLen, b.scalar(1, "int64"), srcIds.shape[1]!); // [src]
  const valid = b.not(b.equal(srcIds, model.padId)); // [batch, src]
  const prefix = model.config.prefixAttention === "bidirectional" ? srcLen : undefined;
  const bias = prefixLmBias(s, valid, index, prefix); // [batch, 1, src, src]
  return model.stack(s, model.embedTokens(s, srcIds, index), bias).keyValues;
}

/**
 * Target tokens tgtIds [batch, t] after `pastLength` ([1] int64) earlier target tokens, with per-layer caches
 * [batch, heads, src + past, d_head] that begin with the source prefix. Returns logits [batch, t, tgtVocab],
 * the caches extended to src + past + t, and the attention over the source [batch, t, src] (last layer, mean over heads).
 */
export function decodeStep(
  model: PrefixLm,
  s: Scope,
  tgtIds: Value,
  srcIds: Value,
  pastLength: Value,
  past: readonly KeyValue[],
): { logits: Value; keyValues: KeyValue[]; crossAttention: Value } {
  const b = s.b;
  const one = b.scalar(1, "int64");
  const t = b.reshape(b.dimOf(tgtIds, 1), []); // []
  const before = b.reshape(b.add(b.dimOf(srcIds, 1), pastLength), []); // [] tokens already in the cache
  const queryIndex = b.range(before, b.add(before, t), one, tgtIds.shape[1]!); // [t]
  const steps = b.range(b.scalar(0, "int64"), t, one, tgtIds.shape[1]!); // [t]
  const offset = b.add(tokenCounts(s, srcIds, model.padId), pastLength); // [batch, 1]
  const positions = b.add(offset, steps); // [batch, t] (source padding skipped)
  const tail = b.concat([b.dimOf(tgtIds, 0), b.add(pastLength, b.dimOf(tgtIds, 1))], 0); // [2]
  const keyValid = b.concat(
    [b.not(b.equal(srcIds, model.padId)), b.constantOfShape(tail, ["batch", "past+t"], 1, "bool")],
    1,
  ); // [batch, src + past + t]
  const bias = prefixLmBias(s, keyValid, queryIndex); // [batch, 1, t, src + past + t]
  const x = model.embedTokens(s, model.targetRows(s, tgtIds), positions); // [batch, t, d_model]
  const out = model.stack(s, x, bias, past);
  const onSource = b.sliceDynamic(out.weights, 3, b.ints([0]), b.dimOf(srcIds, 1), srcIds.shape[1]!); // [batch, heads, t, src]
  return {
    logits: model.project(s, out.hidden), // [batch, t, tgtVocab]
    keyValues: out.keyValues,
    crossAttention: b.reduceMean(onSource, [1], false), // [batch, t, src]
  };
}

/**
 * Encoder: src_ids [batch, srcLen] -> prefix_key_i / prefix_value_i [batch, heads, srcLen, d_head], which
 * only initialise the cache (encoderOutputs is empty: the step reads them from the cache slots).
 * Decoder step: tgt_ids [batch, t], src_ids, past_length [1], past_key_i / past_value_i
 * [batch, heads, srcLen + past, d_head] -> logits [batch, t, V], cross_attention [batch, t, srcLen],
 * present_key_i / present_value_i [batch, heads, srcLen + past + t, d_head].
 */
export function prefixLmInferenceGraphs(
  model: PrefixLm,
  weights: ReadonlyMap<string, Float32Array>,
): InferenceGraphs {
  const layers = model.layers.length;
  const kvShape = ["batch", model.config.heads, "past", model.layers[0]!.selfAttn.headDim] as const;

  const eb = new Builder();
  const src = eb.input(IO.src, "int64", ["batch", "srcLen"]);
  const prefix = encodePrefix(model, new ConstantScope(eb, weights), src);
  const encoder = eb.build("encoder", keyValueOutputs("prefix", prefix));

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const stepSrc = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const past = keyValueInputs(b, "past", layers, kvShape);
  const decoderStep = buildDecoderStep(b, decodeStep(model, s, tgt, stepSrc, pastLength, past));
  const cache = selfAttentionCache(layers, kvShape, "prefix");
  return { encoder, encoderOutputs: [], decoderStep, cache };
}

/** Teacher-forced logits and source attention over a whole target prefix, no cache (the reference for cache tests). */
export function buildPrefixLmFullGraph(model: PrefixLm, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const out = model.forward(s, src, tgt);
  return b.build("full_decoder", { [IO.logits]: out.logits, [IO.crossAttention]: out.crossAttention });
}
