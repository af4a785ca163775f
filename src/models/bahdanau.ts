// Bahdanau, Cho & Bengio 2014, "Neural Machine Translation by Jointly Learning to Align and Translate"
// (RNNsearch): a bidirectional GRU encoder and a GRU decoder that attends over all source annotations.

import type { Value } from "../graph/ir.ts";
import { normal, zeros } from "../nn/init.ts";
import { type Embedding, Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import { MaxoutReadout } from "../nn/readout.ts";
import { GRU } from "../nn/rnn.ts";
import { BahdanauAttention } from "../nn/rnn-attention.ts";
import {
  checkPositive,
  checkTiedOutput,
  familyInit,
  normalOrthogonalInit,
  RECURRENT_DEFAULTS,
  type RecurrentConfig,
  type RecurrentEncoding,
  RecurrentSeq2Seq,
  type RecurrentStep,
  type SourceContext,
  type StepState,
} from "./recurrent.ts";

export interface BahdanauConfig extends RecurrentConfig {
  embeddingDim: number;
  /** Decoder state size and the size of each encoder direction (the paper: 1000). */
  hiddenDim: number;
  /** Size of the alignment model's hidden layer (the paper: 1000). */
  attentionDim: number;
  /** Maxout units before the softmax (the paper: 500); tieOutput needs readoutDim == embeddingDim. */
  readoutDim: number;
}

export const BAHDANAU_DEFAULTS: BahdanauConfig = {
  ...RECURRENT_DEFAULTS,
  embeddingDim: 256,
  hiddenDim: 256,
  attentionDim: 256,
  readoutDim: 256,
};

/**
 * RNNsearch (Bahdanau et al. 2014, §3 and appendix A.2). Annotations h_j = [→h_j; ←h_j] of a bidirectional GRU;
 * s_0 = tanh(W_s ←h_1); at step i, c_i = Σ_j α_ij h_j with α from BahdanauAttention on s_{i−1} (padding masked),
 * s_i = GRU([e(y_{i−1}); c_i], s_{i−1}), readout t̃_i = U_o s_i + V_o e(y_{i−1}) + C_o c_i with maxout pairs,
 * softmax W_o t_i. (Eq. 4 conditions the output on s_i, as here and in the authors' code; appendix A.2.2 writes s_{i−1}.)
 * Initialisation (init "paper") as in appendix B.1: W_a, U_a N(0, 0.001²); v_a and biases 0; other weights N(0, 0.01²);
 * recurrent weights random orthogonal (each gate's H×H block).
 */
export class BahdanauRNNSearch extends RecurrentSeq2Seq {
  readonly architecture = "bahdanau";
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderRnn: GRU;
  /** W_s: s_0 = tanh(W_s ←h_1) */
  readonly initial: Linear;
  readonly attention: BahdanauAttention;
  readonly decoderRnn: GRU;
  readonly readoutLayer: MaxoutReadout;
  readonly output?: Linear;

  constructor(readonly config: BahdanauConfig) {
    super(config);
    const c = config;
    const { embeddingDim: E, hiddenDim: H, attentionDim: A, readoutDim: R } = c;
    checkPositive({ embeddingDim: E, hiddenDim: H, attentionDim: A, readoutDim: R });
    checkTiedOutput(c, "readoutDim", R);
    const init = familyInit(c, normalOrthogonalInit(0.01));
    const paper = c.init === "paper";
    this.srcEmbed = this.embedding("encoder", E, init.embedding);
    this.encoderRnn = this.child(
      new GRU("encoder.gru", { inputSize: E, hiddenSize: H, bidirectional: true, init: init.cell }),
    );
    this.tgtEmbed = this.embedding("decoder", E, init.embedding);
    this.initial = this.child(new Linear("decoder.initial", H, H, { init: init.linear(H) }));
    this.attention = this.child(
      new BahdanauAttention("decoder.attention", H, 2 * H, A, {
        query: paper ? normal(0.001) : init.linear(H),
        key: paper ? normal(0.001) : init.linear(2 * H),
        energy: paper ? zeros : init.linear(A),
      }),
    );
    this.decoderRnn = this.child(
      new GRU("decoder.gru", { inputSize: E + 2 * H, hiddenSize: H, init: init.cell }),
    );
    const F = H + E + 2 * H;
    this.readoutLayer = this.child(new MaxoutReadout("decoder.readout", F, R, init.linear(F)));
    this.output = this.untiedOutput(c, R, init);
  }

  /** src [batch, S] -> memory {annotations [batch, S, 2H], keys U_a h [batch, S, A]}; state {s: [batch, H]}. */
  encode(s: Scope, src: Value, mask: Value): RecurrentEncoding {
    const b = s.b;
    const x = this.dropped(s, this.srcEmbed.forward(s, src)); // [batch, S, E]
    const { output: annotations, final } = this.encoderRnn.forward(s, x, mask); // [batch, S, 2H]
    const keys = this.attention.projectKeys(s, annotations); // [batch, S, A]
    const first = b.tanh(this.initial.forward(s, final[1]!.h)); // [batch, H]: ←h_1 is the backward final state
    return { memory: { annotations, keys }, initialState: { s: first } };
  }

  /** input e(y_{i−1}) [batch, E] -> features [s_i; e(y_{i−1}); c_i] [batch, H + E + 2H], α_i [batch, srcLen] */
  decodeStep(s: Scope, input: Value, source: SourceContext, state: StepState): RecurrentStep {
    const b = s.b;
    const previous = state["s"]!; // [batch, H]
    const { context, weights } = this.attention.forward(
      s,
      previous,
      source.memory["keys"]!,
      source.memory["annotations"]!,
      source.bias,
    ); // context [batch, 2H]
    const r = this.decoderRnn.step(s, b.concat([input, context], 1), [{ h: previous }]); // s_i [batch, H]
    const features = b.concat([r.output, input, context], 1); // [batch, H + E + 2H]
    return { features, attention: weights, state: { s: r.output } };
  }

  /** features [batch, t, F] -> logits [batch, t, V] */
  readout(s: Scope, features: Value): Value {
    const t = this.readoutLayer.forward(s, this.dropped(s, features)); // [batch, t, R]
    return this.outputLogits(s, t); // [batch, t, V]
  }
}
