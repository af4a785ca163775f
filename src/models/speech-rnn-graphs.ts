// Inference graphs of the context-vector speech RNN with the weights baked in: the encoder (unrolled to
// maxFrames) gives c and the decoder's first state; the decoder step carries its GRU state in a cache slot.

import { Builder } from "../graph/composites.ts";
import type { Value } from "../graph/ir.ts";
import { ConstantScope } from "../nn/module.ts";
import { type InferenceGraphs, IO } from "./seq2seq.ts";
import type { SpeechContextRnn } from "./speech-rnn.ts";

/**
 * Encoder: input_features [batch, nMels, frames ≤ maxFrames], feature_lengths [batch] -> context [batch, H],
 * init_h [batch, H].
 * Decoder step: tgt_ids [batch, 1], past_length (unused), context, past_h [batch, H] -> logits [batch, 1, V],
 * cross_attention [batch, 1, 1] (zeros: no attention), present_h.
 */
export function speechRnnInferenceGraphs(
  model: SpeechContextRnn,
  weights: ReadonlyMap<string, Float32Array>,
): InferenceGraphs {
  const H = model.config.hiddenDim;
  const eb = new Builder();
  const es = new ConstantScope(eb, weights);
  const features = eb.input(IO.features, "float32", ["batch", model.featureSize, "frames"]);
  const lengths = eb.input(IO.featureLengths, "int64", ["batch"]);
  const encoded = model.encode(es, features, model.maxSourceLength, lengths);
  const encoder = eb.build("encoder", { context: encoded.context, init_h: encoded.initial });

  const b = new Builder();
  const s = new ConstantScope(b, weights);
  const tgt = b.input(IO.tgt, "int64", ["batch", 1]);
  const pastLength = b.input(IO.pastLength, "int64", [1]);
  const context = b.input("context", "float32", ["batch", H]);
  const past = b.input("past_h", "float32", ["batch", H]);
  const input = b.squeeze(model.embedTarget(s, tgt), [1]); // [batch, E]
  const step = model.decodeStep(s, input, context, past);
  const logits = model.readout(s, b.unsqueeze(step.features, [1])); // [batch, 1, V]
  const none = b.constantOfShape(b.concat([b.dimOf(tgt, 0), b.ints([1, 1])], 0), ["batch", 1, 1], 0);
  const outputs: Record<string, Value> = {
    [IO.logits]: logits,
    [IO.crossAttention]: none, // [batch, 1, 1] zeros
    present_h: step.h,
  };
  const decoderStep = b.build("decoder_step", outputs, { inputs: [tgt, pastLength, context, past] });
  return {
    encoder,
    encoderOutputs: ["context"],
    decoderStep,
    cache: [
      {
        input: "past_h",
        output: "present_h",
        shape: ["batch", H],
        init: { kind: "encoder", name: "init_h" },
      },
    ],
  };
}
