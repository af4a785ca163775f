// The registry of model families: each architecture name maps to its config defaults (the schema that
// config files are checked against) and a constructor, so a config.json rebuilds exactly its model.

import { resolveConfig } from "../io/config.ts";
import { DECODER_ONLY_DEFAULTS, PrefixLm } from "./decoder-only.ts";
import { ENCODER_ONLY_DEFAULTS, TransformerEncoderClassifier } from "./encoder-only.ts";
import { RNN_ARCHITECTURES } from "./rnn-architectures.ts";
import type { Seq2SeqModel } from "./seq2seq.ts";
import { SPEECH_GRU_DEFAULTS, SpeechContextRnn, type SpeechGruConfig } from "./speech-rnn.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "./transformer.ts";
import { WHISPER_DEFAULTS, Whisper, type WhisperConfig } from "./whisper.ts";

export interface Architecture<C extends object = object> {
  /** What the family is, with the paper it implements. */
  readonly description: string;
  readonly defaults: C;
  build(config: C): Seq2SeqModel;
}

/** A model config: the family name plus that family's options. */
export type ModelConfig = { architecture: string } & Record<string, unknown>;

const ARCHITECTURES = new Map<string, Architecture>();

/** Adds a family; each family's module calls this once (see registerBuiltinArchitectures). */
export function registerArchitecture<C extends object>(name: string, architecture: Architecture<C>): void {
  ARCHITECTURES.set(name, architecture as unknown as Architecture);
}

export function listArchitectures(): Array<{ name: string; description: string }> {
  return [...ARCHITECTURES].map(([name, a]) => ({ name, description: a.description }));
}

export function architecture(name: string): Architecture {
  const found = ARCHITECTURES.get(name);
  if (!found) {
    throw new Error(`unknown architecture "${name}"; known: ${[...ARCHITECTURES.keys()].join(", ")}`);
  }
  return found;
}

/**
 * Checks a config against its family's defaults (unknown keys and wrong types are errors that name the key)
 * and fills in every default. `origin` names where the values came from, for the error messages.
 */
export function resolveModelConfig(values: ModelConfig, origin = "model config"): ModelConfig {
  if (typeof values.architecture !== "string") throw new Error(`${origin}: "architecture" is missing`);
  const { architecture: name, ...rest } = values;
  const family = architecture(name);
  const resolved = resolveConfig(family.defaults, [{ origin, values: rest }]);
  return { architecture: name, ...(resolved as Record<string, unknown>) };
}

/** Builds the model a (resolved or partial) config describes. */
export function buildModel(values: ModelConfig): Seq2SeqModel {
  const config = resolveModelConfig(values);
  const { architecture: name, ...rest } = config;
  return architecture(name).build(rest);
}

registerArchitecture<TransformerConfig>("transformer", {
  description: "Transformer encoder–decoder (Vaswani et al. 2017)",
  defaults: TRANSFORMER_DEFAULTS,
  build: (c) => new Transformer(c),
});

for (const [name, family] of RNN_ARCHITECTURES) registerArchitecture(name, family);

registerArchitecture("decoder-only", {
  description: "Decoder-only prefix LM over [source, target] (Liu et al. 2018; Raffel et al. 2020 §3.2.1)",
  defaults: DECODER_ONLY_DEFAULTS,
  build: (c) => new PrefixLm(c),
});

registerArchitecture("encoder-only", {
  description: "Transformer encoder with a per-position or pooled label head (Devlin et al. 2019 §4)",
  defaults: ENCODER_ONLY_DEFAULTS,
  build: (c) => new TransformerEncoderClassifier(c),
});

registerArchitecture<WhisperConfig>("whisper", {
  description: "Whisper speech encoder–decoder over log-mel features (Radford et al. 2022)",
  defaults: WHISPER_DEFAULTS,
  build: (c) => new Whisper(c),
});

registerArchitecture<SpeechGruConfig>("speech-gru", {
  description: "context-vector GRU encoder–decoder over log-mel features, no attention (Cho et al. 2014)",
  defaults: SPEECH_GRU_DEFAULTS,
  build: (c) => new SpeechContextRnn(c),
});
