// Graphs of the recurrent families with the weights baked in: the encoder unrolled to maxSourceLength (shorter
// sources are padded inside it and its outputs cut back), a decoder step whose RNN state lives in cache slots.

import { Builder } from "../graph/composites.ts";
import type { Graph, Value } from "../graph/ir.ts";
import type { Dim } from "../graph/shape.ts";
import { ConstantScope } from "../nn/module.ts";
import { maskBias } from "../nn/rnn-attention.ts";
import type { RecurrentSeq2Seq } from "./recurrent.ts";
import { type CacheSlot, type InferenceGraphs, IO } from "./seq2seq.ts";

const initName = (state: string) => `init_${state}`;
const pastName = (state: string) => `past_${state}`;
const presentName = (state: string) => `present_${state}`;

/**
 * Pads ids [batch, n] (n symbolic, <= length) with padId to [batch, length]. A longer batch fails at run
 * time (a negative-size ConstantOfShape) instead of being silently cut: callers check lengths first.
 */
export function padToLength(b: Builder, ids: Value, length: number, padId: number): Value {
  const missing = b.sub(b.ints([length]), b.dimOf(ids, 1)); // [1]: length − n
  const guard = b.cast(b.reduceSum(b.constantOfShape(missing, ["missing"], 0), [0]), "int64"); // [] = 0
  const pads = b.concat([b.ints([0, 0, 0]), missing], 0); // [4]
  const shifted = b.pad(b.sub(ids, padId), pads, [ids.shape[0]!, length]); // [batch, length], 0 at padding
  return b.add(shifted, b.add(guard, padId)); // [batch, length]
}

/** The decoder-step input shape of an encoder value: [batch, srcLen, D] or [batch, D]. */
function stepShape(v: Value): Dim[] {
  return v.shape.length === 3 ? ["batch", "srcLen", v.shape[2]!] : ["batch", ...v.shape.slice(1)];
}

/**
 * Encoder: src_ids [batch, srcLen] -> each memory value ([batch, srcLen, D] or [batch, D]) and init_<state>
 * [batch, D]. Decoder step: tgt_ids [batch, 1], src_ids, past_length (unused), the memory values, past_<state>
 * -> logits [batch, 1, V], cross_attention [batch, 1, srcLen] (zeros without attention), present_<state>.
 */
export function recurrentInferenceGraphs(
  model: RecurrentSeq2Seq,
  weights: ReadonlyMap<string, Float32Array>,
): InferenceGraphs {
  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const src = eb.input(IO.src, "int64", ["batch", "srcLen"]);
  const ids = padToLength(eb, src, model.maxSourceLength, model.padId); // [batch, S]
  const encoding = model.encode(es, ids, eb.not(eb.equal(ids, model.padId)));
  const encoderOutputs: Record<string, Value> = {};
  for (const [name, v] of Object.entries(encoding.memory)) {
    encoderOutputs[name] =
      v.shape.length === 3 ? eb.sliceDynamic(v, 1, eb.ints([0]), eb.dimOf(src, 1), "srcLen") : v; // [batch, srcLen, D]
  }
  const stateNames = Object.keys(encoding.initialState);
  const outputs: Record<string, Value> = { ...encoderOutputs };
  for (const name of stateNames) outputs[initName(name)] = encoding.initialState[name]!;
  const encoder = eb.build("encoder", outputs);

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", 1]);
  const stepSrc = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const memory: Record<string, Value> = {};
  for (const [name, v] of Object.entries(encoding.memory))
    memory[name] = b.input(name, "float32", stepShape(v));
  const past: Record<string, Value> = {};
  for (const name of stateNames) {
    past[name] = b.input(pastName(name), "float32", stepShape(encoding.initialState[name]!)); // [batch, D]
  }
  const bias = maskBias(s, b.not(b.equal(stepSrc, model.padId))); // [batch, srcLen]
  const input = b.squeeze(model.embedTarget(s, tgt), [1]); // [batch, E]
  const step = model.decodeStep(s, input, { memory, bias }, past);
  const crossAttention = step.attention
    ? b.unsqueeze(step.attention, [1]) // [batch, 1, srcLen]
    : b.unsqueeze(b.zerosLike(bias), [1]); // [batch, 1, srcLen]
  const stepOutputs: Record<string, Value> = {
    [IO.logits]: model.readout(s, b.unsqueeze(step.features, [1])), // [batch, 1, V]
    [IO.crossAttention]: crossAttention,
  };
  for (const name of stateNames) stepOutputs[presentName(name)] = step.state[name]!;
  const decoderStep = b.build("decoder_step", stepOutputs, {
    inputs: [tgt, stepSrc, pastLength, ...Object.values(memory), ...Object.values(past)],
  });

  const cache: CacheSlot[] = stateNames.map((name) => ({
    input: pastName(name),
    output: presentName(name),
    shape: stepShape(encoding.initialState[name]!),
    init: { kind: "encoder", name: initName(name) },
  }));
  return { encoder, encoderOutputs: Object.keys(encoderOutputs), decoderStep, cache };
}

/** Teacher-forced logits [batch, t, V] for src_ids [batch, srcLen] and tgt_ids [batch, t] (the reference for cache tests). */
export function buildRecurrentFullGraph(
  model: RecurrentSeq2Seq,
  weights: ReadonlyMap<string, Float32Array>,
): Graph {
  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const src = b.input(IO.src, "int64", ["batch", "srcLen"]);
  const tgt = b.input(IO.tgt, "int64", ["batch", "t"]);
  const bucket = { srcLen: model.maxSourceLength, tgtLen: model.maxTargetLength };
  return b.build("full_decoder", { [IO.logits]: model.logits(s, src, tgt, bucket) });
}
