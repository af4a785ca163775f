// The recurrent families' registry entries (registry.ts adds them): each architecture name with its paper,
// its config defaults (the schema config files are checked against) and its constructor.

import { BAHDANAU_DEFAULTS, type BahdanauConfig, BahdanauRNNSearch } from "./bahdanau.ts";
import { CHO_DEFAULTS, type ChoConfig, ChoRNNEncoderDecoder } from "./cho.ts";
import { LUONG_DEFAULTS, LuongAttentionalNMT, type LuongConfig } from "./luong.ts";
import type { Architecture } from "./registry.ts";
import { SUTSKEVER_DEFAULTS, type SutskeverConfig, SutskeverLSTM } from "./sutskever.ts";

function family<C extends object>(a: Architecture<C>): Architecture {
  return a as unknown as Architecture;
}

export const RNN_ARCHITECTURES: ReadonlyArray<readonly [string, Architecture]> = [
  [
    "lstm",
    family<SutskeverConfig>({
      description: "deep LSTM encoder–decoder, reversed source (Sutskever et al. 2014)",
      defaults: SUTSKEVER_DEFAULTS,
      build: (c) => new SutskeverLSTM(c),
    }),
  ],
  [
    "gru",
    family<ChoConfig>({
      description: "GRU RNN encoder–decoder with a context vector (Cho et al. 2014)",
      defaults: CHO_DEFAULTS,
      build: (c) => new ChoRNNEncoderDecoder(c),
    }),
  ],
  [
    "bahdanau",
    family<BahdanauConfig>({
      description: "RNNsearch: bidirectional GRU encoder, additive attention (Bahdanau et al. 2014)",
      defaults: BAHDANAU_DEFAULTS,
      build: (c) => new BahdanauRNNSearch(c),
    }),
  ],
  [
    "luong",
    family<LuongConfig>({
      description: "stacked LSTMs with global attention and input feeding (Luong et al. 2015)",
      defaults: LUONG_DEFAULTS,
      build: (c) => new LuongAttentionalNMT(c),
    }),
  ],
];
