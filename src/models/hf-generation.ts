// Hugging Face generation settings (generation_config.json, or the generation keys of an older config.json)
// as one typed, checked config, merged with the user's overrides; and back to generation_config.json.

/** What `generate` needs, in Hugging Face's terms (max/min lengths count the decoder start token). */
export interface GenerationConfig {
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  bosTokenId?: number;
  /** Forced first generated token (mBART / NLLB target language). */
  forcedBosTokenId?: number;
  /** EOS forced at the last position max_length allows (BART, mBART, Marian). */
  forcedEosTokenId?: number;
  /** Longest output, decoder start token included (Hugging Face `max_length`). */
  maxLength: number;
  /** When set, replaces maxLength by 1 + maxNewTokens. */
  maxNewTokens?: number;
  /** EOS is banned while the output (start token included) is shorter than this. */
  minLength: number;
  /** EOS is banned until this many tokens were generated. */
  minNewTokens?: number;
  numBeams: number;
  numReturnSequences: number;
  /** Exponent α of the beam score logProb / length^α. */
  lengthPenalty: number;
  earlyStopping: boolean | "never";
  noRepeatNgramSize: number;
  badWordsIds: number[][];
  suppressTokens: number[];
  beginSuppressTokens: number[];
  /**
   * Tokens fed after the decoder start token before anything is generated (Whisper's <|lang|><|task|>
   * <|notimestamps|>); max_length and min_length count them, max_new_tokens does not. Default none.
   */
  decoderPromptIds?: number[];
}

/** transformers' GenerationConfig defaults. */
export const HF_GENERATION_DEFAULTS = {
  maxLength: 20,
  minLength: 0,
  numBeams: 1,
  numReturnSequences: 1,
  lengthPenalty: 1,
  earlyStopping: false,
  noRepeatNgramSize: 0,
} as const;

type Json = Record<string, unknown>;

/** Settings that change transformers' output but that this generator does not implement, when set. */
const UNSUPPORTED: Record<string, (v: unknown) => boolean> = {
  do_sample: (v) => v === true,
  repetition_penalty: (v) => typeof v === "number" && v !== 1,
  encoder_no_repeat_ngram_size: (v) => typeof v === "number" && v > 0,
  num_beam_groups: (v) => typeof v === "number" && v > 1,
  diversity_penalty: (v) => typeof v === "number" && v !== 0,
  exponential_decay_length_penalty: (v) => v != null,
  sequence_bias: (v) => v != null,
  forced_decoder_ids: (v) => Array.isArray(v) && v.length > 0,
};

/** Whisper settings read into the decoder prompt (whisperPromptIds), not reported as unsupported. */
const WHISPER_KEYS = ["lang_to_id", "task_to_id", "no_timestamps_token_id"];

/** Settings of `json` that transformers would apply but this generator ignores (for a warning). */
export function unsupportedGenerationSettings(json: Json): string[] {
  const whisper = WHISPER_KEYS.some((key) => json[key] != null);
  return Object.entries(UNSUPPORTED)
    .filter(([key, isSet]) => isSet(json[key]) && !(whisper && key === "forced_decoder_ids"))
    .map(([key]) => `${key}=${JSON.stringify(json[key])}`);
}

function fail(where: string, key: string, want: string, got: unknown): never {
  throw new Error(`${where}: "${key}" must be ${want}, got ${JSON.stringify(got)}`);
}

function optionalInt(json: Json, key: string, where: string, min = 0): number | undefined {
  const v = json[key];
  if (v == null) return undefined;
  const id = Array.isArray(v) ? v[0] : v; // eos_token_id may be a list: the first id is used
  if (!Number.isInteger(id) || (id as number) < min) fail(where, key, `an integer ≥ ${min}`, v);
  return id as number;
}

function idList(json: Json, key: string, where: string): number[] {
  const v = json[key];
  if (v == null) return [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0))
    fail(where, key, "a list of token ids", v);
  return v as number[];
}

function idLists(json: Json, key: string, where: string): number[][] {
  const v = json[key];
  if (v == null) return [];
  const ok =
    Array.isArray(v) &&
    v.every((s) => Array.isArray(s) && s.length > 0 && s.every((x) => Number.isInteger(x)));
  if (!ok) fail(where, key, "a list of non-empty token id lists", v);
  return v as number[][];
}

/**
 * Reads Hugging Face generation settings (`json`, snake_case as in generation_config.json); token ids it
 * lacks come from the model config's `tokens`. Errors name the file (`where`) and the key.
 */
export function generationFromHf(
  json: Json,
  tokens: { eos: number; pad: number; decoderStart: number; bos?: number },
  where: string,
): GenerationConfig {
  const num = (key: string, fallback: number) => {
    const v = json[key];
    if (v == null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(where, key, "a number", v);
    return v;
  };
  const early = json.early_stopping ?? HF_GENERATION_DEFAULTS.earlyStopping;
  if (early !== true && early !== false && early !== "never")
    fail(where, "early_stopping", 'true, false or "never"', early);
  return checkGeneration(
    {
      decoderStartTokenId: optionalInt(json, "decoder_start_token_id", where) ?? tokens.decoderStart,
      eosTokenId: optionalInt(json, "eos_token_id", where) ?? tokens.eos,
      padTokenId: optionalInt(json, "pad_token_id", where) ?? tokens.pad,
      bosTokenId: optionalInt(json, "bos_token_id", where) ?? tokens.bos,
      forcedBosTokenId: optionalInt(json, "forced_bos_token_id", where),
      forcedEosTokenId: optionalInt(json, "forced_eos_token_id", where),
      maxLength: num("max_length", HF_GENERATION_DEFAULTS.maxLength),
      maxNewTokens: optionalInt(json, "max_new_tokens", where, 1),
      minLength: num("min_length", HF_GENERATION_DEFAULTS.minLength),
      minNewTokens: optionalInt(json, "min_new_tokens", where),
      numBeams: num("num_beams", HF_GENERATION_DEFAULTS.numBeams),
      numReturnSequences: num("num_return_sequences", HF_GENERATION_DEFAULTS.numReturnSequences),
      lengthPenalty: num("length_penalty", HF_GENERATION_DEFAULTS.lengthPenalty),
      earlyStopping: early,
      noRepeatNgramSize: num("no_repeat_ngram_size", HF_GENERATION_DEFAULTS.noRepeatNgramSize),
      badWordsIds: idLists(json, "bad_words_ids", where),
      suppressTokens: idList(json, "suppress_tokens", where),
      beginSuppressTokens: idList(json, "begin_suppress_tokens", where),
      decoderPromptIds: whisperPromptIds(json, where),
    },
    where,
  );
}

function idMap(json: Json, key: string, where: string): Record<string, number> {
  const v = json[key];
  if (v == null) return {};
  if (typeof v !== "object" || Array.isArray(v) || !Object.values(v).every((x) => Number.isInteger(x)))
    fail(where, key, "an object of token ids", v);
  return v as Record<string, number>;
}

/** The language token of `language` ("en", "<|en|>"), or an error naming the languages the model has. */
function languageId(language: unknown, langToId: Record<string, number>, where: string): number {
  if (typeof language !== "string") fail(where, "language", 'a language code such as "en"', language);
  const id = langToId[language] ?? langToId[`<|${language}|>`];
  if (id === undefined) {
    const known = Object.keys(langToId).map((t) => t.replace(/^<\|(.*)\|>$/, "$1"));
    fail(where, "language", `one of ${known.join(", ") || "(none: an English-only model)"}`, language);
  }
  return id;
}

/**
 * Whisper's decoder prompt after <|startoftranscript|>, as transformers' WhisperGenerationMixin builds it:
 * <|lang|> (from `language`, or a legacy forced_decoder_ids), <|task|> (`task`, default transcribe once a
 * language is given) and <|notimestamps|>. [] for other models. Timestamps and language detection are not
 * implemented: a multilingual model needs `language`.
 */
export function whisperPromptIds(json: Json, where: string): number[] {
  if (!WHISPER_KEYS.some((key) => json[key] != null)) return [];
  const langToId = idMap(json, "lang_to_id", where);
  const taskToId = idMap(json, "task_to_id", where);
  const noTimestamps = optionalInt(json, "no_timestamps_token_id", where);
  if (json.return_timestamps === true)
    fail(where, "return_timestamps", "false (timestamp decoding is not implemented)", true);
  const prompt: number[] = [];
  const forced = json.forced_decoder_ids;
  if (json.language == null && json.task == null && Array.isArray(forced) && forced.length > 0) {
    forced.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair[0] !== i + 1 || !Number.isInteger(pair[1]))
        fail(where, "forced_decoder_ids", "[[1, id], [2, id], ...] (consecutive positions)", forced);
      prompt.push(pair[1] as number);
    });
  } else {
    if (json.language != null) {
      if (json.is_multilingual === false)
        fail(where, "language", "unset for an English-only model", json.language);
      prompt.push(languageId(json.language, langToId, where));
    } else if (json.is_multilingual === true)
      throw new Error(
        `${where}: "language" is not set, and this multilingual model needs one (e.g. "en"; language detection is not implemented)`,
      );
    if (json.task != null) {
      const task = taskToId[json.task as string];
      if (task === undefined) fail(where, "task", `one of ${Object.keys(taskToId).join(", ")}`, json.task);
      prompt.push(task);
    } else if (json.language != null && taskToId.transcribe !== undefined) prompt.push(taskToId.transcribe);
  }
  if (noTimestamps !== undefined && prompt.at(-1) !== noTimestamps) prompt.push(noTimestamps);
  return prompt;
}

/** Checks ranges (beams ≥ 1, returned ≤ beams, lengths ≥ 1 ...); returns `g`. */
export function checkGeneration(g: GenerationConfig, where = "generation config"): GenerationConfig {
  const int = (key: keyof GenerationConfig, min: number) => {
    const v = g[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min))
      fail(where, key, `an integer ≥ ${min}`, v);
  };
  int("numBeams", 1);
  int("numReturnSequences", 1);
  int("maxLength", 2);
  int("maxNewTokens", 1);
  int("minLength", 0);
  int("noRepeatNgramSize", 0);
  if (g.numReturnSequences > g.numBeams)
    fail(
      where,
      "numReturnSequences",
      `at most numBeams (${g.numBeams}) without sampling`,
      g.numReturnSequences,
    );
  if (g.forcedEosTokenId !== undefined && g.forcedEosTokenId !== g.eosTokenId)
    fail(
      where,
      "forcedEosTokenId",
      `the EOS id ${g.eosTokenId} (other forced ids are not supported)`,
      g.forcedEosTokenId,
    );
  return g;
}

/** The config with the user's overrides applied (undefined entries leave values unchanged), checked. */
export function withOverrides(g: GenerationConfig, overrides: Partial<GenerationConfig>): GenerationConfig {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return checkGeneration({ ...g, ...set }, "generation overrides");
}

/** The most tokens generated after the start token (EOS included). */
export function maxNewTokens(g: GenerationConfig): number {
  return g.maxNewTokens ?? Math.max(1, g.maxLength - 1 - (g.decoderPromptIds?.length ?? 0));
}

/** generation_config.json content for `g` (transformers 5 key names; defaults left out). */
export function generationToHf(g: GenerationConfig): Json {
  const out: Json = {
    decoder_start_token_id: g.decoderStartTokenId,
    eos_token_id: g.eosTokenId,
    pad_token_id: g.padTokenId,
  };
  if (g.bosTokenId !== undefined) out.bos_token_id = g.bosTokenId;
  if (g.forcedBosTokenId !== undefined) out.forced_bos_token_id = g.forcedBosTokenId;
  if (g.forcedEosTokenId !== undefined) out.forced_eos_token_id = g.forcedEosTokenId;
  if (g.maxNewTokens !== undefined) out.max_new_tokens = g.maxNewTokens;
  if (g.maxLength !== HF_GENERATION_DEFAULTS.maxLength) out.max_length = g.maxLength;
  if (g.minLength !== 0) out.min_length = g.minLength;
  if (g.minNewTokens !== undefined) out.min_new_tokens = g.minNewTokens;
  if (g.numBeams !== 1) out.num_beams = g.numBeams;
  if (g.numReturnSequences !== 1) out.num_return_sequences = g.numReturnSequences;
  if (g.lengthPenalty !== 1) out.length_penalty = g.lengthPenalty;
  if (g.earlyStopping !== false) out.early_stopping = g.earlyStopping;
  if (g.noRepeatNgramSize !== 0) out.no_repeat_ngram_size = g.noRepeatNgramSize;
  if (g.badWordsIds.length > 0) out.bad_words_ids = g.badWordsIds;
  if (g.suppressTokens.length > 0) out.suppress_tokens = g.suppressTokens;
  if (g.beginSuppressTokens.length > 0) out.begin_suppress_tokens = g.beginSuppressTokens;
  return out;
}
