// Cho et al. 2014, "Learning Phrase Representations using RNN Encoder–Decoder for Statistical Machine
// Translation": a GRU encoder summarises the source into one context vector c that conditions every decoder step.

import type { Value } from "../graph/ir.ts";
import { type Embedding, Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import { MaxoutReadout } from "../nn/readout.ts";
import { GRU } from "../nn/rnn.ts";
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

export interface ChoConfig extends RecurrentConfig {
  embeddingDim: number;
  hiddenDim: number;
  /** Maxout units before the softmax (the paper: 500); tieOutput needs readoutDim == embeddingDim. */
  readoutDim: number;
}

export const CHO_DEFAULTS: ChoConfig = {
  ...RECURRENT_DEFAULTS,
  embeddingDim: 256,
  hiddenDim: 512,
  readoutDim: 256,
};

/**
 * The RNN Encoder–Decoder of Cho et al. 2014 (§2.2, appendix A.1). Encoder: a GRU over the source, then
 * c = tanh(V h_N). Decoder: h'_0 = tanh(V' c); a GRU whose input is [e(y_{t−1}); c], so c enters every gate
 * (the paper puts C c inside r ⊙ (U h + C c) for the candidate; PyTorch's GRU layout puts it beside W e(y));
 * readout s' = O_h h'_t + O_y e(y_{t−1}) + O_c c, maxout pairs, softmax G s (G tied to the target embedding
 * with tieOutput). Initialisation (init "paper") as in §4.1: weights N(0, 0.01²), biases 0; its recurrent weights are
 * orthogonal (Saxe et al. 2014): each gate's H×H block is a random orthogonal matrix.
 */
export class ChoRNNEncoderDecoder extends RecurrentSeq2Seq {
  readonly architecture = "gru";
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderRnn: GRU;
  /** V: c = tanh(V h_N) */
  readonly context: Linear;
  /** V': h'_0 = tanh(V' c) */
  readonly initial: Linear;
  readonly decoderRnn: GRU;
  readonly readoutLayer: MaxoutReadout;
  readonly output?: Linear;

  constructor(readonly config: ChoConfig) {
    super(config);
    const c = config;
    const { embeddingDim: E, hiddenDim: H, readoutDim: R } = c;
    checkPositive({ embeddingDim: E, hiddenDim: H, readoutDim: R });
    checkTiedOutput(c, "readoutDim", R);
    const init = familyInit(c, normalOrthogonalInit(0.01));
    const linear = (name: string, fanIn: number, out: number) =>
      this.child(new Linear(name, fanIn, out, { init: init.linear(fanIn) }));
    this.srcEmbed = this.embedding("encoder", E, init.embedding);
    this.encoderRnn = this.child(new GRU("encoder.gru", { inputSize: E, hiddenSize: H, init: init.cell }));
    this.context = linear("encoder.context", H, H);
    this.tgtEmbed = this.embedding("decoder", E, init.embedding);
    this.initial = linear("decoder.initial", H, H);
    this.decoderRnn = this.child(
      new GRU("decoder.gru", { inputSize: E + H, hiddenSize: H, init: init.cell }),
    );
    const F = H + E + H;
    this.readoutLayer = this.child(new MaxoutReadout("decoder.readout", F, R, init.linear(F)));
    this.output = this.untiedOutput(c, R, init);
  }

  /** src [batch, S], mask [batch, S] -> memory {context: c [batch, H]}; initial state {h: [batch, H]}. */
  encode(s: Scope, src: Value, mask: Value): RecurrentEncoding {
    const b = s.b;
    const x = this.dropped(s, this.srcEmbed.forward(s, src)); // [batch, S, E]
    const { final } = this.encoderRnn.forward(s, x, mask); // final[0].h: h_N [batch, H]
    const context = b.tanh(this.context.forward(s, final[0]!.h)); // [batch, H]
    const h = b.tanh(this.initial.forward(s, context)); // [batch, H]
    return { memory: { context }, initialState: { h } };
  }

  /** input e(y_{t−1}) [batch, E] -> features [h'_t; e(y_{t−1}); c] [batch, H + E + H] */
  decodeStep(s: Scope, input: Value, source: SourceContext, state: StepState): RecurrentStep {
    const b = s.b;
    const context = source.memory["context"]!; // [batch, H]
    const r = this.decoderRnn.step(s, b.concat([input, context], 1), [{ h: state["h"]! }]); // h'_t [batch, H]
    const features = b.concat([r.output, input, context], 1); // [batch, H + E + H]
    return { features, state: { h: r.output } };
  }

  /** The whole target at once (one input projection): -> [batch, T, H + E + H] */
  override teacherForced(s: Scope, src: Value, mask: Value, tgtIn: Value): Value {
    const b = s.b;
    const { memory, initialState } = this.encode(s, src, mask);
    const e = this.embedTarget(s, tgtIn); // [batch, T, E]
    const H = this.config.hiddenDim;
    const shape = b.concat([b.shapeOf(e, 0, 2), b.ints([H])], 0); // [3]: batch, T, H
    const c = b.expand(b.unsqueeze(memory["context"]!, [1]), shape, [e.shape[0]!, e.shape[1]!, H]); // [batch, T, H]
    const x = b.concat([e, c], 2); // [batch, T, E + H]
    const { output } = this.decoderRnn.forward(s, x, undefined, [{ h: initialState["h"]! }]); // [batch, T, H]
    return b.concat([output, e, c], 2); // [batch, T, H + E + H]
  }

  /** features [batch, t, F] -> logits [batch, t, V] */
  readout(s: Scope, features: Value): Value {
    const t = this.readoutLayer.forward(s, this.dropped(s, features)); // [batch, t, R]
    return this.outputLogits(s, t); // [batch, t, V]
  }
}
