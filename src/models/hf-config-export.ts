// TransformerConfig -> Hugging Face config.json: the family whose architecture the config reproduces
// exactly (model_type t5, bart, mbart, marian or m2m_100), or none, for configs transformers cannot load.

import type { StoredTextTask } from "../data/text-task.ts";
import type { Activation } from "../nn/transformer-layers.ts";
import type { HfFamily, HfTokenIds } from "./hf-config.ts";
import type { TransformerConfig } from "./transformer.ts";

const ARCHITECTURES: Record<HfFamily, string> = {
  t5: "T5ForConditionalGeneration",
  bart: "BartForConditionalGeneration",
  mbart: "MBartForConditionalGeneration",
  marian: "MarianMTModel",
  m2m_100: "M2M100ForConditionalGeneration",
};

/** T5's feed_forward_proj for an activation (gelu_tanh is what transformers calls "gated-gelu"). */
function t5Projection(c: TransformerConfig): string | undefined {
  if (c.gatedFfn) {
    const gated: Partial<Record<Activation, string>> = {
      gelu_tanh: "gated-gelu",
      relu: "gated-relu",
      silu: "gated-silu",
    };
    return gated[c.activation];
  }
  const plain: Record<Activation, string> = {
    relu: "relu",
    gelu: "gelu",
    gelu_tanh: "gelu_new",
    silu: "silu",
  };
  return plain[c.activation];
}

function isT5(c: TransformerConfig): boolean {
  return (
    c.naming === "t5" &&
    c.positions === "relative" &&
    c.norm === "rms" &&
    c.preNorm &&
    !c.bias &&
    !c.scaleAttention &&
    !c.scaleEmbedding &&
    !c.layernormEmbedding &&
    !c.finalLogitsBias &&
    c.shareEmbeddings &&
    t5Projection(c) !== undefined
  );
}

/** The BART-like family a "bart"-named config reproduces exactly, if any. */
function bartLike(c: TransformerConfig): HfFamily | undefined {
  const plain =
    c.naming === "bart" &&
    c.norm === "layer" &&
    c.normEps === 1e-5 &&
    c.bias &&
    c.scaleAttention &&
    !c.gatedFfn &&
    !c.scaleDecoderOutput &&
    (c.headDim === 0 || c.headDim * c.heads === c.dModel);
  if (!plain) return undefined;
  if (
    c.positions === "learned" &&
    c.positionOffset === 2 &&
    c.layernormEmbedding &&
    c.finalLogitsBias &&
    c.shareEmbeddings
  )
    return c.preNorm ? "mbart" : "bart";
  if (c.positions === "sinusoidal" && !c.layernormEmbedding && c.finalLogitsBias && !c.preNorm)
    return "marian";
  if (
    c.positions === "fairseq" &&
    !c.layernormEmbedding &&
    !c.finalLogitsBias &&
    c.preNorm &&
    c.shareEmbeddings
  )
    return "m2m_100";
  return undefined;
}

/** The Hugging Face family `config` is exactly an instance of, or undefined. */
export function matchFamily(config: TransformerConfig): HfFamily | undefined {
  return isT5(config) ? "t5" : bartLike(config);
}

const HF_ACTIVATION: Record<Activation, string> = {
  relu: "relu",
  gelu: "gelu",
  gelu_tanh: "gelu_new",
  silu: "silu",
};

function t5Json(c: TransformerConfig): Record<string, unknown> {
  const projection = t5Projection(c)!;
  return {
    vocab_size: c.srcVocabSize,
    d_model: c.dModel,
    d_kv: c.headDim || c.dModel / c.heads,
    d_ff: c.ffDim,
    num_layers: c.encoderLayers,
    num_decoder_layers: c.decoderLayers,
    num_heads: c.heads,
    relative_attention_num_buckets: c.relativeBuckets,
    relative_attention_max_distance: c.relativeMaxDistance,
    dropout_rate: c.dropout,
    layer_norm_epsilon: c.normEps,
    feed_forward_proj: projection,
    dense_act_fn: HF_ACTIVATION[c.activation],
    is_gated_act: c.gatedFfn,
    n_positions: c.maxPositions,
    // transformers 4 reads tying (and scaling) from tie_word_embeddings; 5 reads scale_decoder_outputs.
    tie_word_embeddings: c.tieOutput,
    scale_decoder_outputs: c.scaleDecoderOutput,
  };
}

function bartJson(family: HfFamily, c: TransformerConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    vocab_size: c.srcVocabSize,
    d_model: c.dModel,
    encoder_layers: c.encoderLayers,
    decoder_layers: c.decoderLayers,
    encoder_attention_heads: c.heads,
    decoder_attention_heads: c.heads,
    encoder_ffn_dim: c.ffDim,
    decoder_ffn_dim: c.ffDim,
    activation_function:
      family === "marian" && c.activation === "silu" ? "swish" : HF_ACTIVATION[c.activation],
    dropout: c.dropout,
    attention_dropout: c.attentionDropout,
    activation_dropout: c.activationDropout,
    max_position_embeddings: c.maxPositions,
    scale_embedding: c.scaleEmbedding,
    tie_word_embeddings: c.tieOutput,
  };
  if (family === "marian") {
    json.share_encoder_decoder_embeddings = c.shareEmbeddings;
    json.decoder_vocab_size = c.tgtVocabSize;
  }
  return json;
}

/**
 * config.json for `config` when it matches a family (`family` undefined otherwise). `base` (the imported
 * config.json, if any) keeps the keys this project does not model; every modelled key is overwritten.
 */
export function toHfConfig(
  config: TransformerConfig,
  tokens: HfTokenIds,
  base: Record<string, unknown> = {},
): { family?: HfFamily; json: Record<string, unknown> } {
  const family = matchFamily(config);
  if (!family) return { json: {} };
  const json: Record<string, unknown> = {
    ...base,
    architectures: [ARCHITECTURES[family]],
    model_type: family,
    ...(family === "t5" ? t5Json(config) : bartJson(family, config)),
    pad_token_id: tokens.pad,
    eos_token_id: tokens.eos,
    decoder_start_token_id: tokens.decoderStart,
    is_encoder_decoder: true,
  };
  if (tokens.bos !== undefined) json.bos_token_id = tokens.bos;
  return { family, json };
}

/**
 * A config.json that lets ONNX runtimes (transformers.js, Optimum) drive exported graphs of a model no
 * family matches: they read only the token ids and the cache dims from it, the math is in the graphs.
 */
export function onnxCarrierConfig(config: TransformerConfig, tokens: HfTokenIds): Record<string, unknown> {
  const headDim = config.headDim || config.dModel / config.heads;
  const type = headDim * config.heads === config.dModel ? "bart" : "t5";
  const dims =
    type === "bart"
      ? bartJson("bart", { ...config, activation: config.activation })
      : t5Json({ ...config, gatedFfn: false, activation: "relu" });
  return {
    architectures: [ARCHITECTURES[type]],
    model_type: type,
    ...dims,
    pad_token_id: tokens.pad,
    eos_token_id: tokens.eos,
    decoder_start_token_id: tokens.decoderStart,
    is_encoder_decoder: true,
    seq2seq_ts_note:
      "exported by seq2seq-ts: the ONNX graphs hold the model; this config only carries ids and cache dims",
  };
}

/**
 * `json` with a text task where the Hugging Face ecosystem looks for one: each named task as
 * `task_specific_params[name].prefix` (T5's convention; the entry's other keys, e.g. num_beams, are kept),
 * a default prefix as `prefix` (what transformers' pipelines put before every input). Templates and
 * truncation have no place there: text-task.json beside it keeps them.
 */
export function withTextTask(json: Record<string, unknown>, task: StoredTextTask): Record<string, unknown> {
  const out = { ...json };
  if (task.prefix !== "") out.prefix = task.prefix;
  if (task.tasks.length === 0) return out;
  const old = json.task_specific_params;
  const params: Record<string, unknown> =
    typeof old === "object" && old !== null && !Array.isArray(old) ? { ...old } : {};
  for (const t of task.tasks) {
    const entry = params[t.name];
    params[t.name] = { ...(typeof entry === "object" && entry !== null ? entry : {}), prefix: t.prefix };
  }
  out.task_specific_params = params;
  return out;
}
