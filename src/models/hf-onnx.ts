// The Transformer as the two ONNX graphs of the Hugging Face Optimum / transformers.js seq2seq layout:
// onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx (one graph for the first step and the cached
// ones; ONNX `If` is not in our IR, so the use_cache_branch input selects between two key/value sources).

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import { maskBias } from "../nn/attention.ts";
import { ConstantScope } from "../nn/module.ts";
import type { Transformer } from "./transformer.ts";

/** Names of the layout (as Optimum exports and transformers.js feeds them). */
export const HF_ONNX = {
  encoderFile: "onnx/encoder_model.onnx",
  decoderFile: "onnx/decoder_model_merged.onnx",
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  lastHiddenState: "last_hidden_state",
  encoderAttentionMask: "encoder_attention_mask",
  encoderHiddenStates: "encoder_hidden_states",
  useCacheBranch: "use_cache_branch",
  logits: "logits",
  past: (i: number, side: "decoder" | "encoder", kind: "key" | "value") =>
    `past_key_values.${i}.${side}.${kind}`,
  present: (i: number, side: "decoder" | "encoder", kind: "key" | "value") => `present.${i}.${side}.${kind}`,
} as const;

/** input_ids, attention_mask [batch_size, encoder_sequence_length] int64 -> last_hidden_state [.., d_model]. */
export function hfEncoderGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const ids = b.input(HF_ONNX.inputIds, "int64", ["batch_size", "encoder_sequence_length"]);
  const mask = b.input(HF_ONNX.attentionMask, "int64", ["batch_size", "encoder_sequence_length"]);
  const hidden = model.encode(s, ids, mask); // [batch_size, encoder_sequence_length, d_model]
  return b.build("encoder_model", { [HF_ONNX.lastHiddenState]: hidden }, { inputs: [ids, mask] });
}

/**
 * Picks the cached encoder keys/values when use_cache_branch is true, else the ones just computed from
 * encoder_hidden_states: both are concatenated along the sequence axis and the wanted part sliced out.
 * cached: [batch, heads, cachedLen, d_head]; fresh: [batch, heads, srcLen, d_head]; useCache: [1] bool.
 */
function selectKeyValue(b: Builder, useCache: Value, cached: Value, fresh: Value): Value {
  const use = b.cast(useCache, "int64"); // [1]
  const notUse = b.sub(1, use); // [1]
  const cachedLen = b.dimOf(cached, 2); // [1]
  const freshLen = b.dimOf(fresh, 2); // [1]
  const start = b.mul(notUse, cachedLen); // [1]
  const length = b.add(b.mul(use, cachedLen), b.mul(notUse, freshLen)); // [1]
  const both = b.concat([cached, fresh], 2); // [batch, heads, cachedLen + srcLen, d_head]
  return b.sliceDynamic(both, 2, start, b.add(start, length), "encoder_sequence_length_out");
}

/**
 * The merged decoder. Inputs: encoder_attention_mask [batch_size, encoder_sequence_length], input_ids
 * [batch_size, decoder_sequence_length], encoder_hidden_states [.., d_model], past_key_values.{i}.decoder.*
 * [batch_size, heads, past_decoder_sequence_length, d_head] (length 0 on the first step),
 * past_key_values.{i}.encoder.* [batch_size, heads, encoder_sequence_length_out, d_head], use_cache_branch
 * bool[1]. Outputs: logits [batch_size, decoder_sequence_length, V] and present.{i}.{decoder|encoder}.*.
 */
export function hfDecoderMergedGraph(model: Transformer, weights: ReadonlyMap<string, Float32Array>): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const heads = model.config.heads;
  const headDim = model.headDim;
  const mask = b.input(HF_ONNX.encoderAttentionMask, "int64", ["batch_size", "encoder_sequence_length"]);
  const ids = b.input(HF_ONNX.inputIds, "int64", ["batch_size", "decoder_sequence_length"]);
  const hidden = b.input(HF_ONNX.encoderHiddenStates, "float32", [
    "batch_size",
    "encoder_sequence_length",
    model.config.dModel,
  ]);
  const kv = (name: string, len: string) => b.input(name, "float32", ["batch_size", heads, len, headDim]);
  const layers = model.decoderLayers.map((_, i) => ({
    selfKey: kv(HF_ONNX.past(i, "decoder", "key"), "past_decoder_sequence_length"),
    selfValue: kv(HF_ONNX.past(i, "decoder", "value"), "past_decoder_sequence_length"),
    crossKey: kv(HF_ONNX.past(i, "encoder", "key"), "encoder_sequence_length_out"),
    crossValue: kv(HF_ONNX.past(i, "encoder", "value"), "encoder_sequence_length_out"),
  }));
  const useCache = b.input(HF_ONNX.useCacheBranch, "bool", [1]);
  const fresh = model.crossKeyValues(s, hidden); // per layer [batch, heads, encoder_sequence_length, d_head]
  const cross = layers.map((l, i) => ({
    key: selectKeyValue(b, useCache, l.crossKey, fresh[i]!.key),
    value: selectKeyValue(b, useCache, l.crossValue, fresh[i]!.value),
  }));
  const pastLength = b.dimOf(layers[0]!.selfKey, 2); // [1]
  const past = { length: pastLength, keyValues: layers.map((l) => ({ key: l.selfKey, value: l.selfValue })) };
  const out = model.decode(s, ids, undefined, maskBias(s, mask), past, cross);
  const outputs: Record<string, Value> = { [HF_ONNX.logits]: out.logits };
  out.selfKeyValues.forEach((selfKv, i) => {
    outputs[HF_ONNX.present(i, "decoder", "key")] = selfKv.key;
    outputs[HF_ONNX.present(i, "decoder", "value")] = selfKv.value;
    outputs[HF_ONNX.present(i, "encoder", "key")] = cross[i]!.key;
    outputs[HF_ONNX.present(i, "encoder", "value")] = cross[i]!.value;
  });
  const inputs = [
    mask,
    ids,
    hidden,
    ...layers.flatMap((l) => [l.selfKey, l.selfValue, l.crossKey, l.crossValue]),
    useCache,
  ];
  return b.build("decoder_model_merged", outputs, { inputs });
}
