// Luong, Pham & Manning 2015, "Effective Approaches to Attention-based Neural Machine Translation": stacked
// LSTMs with global attention on the top decoder layer (dot / general / concat scores) and input feeding.

import type { Value } from "../graph/ir.ts";
import { type Embedding, Linear } from "../nn/layers.ts";
import type { Scope } from "../nn/module.ts";
import { LSTM } from "../nn/rnn.ts";
import { LuongAttention, type LuongScore } from "../nn/rnn-attention.ts";
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

export interface LuongConfig extends RecurrentConfig {
  embeddingDim: number;
  hiddenDim: number;
  /** LSTM layers of the encoder and of the decoder (the paper: 4). */
  layers: number;
  /** Alignment score (§3.1, eq. 8): "dot", "general" or "concat". */
  score: LuongScore;
  /** Hidden size of the "concat" score's layer (unused by the other scores). */
  attentionDim: number;
  /** Feed h̃_{t−1} to the next step's input (§3.3). */
  inputFeeding: boolean;
}

export const LUONG_DEFAULTS: LuongConfig = {
  ...RECURRENT_DEFAULTS,
  dropout: 0.2,
  embeddingDim: 256,
  hiddenDim: 256,
  layers: 2,
  score: "general",
  attentionDim: 256,
  inputFeeding: true,
};

const SCORES: readonly LuongScore[] = ["dot", "general", "concat"];

/**
 * The global attentional model of Luong et al. 2015 (§3.1): the decoder's top-layer state h_t attends over all
 * encoder top-layer states h̄_s (padding masked), c_t = Σ_s a_t(s) h̄_s, h̃_t = tanh(W_c [c_t; h_t]) (eq. 5),
 * p(y_t | ·) = softmax(W_s h̃_t) (eq. 6); with input feeding (§3.3) the next step's input is [e(y_t); h̃_t].
 * The decoder starts from the encoder's final (h, c) of every layer. Initialisation (init "paper") as in §4.1: every parameter
 * U(−0.1, 0.1) (linear biases start at 0); dropout 0.2 as in §4.1, on embeddings, between layers and on h̃.
 */
export class LuongAttentionalNMT extends RecurrentSeq2Seq {
  readonly architecture = "luong";
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoderRnn: LSTM;
  readonly decoderRnn: LSTM;
  readonly attention: LuongAttention;
  /** W_c: h̃_t = tanh(W_c [c_t; h_t]) */
  readonly combine: Linear;
  /** W_s (absent when tied to the target embedding). */
  readonly output?: Linear;

  constructor(readonly config: LuongConfig) {
    super(config);
    const c = config;
    const { embeddingDim: E, hiddenDim: H, attentionDim: A } = c;
    checkPositive({ embeddingDim: E, hiddenDim: H, layers: c.layers, attentionDim: A });
    if (!SCORES.includes(c.score))
      throw new Error(`model config "score" must be one of ${SCORES.join(", ")}, got "${c.score}"`);
    checkTiedOutput(c, "hiddenDim", H);
    const init = familyInit(c, uniformInit(0.1));
    this.srcEmbed = this.embedding("encoder", E, init.embedding);
    this.encoderRnn = this.child(new LSTM("encoder.lstm", stackedRnn(c, E, init.cell)));
    this.tgtEmbed = this.embedding("decoder", E, init.embedding);
    this.decoderRnn = this.child(
      new LSTM("decoder.lstm", stackedRnn(c, c.inputFeeding ? E + H : E, init.cell)),
    );
    this.attention = this.child(
      new LuongAttention("decoder.attention", c.score, H, A, init.linear(H), init.linear(A)),
    );
    this.combine = this.child(
      new Linear("decoder.combine", 2 * H, H, { bias: false, init: init.linear(2 * H) }),
    );
    this.output = this.untiedOutput(c, H, init);
  }

  /**
   * src [batch, S] -> memory {memory: h̄ [batch, S, H], keys [batch, S, H or A]}; state h_k, c_k per layer
   * and, with input feeding, attentional h̃_0 = 0 [batch, H].
   */
  encode(s: Scope, src: Value, mask: Value): RecurrentEncoding {
    const b = s.b;
    const x = this.dropped(s, this.srcEmbed.forward(s, src)); // [batch, S, E]
    const { output: memory, final } = this.encoderRnn.forward(s, x, mask); // [batch, S, H]
    const keys = this.attention.projectKeys(s, memory); // [batch, S, H or A]
    const initialState = namedStates(final);
    if (this.config.inputFeeding) initialState["attentional"] = b.zerosLike(final[0]!.h); // [batch, H]
    return { memory: { memory, keys }, initialState };
  }

  /** input e(y_{t−1}) [batch, E] -> features h̃_t [batch, H], a_t [batch, srcLen] */
  decodeStep(s: Scope, input: Value, source: SourceContext, state: StepState): RecurrentStep {
    const b = s.b;
    const feed = this.config.inputFeeding;
    const x = feed ? b.concat([input, state["attentional"]!], 1) : input; // [batch, E (+ H)]
    const r = this.decoderRnn.step(s, x, layerStates(state, this.config.layers)); // output h_t [batch, H]
    const { context, weights } = this.attention.forward(
      s,
      r.output,
      source.memory["keys"]!,
      source.memory["memory"]!,
      source.bias,
    ); // context [batch, H]
    const attentional = b.tanh(this.combine.forward(s, b.concat([context, r.output], 1))); // [batch, H]
    const next = namedStates(r.states);
    if (feed) next["attentional"] = attentional;
    return { features: attentional, attention: weights, state: next };
  }

  /** h̃ [batch, t, H] -> logits [batch, t, V] = W_s h̃ (+ b) */
  readout(s: Scope, features: Value): Value {
    return this.outputLogits(s, this.dropped(s, features)); // [batch, t, V]
  }
}
