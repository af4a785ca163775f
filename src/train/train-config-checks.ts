// Value checks of a run config beyond the types resolveConfig checks: ranges, choices (with the nearest
// valid one suggested) and combinations that cannot work together; each error names its key.

import { NL_RX_VARIANTS } from "../data/nl-rx.ts";
import { TRUNCATE_POLICIES, templateFields } from "../data/text-task.ts";
import { ConfigError, levenshtein } from "../io/config.ts";
import { METRIC_NAMES } from "../metrics/index.ts";
import type { DataConfig, MixtureTaskConfig, RunConfig, TrainConfig } from "./train-config.ts";

/** Architectures that read audio features: their runs take data.speech manifests (src/train/speech-run.ts). */
export const SPEECH_ARCHITECTURES: readonly string[] = ["whisper", "speech-gru"];

function fail(key: string, message: string): never {
  throw new ConfigError(`config key "${key}" ${message}`, key);
}

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[]): void {
  if ((allowed as readonly string[]).includes(value)) return;
  const nearest = [...allowed].sort((a, b) => levenshtein(value, a) - levenshtein(value, b))[0];
  fail(key, `must be one of ${allowed.join(", ")}; got "${value}" (did you mean "${nearest}"?)`);
}

function checkInt(key: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) fail(key, `must be an integer ≥ ${min}, got ${value}`);
}

function checkTrain(t: TrainConfig): void {
  oneOf("train.schedule", t.schedule, ["constant", "noam", "cosine", "plateau"] as const);
  oneOf("train.noamForm", t.noamForm, ["relative", "classic"] as const);
  oneOf("train.metric", t.metric, ["auto", "loss", "g2p", ...METRIC_NAMES]);
  for (const key of ["maxSteps", "maxEpochs", "maxSentences", "warmupSteps", "saveEvery"] as const)
    checkInt(`train.${key}`, t[key], 0);
  for (const key of ["validMaxExamples", "decodeMaxLength", "patience", "averageLastK"] as const)
    checkInt(`train.${key}`, t[key], 0);
  for (const key of ["maxTokens", "accumulate", "validEvery", "keepLast", "logEvery", "threads"] as const)
    checkInt(`train.${key}`, t[key], 1);
  if (!(t.maxSeconds >= 0)) fail("train.maxSeconds", `must be ≥ 0, got ${t.maxSeconds}`);
  if (t.maxSteps === 0 && t.maxEpochs === 0 && t.maxSeconds === 0)
    fail("train.maxSteps", "or train.maxEpochs or train.maxSeconds must be set (> 0)");
  if (!(t.lr > 0)) fail("train.lr", `must be > 0, got ${t.lr}`);
  if (t.minLr < 0 || t.minLr > t.lr) fail("train.minLr", `must be in [0, train.lr], got ${t.minLr}`);
  if (t.labelSmoothing < 0 || t.labelSmoothing >= 1)
    fail("train.labelSmoothing", `must be in [0, 1), got ${t.labelSmoothing}`);
  if (t.maxGradNorm < 0) fail("train.maxGradNorm", `must be ≥ 0, got ${t.maxGradNorm}`);
  if (t.weightDecay < 0) fail("train.weightDecay", `must be ≥ 0, got ${t.weightDecay}`);
  for (const key of ["beta1", "beta2"] as const)
    if (t[key] < 0 || t[key] >= 1) fail(`train.${key}`, `must be in [0, 1), got ${t[key]}`);
  if (!(t.eps > 0)) fail("train.eps", `must be > 0, got ${t.eps}`);
  if (t.averageLastK > t.keepLast)
    fail("train.averageLastK", `(${t.averageLastK}) needs train.keepLast ≥ it (${t.keepLast})`);
  if (t.averageChooseK && t.averageLastK !== 0 && t.averageLastK < 3)
    fail(
      "train.averageChooseK",
      `tries the last 2..averageLastK checkpoints: it needs train.averageLastK ≥ 3`,
    );
  if (t.schedule === "cosine" && t.maxSteps <= t.warmupSteps)
    fail("train.maxSteps", `must exceed train.warmupSteps for the cosine schedule (it decays to maxSteps)`);
  if (t.schedule === "noam" && t.warmupSteps < 1) fail("train.warmupSteps", "must be ≥ 1 for noam");
  const p = t.plateau;
  if (!(p.factor > 0 && p.factor < 1)) fail("train.plateau.factor", `must be in (0, 1), got ${p.factor}`);
  checkInt("train.plateau.patience", p.patience, 0);
  checkInt("train.plateau.cooldown", p.cooldown, 0);
}

/** The keys that say where one task's pairs come from (data, or a data.mixture task with nlRx). */
type SourceKeys = Pick<
  DataConfig,
  "task" | "src" | "tgt" | "tsv" | "validSrc" | "validTgt" | "validTsv" | "srcColumn" | "tgtColumn" | "limit"
> & { template: string; nlRx?: string };

/** One task's data keys; `at` is "data" or "data.mixture[i]", so errors name the full key. */
function checkSources(at: string, d: SourceKeys): void {
  const hasFiles = d.src !== "" || d.tgt !== "" || d.tsv !== "";
  const nlRx = d.nlRx === undefined ? "" : `, or ${at}.nlRx`;
  const given = [d.task !== "", hasFiles, (d.nlRx ?? "") !== ""].filter(Boolean).length;
  if (given === 0) fail(`${at}.task`, `or ${at}.src + ${at}.tgt, or ${at}.tsv${nlRx} must be set`);
  if (d.task !== "" && hasFiles) fail(`${at}.task`, `and data files (${at}.src/tgt/tsv) exclude each other`);
  if (given > 1) fail(`${at}.nlRx`, `excludes ${at}.task and ${at}.src/tgt/tsv`);
  if (d.tsv !== "" && (d.src !== "" || d.tgt !== "")) fail(`${at}.tsv`, `excludes ${at}.src/${at}.tgt`);
  if (d.tsv === "" && (d.src === "") !== (d.tgt === ""))
    fail(d.src === "" ? `${at}.src` : `${at}.tgt`, "must be set together with the other side");
  if (d.validTsv !== "" && (d.validSrc !== "" || d.validTgt !== ""))
    fail(`${at}.validTsv`, `excludes ${at}.validSrc/${at}.validTgt`);
  if ((d.validSrc === "") !== (d.validTgt === ""))
    fail(d.validSrc === "" ? `${at}.validSrc` : `${at}.validTgt`, "must be set together with the other side");
  for (const key of ["srcColumn", "tgtColumn", "limit"] as const) checkInt(`${at}.${key}`, d[key], 0);
  if (d.template === "") return;
  if (d.tsv === "") fail(`${at}.template`, `fills in TSV columns: it needs ${at}.tsv`);
  try {
    templateFields(d.template);
  } catch (error) {
    fail(`${at}.template`, `is invalid: ${(error as Error).message}`);
  }
}

/** The text-data keys of one task: a mixture sets them per task, a speech run leaves them empty. */
const TEXT_DATA_KEYS = [
  "task",
  "src",
  "tgt",
  "tsv",
  "validSrc",
  "validTgt",
  "validTsv",
  "prefix",
  "template",
] as const;

function checkMixture(d: DataConfig, mixture: readonly MixtureTaskConfig[]): void {
  for (const key of TEXT_DATA_KEYS)
    if (d[key] !== "") fail(`data.${key}`, `excludes data.mixture: set it on each task of data.mixture`);
  if (d.limit !== 0) fail("data.limit", "excludes data.mixture: set data.mixture[i].limit");
  const names = new Set<string>();
  mixture.forEach((t, i) => {
    const at = `data.mixture[${i}]`;
    if (t.name === "")
      fail(`${at}.name`, "must be set (it names the task in the log and for translate --task)");
    if (names.has(t.name)) fail(`${at}.name`, `"${t.name}" names two tasks`);
    names.add(t.name);
    if (!(t.rate >= 0)) fail(`${at}.rate`, `must be ≥ 0, got ${t.rate}`);
    oneOf(`${at}.metric`, t.metric, ["auto", "g2p", ...METRIC_NAMES]);
    oneOf(`${at}.nlRxVariant`, t.nlRxVariant, NL_RX_VARIANTS);
    checkSources(at, t);
  });
  const explicit = mixture.filter((t) => t.rate > 0).length;
  if (explicit > 0 && explicit < mixture.length) {
    const i = mixture.findIndex((t) => t.rate === 0);
    fail(`data.mixture[${i}].rate`, "is 0 while other tasks have rates: give every task a rate, or none");
  }
}

function checkData(d: DataConfig): void {
  checkInt("data.maxLineLength", d.maxLineLength, 1);
  checkInt("data.filter.maxLength", d.filter.maxLength, 0);
  oneOf("data.truncate.policy", d.truncate.policy, TRUNCATE_POLICIES);
  const max = d.truncate.maxSourceTokens;
  if (max !== 0) checkInt("data.truncate.maxSourceTokens", max, 2);
  checkInt("data.mixing.cap", d.mixing.cap, 0);
  checkInt("data.mixing.epochSize", d.mixing.epochSize, 0);
  if (!(d.mixing.temperature > 0))
    fail("data.mixing.temperature", `must be > 0, got ${d.mixing.temperature}`);
  if (d.mixture === null) checkSources("data", d);
  else checkMixture(d, d.mixture);
}

/** A speech run (speech architecture or data.speech.train): manifests, no text data, keys that apply. */
function checkSpeech(config: RunConfig): void {
  const { data: d, train: t } = config;
  const architecture = config.model.architecture;
  const speechModel = SPEECH_ARCHITECTURES.includes(architecture);
  if (d.speech.train === "") {
    if (speechModel) {
      const text = TEXT_DATA_KEYS.find((key) => d[key] !== "");
      const given = text ? ` (data.${text} is text data)` : "";
      fail(
        "data.speech.train",
        `must name a training manifest: model.architecture "${architecture}" reads audio, not text${given}; ` +
          "`seq2seq data speech` writes train.tsv and valid.tsv manifests (--speech-train / --speech-valid)",
      );
    }
    for (const key of ["valid", "language", "task"] as const)
      if (d.speech[key] !== "") fail(`data.speech.${key}`, "needs data.speech.train (a speech run)");
    return;
  }
  if (!speechModel)
    fail(
      "data.speech.train",
      `needs a speech model (model.architecture ${SPEECH_ARCHITECTURES.join(" or ")}, or train.initFrom a ` +
        `Whisper folder); model.architecture is "${architecture}"`,
    );
  for (const key of TEXT_DATA_KEYS)
    if (d[key] !== "") fail(`data.${key}`, "is text data: a speech run reads data.speech manifests only");
  if (d.mixture !== null) fail("data.mixture", "does not apply to a speech run");
  if (d.reverseTarget)
    fail("data.reverseTarget", "applies to text targets; a speech run writes left to right");
  checkInt("train.batchFrames", t.batchFrames, 1);
  const a = t.specAugment;
  for (const key of ["freqMasks", "freqWidth", "timeMasks", "timeWidth"] as const)
    checkInt(`train.specAugment.${key}`, a[key], 0);
  if (!(a.maxTimeFraction > 0 && a.maxTimeFraction <= 1))
    fail("train.specAugment.maxTimeFraction", `must be in (0, 1], got ${a.maxTimeFraction}`);
  if (!(a.freqWarp >= 0 && a.freqWarp < 0.5))
    fail("train.specAugment.freqWarp", `must be in [0, 0.5), got ${a.freqWarp}`);
  oneOf("train.metric", t.metric, ["auto", "cer", "wer"] as const);
  if (t.accumulate !== 1)
    fail("train.accumulate", "must be 1 in a speech run (batches are sized by train.batchFrames)");
  if (t.averageLastK !== 0)
    fail("train.averageLastK", "does not apply to a speech run (it keeps last/ and best/)");
  if (t.averageChooseK)
    fail("train.averageChooseK", "does not apply to a speech run (it keeps last/ and best/)");
  if (t.maxSentences !== 0)
    fail("train.maxSentences", "does not apply to a speech run: set train.batchFrames");
  if (t.schedule === "plateau" && d.speech.valid === "")
    fail("train.schedule", "plateau follows the validation CER: it needs data.speech.valid");
}

/** Range and consistency checks beyond types; throws a ConfigError naming the key. */
export function checkRunConfig(config: RunConfig): void {
  checkTrain(config.train);
  checkSpeech(config);
  if (config.data.speech.train === "") checkData(config.data);
  if (config.data.mixture !== null && config.train.metric !== "auto" && config.train.metric !== "loss")
    fail(
      "train.metric",
      "must be auto or loss with data.mixture (each task's metric is data.mixture[i].metric)",
    );
  const tok = config.tokenizer;
  const kinds = ["char", "word", "bpe", "unigram"] as const;
  oneOf("tokenizer.kind", tok.kind, kinds);
  if (tok.targetKind !== "") oneOf("tokenizer.targetKind", tok.targetKind, kinds);
  if (tok.targetKind !== "" && tok.targetKind !== tok.kind && tok.joint)
    fail("tokenizer.targetKind", "differs from tokenizer.kind, so it needs tokenizer.joint: false");
  oneOf("tokenizer.alphabet", tok.alphabet, ["byte", "char"] as const);
  checkInt("tokenizer.vocabSize", tok.vocabSize, 0);
  if (!tok.joint && config.model["shareEmbeddings"] === true) {
    fail(
      "model.shareEmbeddings",
      "needs one vocabulary for both sides: set tokenizer.joint: true or model.shareEmbeddings: false",
    );
  }
}
