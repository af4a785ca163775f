// Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks": a deep LSTM reads the
// (reversed) source into its final states, which start a second deep LSTM that writes the target.

import type { Value } from "../graph/ir.ts";
import type { Embedding, Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import { LSTM } from "../nn/rnn.ts";
import {
  checkPositive,
  checkTiedOutput,
  familyInit,
  layerStates,
  namedStates,
  RECURRENT_DEFAULTS,
  type RecurrentConfig,
  type RecurrentEncoding,
  RecurrentSeq2Seq,
  type RecurrentStep,
  type SourceContext,
  type StepState,
  stackedRnn,
  uniformInit,
} from "./recurrent.ts";

export interface SutskeverConfig extends RecurrentConfig {
  embeddingDim: number;
  hiddenDim: number;
  /** LSTM layers of the encoder and of the decoder (the paper: 4). */
  layers: number;
  /** Read the source backwards (§3.3): the first source words end up next to the first target words. */
  reverseSource: boolean;
}

export const SUTSKEVER_DEFAULTS: SutskeverConfig = {
  ...RECURRENT_DEFAULTS,
  embeddingDim: 256,
  hiddenDim: 512,
  layers: 2,
  reverseSource: true,
};

/**
 * The LSTM encoder–decoder of Sutskever et al. 2014 (§2): the encoder's final (h, c) of every layer initialise
 * the decoder's, and p(y_t | ·) = softmax(W h_t) on the decoder's top layer. With `reverseSource` the encoder
 * reads the padded source backwards; padded steps carry the zero state, so it starts at each row's last token.
 * Initialisation (init "paper") as in §3.4: every parameter U(−0.08, 0.08) (the output bias starts at 0). No
 * dropout in the paper; `dropout` follows Zaremba et al. 2014 (embeddings, between layers, before the softmax).
 */
export class SutskeverLSTM extends RecurrentSeq2Seq {
  readonly architecture = "lstm";
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderRnn: LSTM;
  readonly decoderRnn: LSTM;
  readonly output?: Linear;

  constructor(readonly config: SutskeverConfig) {
    super(config);
    const c = config;
    const { embeddingDim: E, hiddenDim: H } = c;
    checkPositive({ embeddingDim: E, hiddenDim: H, layers: c.layers });
    checkTiedOutput(c, "hiddenDim", H);
    const init = familyInit(c, uniformInit(0.08));
    this.srcEmbed = this.embedding("encoder", E, init.embedding);
    this.encoderRnn = this.child(new LSTM("encoder.lstm", stackedRnn(c, E, init.cell)));
    this.tgtEmbed = this.embedding("decoder", E, init.embedding);
    this.decoderRnn = this.child(new LSTM("decoder.lstm", stackedRnn(c, E, init.cell)));
    this.output = this.untiedOutput(c, H, init);
  }

  /** src [batch, S], mask [batch, S] -> no memory; initial state h_k, c_k [batch, H] per layer. */
  encode(s: Scope, src: Value, mask: Value): RecurrentEncoding {
    const b = s.b;
    const S = src.shape[1] as number;
    const reverse = (x: Value) => (this.config.reverseSource ? b.slice(x, 1, S - 1, -S - 1, -1) : x); // [batch, S]
    const x = this.dropped(s, this.srcEmbed.forward(s, reverse(src))); // [batch, S, E]
    const { final } = this.encoderRnn.forward(s, x, reverse(mask)); // per layer h, c [batch, H]
    return { memory: {}, initialState: namedStates(final) };
  }

  /** input [batch, E] -> features: the top layer's h_t [batch, H]. */
  decodeStep(s: Scope, input: Value, _source: SourceContext, state: StepState): RecurrentStep {
    const r = this.decoderRnn.step(s, input, layerStates(state, this.config.layers)); // h_t [batch, H]
    return { features: r.output, state: namedStates(r.states) };
  }

  /** The whole target at once (one input projection per layer): -> [batch, T, H] */
  override teacherForced(s: Scope, src: Value, mask: Value, tgtIn: Value): Value {
    const { initialState } = this.encode(s, src, mask);
    const x = this.embedTarget(s, tgtIn); // [batch, T, E]
    const initial = layerStates(initialState, this.config.layers);
    return this.decoderRnn.forward(s, x, undefined, initial).output; // [batch, T, H]
  }

  /** h [batch, t, H] -> logits [batch, t, V] = W h (+ b) */
  readout(s: Scope, features: Value): Value {
    return this.outputLogits(s, this.dropped(s, features)); // [batch, t, V]
  }
}
