// Value checks of a run config beyond the types resolveConfig checks: ranges, choices (with the nearest
// valid one suggested) and combinations that cannot work together; each error names its key.

import { ConfigError, levenshtein } from "../io/config.ts";
import { METRIC_NAMES } from "../metrics/index.ts";
import type { DataConfig, RunConfig, TrainConfig } from "./train-config.ts";

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
  if (t.schedule === "cosine" && t.maxSteps <= t.warmupSteps)
    fail("train.maxSteps", `must exceed train.warmupSteps for the cosine schedule (it decays to maxSteps)`);
  if (t.schedule === "noam" && t.warmupSteps < 1) fail("train.warmupSteps", "must be ≥ 1 for noam");
  const p = t.plateau;
  if (!(p.factor > 0 && p.factor < 1)) fail("train.plateau.factor", `must be in (0, 1), got ${p.factor}`);
  checkInt("train.plateau.patience", p.patience, 0);
  checkInt("train.plateau.cooldown", p.cooldown, 0);
}

function checkData(d: DataConfig): void {
  const hasFiles = d.src !== "" || d.tgt !== "" || d.tsv !== "";
  if (d.task === "" && !hasFiles) fail("data.task", `or data.src + data.tgt, or data.tsv must be set`);
  if (d.task !== "" && hasFiles) fail("data.task", `and data files (data.src/tgt/tsv) exclude each other`);
  if (d.tsv !== "" && (d.src !== "" || d.tgt !== "")) fail("data.tsv", "excludes data.src/data.tgt");
  if (d.tsv === "" && (d.src === "") !== (d.tgt === ""))
    fail(d.src === "" ? "data.src" : "data.tgt", "must be set together with the other side");
  if (d.validTsv !== "" && (d.validSrc !== "" || d.validTgt !== ""))
    fail("data.validTsv", "excludes data.validSrc/data.validTgt");
  if ((d.validSrc === "") !== (d.validTgt === ""))
    fail(d.validSrc === "" ? "data.validSrc" : "data.validTgt", "must be set together with the other side");
  for (const key of ["srcColumn", "tgtColumn", "limit"] as const) checkInt(`data.${key}`, d[key], 0);
  checkInt("data.maxLineLength", d.maxLineLength, 1);
  checkInt("data.filter.maxLength", d.filter.maxLength, 0);
}

/** Range and consistency checks beyond types; throws a ConfigError naming the key. */
export function checkRunConfig(config: RunConfig): void {
  checkTrain(config.train);
  checkData(config.data);
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
