// Sutskever, Vinyals & Le 2014, "Sequence to Sequence Learning with Neural Networks": a deep LSTM reads the
// (reversed) source into its final states, which start a second deep LSTM that writes the target.

import type { Value } from "../graph/ir.ts";
import { uniform } from "../nn/init.ts";
import { Embedding, Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import { LSTM } from "../nn/rnn.ts";
import {
  checkPositive,
  familyInit,
  layerStates,
  namedStates,
  type RecurrentConfig,
  type RecurrentEncoding,
  RecurrentSeq2Seq,
  type RecurrentStep,
  type SourceContext,
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
  srcVocabSize: 1000,
  tgtVocabSize: 1000,
  padId: 0,
  maxSourceLength: 50,
  maxTargetLength: 50,
  lengthBuckets: 2,
  dropout: 0.1,
  tieOutput: false,
  init: "paper",
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
    checkPositive({ embeddingDim: c.embeddingDim, hiddenDim: c.hiddenDim, layers: c.layers });
    if (c.tieOutput && c.hiddenDim !== c.embeddingDim)
      throw new Error(
        `model config "tieOutput" needs hiddenDim (${c.hiddenDim}) == embeddingDim (${c.embeddingDim})`,
      );
    const u = uniform(0.08);
    const init = familyInit(c, { embedding: u, linear: () => u, cell: { input: u, recurrent: u, bias: u } });
    const rnn = (inputSize: number) => ({
      inputSize,
      hiddenSize: c.hiddenDim,
      layers: c.layers,
      dropout: c.dropout,
      init: init.cell,
    });
    const embedding = { init: init.embedding };
    this.srcEmbed = this.child(new Embedding("encoder.embedding", c.srcVocabSize, c.embeddingDim, embedding));
    this.encoderRnn = this.child(new LSTM("encoder.lstm", rnn(c.embeddingDim)));
    this.tgtEmbed = this.child(new Embedding("decoder.embedding", c.tgtVocabSize, c.embeddingDim, embedding));
    this.decoderRnn = this.child(new LSTM("decoder.lstm", rnn(c.embeddingDim)));
    if (!c.tieOutput)
      this.output = this.child(
        new Linear("decoder.output", c.hiddenDim, c.tgtVocabSize, { init: init.linear(c.hiddenDim) }),
      );
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

  /** ids [batch, t] -> [batch, t, E] */
  embedTarget(s: Scope, ids: Value): Value {
    return this.dropped(s, this.tgtEmbed.forward(s, ids)); // [batch, t, E]
  }

  /** input [batch, E] -> features: the top layer's h_t [batch, H]. */
  decodeStep(
    s: Scope,
    input: Value,
    _source: SourceContext,
    state: Readonly<Record<string, Value>>,
  ): RecurrentStep {
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
    const h = this.dropped(s, features); // [batch, t, H]
    return this.output ? this.output.forward(s, h) : this.tgtEmbed.project(s, h); // [batch, t, V]
  }
}
