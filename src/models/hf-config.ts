// Hugging Face config.json <-> TransformerConfig for the families T5, BART, mBART, Marian and M2M100/NLLB
// (docs/hf-families.md has the table). Unknown model types and unsupported settings are errors naming the key.

import type { Activation } from "../nn/transformer-layers.ts";
import { TRANSFORMER_DEFAULTS, type TransformerConfig } from "./transformer.ts";

/** The model_type values this project reads and writes. */
export const HF_FAMILIES = ["t5", "bart", "mbart", "marian", "m2m_100"] as const;
export type HfFamily = (typeof HF_FAMILIES)[number];

/** Special token ids of a Hugging Face model config (eos may be a list in the file; the first is used). */
export interface HfTokenIds {
  pad: number;
  eos: number;
  bos?: number;
  decoderStart: number;
}

type Json = Record<string, unknown>;

/** Typed reads of config keys; errors name the file and the key. */
export class ConfigReader {
  constructor(
    readonly json: Json,
    readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  number(key: string, fallback?: number): number {
    const v = this.json[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new Error(`${this.where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean")
      throw new Error(`${this.where}: "${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  string(key: string, fallback: string): string {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "string")
      throw new Error(`${this.where}: "${key}" must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A token id given as a number or a list of numbers (the first is used). */
  tokenId(key: string): number | undefined {
    const v = this.json[key];
    if (v === undefined || v === null) return undefined;
    const id = Array.isArray(v) ? v[0] : v;
    if (!Number.isInteger(id) || (id as number) < 0)
      throw new Error(`${this.where}: "${key}" must be a token id, got ${JSON.stringify(v)}`);
    return id as number;
  }

  /** Two keys that must agree (e.g. encoder_ffn_dim and decoder_ffn_dim). */
  same(a: string, b: string, fallback?: number): number {
    const x = this.number(a, fallback);
    const y = this.number(b, x);
    if (x !== y)
      throw new Error(`${this.where}: "${a}" (${x}) and "${b}" (${y}) differ; seq2seq-ts needs them equal`);
    return x;
  }
}

export const ACTIVATIONS: Record<string, Activation> = {
  relu: "relu",
  gelu: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh",
  swish: "silu",
  silu: "silu",
};

/** The activation of a config's `key` (HF names: gelu, gelu_new, swish, ...); an unknown name is an error. */
export function activation(name: string, key: string, where: string): Activation {
  const found = ACTIVATIONS[name];
  if (!found)
    throw new Error(
      `${where}: "${key}" = "${name}" is not supported (known: ${Object.keys(ACTIVATIONS).join(", ")})`,
    );
  return found;
}

/** The BART-like families: what differs between BART, mBART, Marian and M2M100. */
const BART_LIKE: Record<Exclude<HfFamily, "t5">, Partial<TransformerConfig>> = {
  bart: {
    preNorm: false,
    positions: "learned",
    positionOffset: 2,
    layernormEmbedding: true,
    finalLogitsBias: true,
  },
  mbart: {
    preNorm: true,
    positions: "learned",
    positionOffset: 2,
    layernormEmbedding: true,
    finalLogitsBias: true,
  },
  marian: { preNorm: false, positions: "sinusoidal", layernormEmbedding: false, finalLogitsBias: true },
  m2m_100: { preNorm: true, positions: "fairseq", layernormEmbedding: false, finalLogitsBias: false },
};

function bartLikeConfig(family: Exclude<HfFamily, "t5">, r: ConfigReader): TransformerConfig {
  const vocab = r.number("vocab_size");
  const shareEmbeddings = family === "marian" ? r.boolean("share_encoder_decoder_embeddings", true) : true;
  const tgtVocab = family === "marian" && !shareEmbeddings ? r.number("decoder_vocab_size", vocab) : vocab;
  return {
    ...TRANSFORMER_DEFAULTS,
    ...BART_LIKE[family],
    srcVocabSize: vocab,
    tgtVocabSize: tgtVocab,
    shareEmbeddings,
    tieOutput: r.boolean("tie_word_embeddings", true),
    dModel: r.number("d_model"),
    heads: r.same("encoder_attention_heads", "decoder_attention_heads"),
    ffDim: r.same("encoder_ffn_dim", "decoder_ffn_dim"),
    encoderLayers: r.number("encoder_layers"),
    decoderLayers: r.number("decoder_layers"),
    activation: activation(r.string("activation_function", "gelu"), "activation_function", r.where),
    norm: "layer",
    normEps: 1e-5,
    dropout: r.number("dropout", 0.1),
    attentionDropout: r.number("attention_dropout", 0),
    activationDropout: r.number("activation_dropout", 0),
    maxPositions: r.number("max_position_embeddings", 1024),
    scaleEmbedding: r.boolean("scale_embedding", family === "m2m_100"),
    naming: "bart",
    padId: r.tokenId("pad_token_id") ?? 1,
  };
}

/** T5's feed_forward_proj ("relu", "gated-gelu", ...) as (gated, activation). */
function t5Feedforward(r: ConfigReader): { gated: boolean; activation: Activation } {
  const proj = r.string("feed_forward_proj", "relu");
  const parts = proj.split("-");
  const gated = r.boolean("is_gated_act", parts[0] === "gated" && parts.length === 2);
  const fallback = proj === "gated-gelu" ? "gelu_new" : (parts.at(-1) ?? "relu");
  return { gated, activation: activation(r.string("dense_act_fn", fallback), "dense_act_fn", r.where) };
}

function t5Config(r: ConfigReader): TransformerConfig {
  const ffn = t5Feedforward(r);
  const layers = r.number("num_layers");
  const dropout = r.number("dropout_rate", 0.1);
  return {
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: r.number("vocab_size"),
    tgtVocabSize: r.number("vocab_size"),
    shareEmbeddings: true,
    tieOutput: true, // decided by the weights: an lm_head.weight unlike shared.weight unties it
    dModel: r.number("d_model"),
    heads: r.number("num_heads"),
    headDim: r.number("d_kv"),
    ffDim: r.number("d_ff"),
    encoderLayers: layers,
    decoderLayers: r.number("num_decoder_layers", layers),
    activation: ffn.activation,
    gatedFfn: ffn.gated,
    preNorm: true,
    norm: "rms",
    normEps: r.number("layer_norm_epsilon", 1e-6),
    bias: false,
    scaleAttention: false,
    dropout,
    attentionDropout: dropout,
    activationDropout: dropout,
    positions: "relative",
    maxPositions: r.number("n_positions", 512),
    relativeBuckets: r.number("relative_attention_num_buckets", 32),
    relativeMaxDistance: r.number("relative_attention_max_distance", 128),
    scaleEmbedding: false,
    // transformers 5 writes scale_decoder_outputs; v4-era configs scale exactly when the head is tied.
    scaleDecoderOutput: r.has("scale_decoder_outputs")
      ? r.boolean("scale_decoder_outputs", true)
      : r.boolean("tie_word_embeddings", true),
    naming: "t5",
    padId: r.tokenId("pad_token_id") ?? 0,
  };
}

/** The family of a config.json, or an error naming the file and the supported types. */
export function hfFamily(json: Json, where: string): HfFamily {
  const type = json.model_type;
  if (typeof type !== "string") throw new Error(`${where}: no "model_type": not a Hugging Face model config`);
  if (type === "whisper")
    throw new Error(
      `${where}: model_type "whisper" is a speech model: transcribe audio with it (\`seq2seq transcribe --model DIR file.wav\`, or loadHfWhisper)`,
    );
  if (!(HF_FAMILIES as readonly string[]).includes(type))
    throw new Error(`${where}: model_type "${type}" is not supported; supported: ${HF_FAMILIES.join(", ")}`);
  return type as HfFamily;
}

/** Maps a Hugging Face config.json onto a TransformerConfig and its special token ids. */
export function fromHfConfig(
  json: Json,
  where: string,
): { family: HfFamily; config: TransformerConfig; tokens: HfTokenIds } {
  const family = hfFamily(json, where);
  const r = new ConfigReader(json, where);
  const config = family === "t5" ? t5Config(r) : bartLikeConfig(family, r);
  const eos = r.tokenId("eos_token_id");
  if (eos === undefined) throw new Error(`${where}: "eos_token_id" is missing`);
  const decoderStart = r.tokenId("decoder_start_token_id") ?? (family === "t5" ? config.padId : eos);
  return { family, config, tokens: { pad: config.padId, eos, bos: r.tokenId("bos_token_id"), decoderStart } };
}
