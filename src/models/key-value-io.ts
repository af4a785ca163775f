// The per-layer key/value graph IO the attention families' inference graphs share: tensors named
// <kind>_key_i / <kind>_value_i, the decoder step's outputs and its past_* -> present_* cache slots.

import type { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import type { Shape } from "../graph/shape.ts";
import type { KeyValue } from "./self-attention-stack.ts";
import { type CacheSlot, IO } from "./seq2seq.ts";

/** What a decoder step computes: logits [batch, t, V], cross_attention [batch, t, src], each layer's keys/values. */
export interface DecoderStepOutput {
  logits: Value;
  crossAttention: Value;
  keyValues: readonly KeyValue[];
}

/** Graph IO names of layer i's keys and values: `${kind}_key_${i}` and `${kind}_value_${i}`. */
export function keyValueNames(kind: string, i: number): { key: string; value: string } {
  return { key: `${kind}_key_${i}`, value: `${kind}_value_${i}` };
}

/** Each layer's keys/values as graph outputs `${kind}_key_i` / `${kind}_value_i`, layer by layer. */
export function keyValueOutputs(kind: string, keyValues: readonly KeyValue[]): Record<string, Value> {
  const outputs: Record<string, Value> = {};
  keyValues.forEach((kv, i) => {
    const names = keyValueNames(kind, i);
    outputs[names.key] = kv.key;
    outputs[names.value] = kv.value;
  });
  return outputs;
}

/** One graph input pair `${kind}_key_i` / `${kind}_value_i` per layer, each float32 of `shape`. */
export function keyValueInputs(b: Builder, kind: string, layers: number, shape: Shape): KeyValue[] {
  return Array.from({ length: layers }, (_, i) => {
    const names = keyValueNames(kind, i);
    return { key: b.input(names.key, "float32", shape), value: b.input(names.value, "float32", shape) };
  });
}

/** The decoder step graph: outputs logits, cross_attention and each layer's present_key_i / present_value_i. */
export function buildDecoderStep(b: Builder, out: DecoderStepOutput): Graph {
  return b.build("decoder_step", {
    [IO.logits]: out.logits,
    [IO.crossAttention]: out.crossAttention,
    ...keyValueOutputs("present", out.keyValues),
  });
}

/**
 * The self-attention caches: past_key_i -> present_key_i and past_value_i -> present_value_i of `shape`
 * ([batch, heads, past, d_head]), each starting empty along "past", or from the encoder outputs
 * `${initFrom}_key_i` / `${initFrom}_value_i` when given.
 */
export function selfAttentionCache(layers: number, shape: Shape, initFrom?: string): CacheSlot[] {
  return Array.from({ length: layers }, (_, i) => {
    const [past, present] = [keyValueNames("past", i), keyValueNames("present", i)];
    const from = initFrom === undefined ? undefined : keyValueNames(initFrom, i);
    const slot = (input: string, output: string, name?: string): CacheSlot => ({
      input,
      output,
      shape,
      init: name === undefined ? { kind: "empty", axis: 2 } : { kind: "encoder", name },
    });
    return [slot(past.key, present.key, from?.key), slot(past.value, present.value, from?.value)];
  }).flat();
}
