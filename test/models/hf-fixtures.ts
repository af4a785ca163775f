// Shared helpers of the Hugging Face fixture tests: where ../shared/fixtures/hf is, which families it has,
// and expected.json's tensors (row-major float lists with "-Infinity" strings, nested integer lists).

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const FIXTURES = resolve(REPO_ROOT, "../shared/fixtures/hf");
/** Every text family with a fixture (Whisper needs the speech front end). */
export const FAMILIES = ["bart", "mbart", "marian", "m2m100", "t5_v1_1", "t5_original"] as const;
export type FixtureFamily = (typeof FAMILIES)[number];

/** A skip message when the fixtures are absent, else undefined. */
export function fixturesMissing(family?: string): string | undefined {
  const dir = family ? join(FIXTURES, family) : FIXTURES;
  return existsSync(join(dir, family ? "expected.json" : "README.md"))
    ? undefined
    : `Hugging Face fixtures not found at ${dir} (../shared/fixtures/hf)`;
}

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

export interface GenerationCase {
  kwargs: Record<string, unknown>;
  sequences: number[][];
  sequencesScores?: number[];
  effectiveMaxLength: number;
}

export interface Expected {
  inputIds: number[][];
  attentionMask: number[][];
  decoderInputIds: number[][];
  encoderOutput: FloatTensor;
  logits: FloatTensor;
  generation: Record<string, GenerationCase>;
  safetensorsKeys: Record<string, number[]>;
}

function floats(t: { shape: number[]; data: Array<number | string> }): FloatTensor {
  return { shape: t.shape, data: Float32Array.from(t.data, (x) => (typeof x === "string" ? Number(x) : x)) };
}

/** Reads `family`/expected.json. */
export function readExpected(family: string): Expected {
  // biome-ignore lint/suspicious/noExplicitAny: expected.json is a fixture with a documented layout
  const e: any = JSON.parse(readFileSync(join(FIXTURES, family, "expected.json"), "utf8"));
  const generation: Record<string, GenerationCase> = {};
  for (const [mode, g] of Object.entries<Record<string, never>>(e.generation)) {
    generation[mode] = {
      kwargs: g.kwargs,
      sequences: (g.sequences as { data: number[][] }).data,
      sequencesScores: g.sequences_scores,
      effectiveMaxLength: g.effective_max_length,
    };
  }
  return {
    inputIds: e.inputs.input_ids.data,
    attentionMask: e.inputs.attention_mask.data,
    decoderInputIds: e.decoder_input_ids.data,
    encoderOutput: floats(e.encoder_last_hidden_state),
    logits: floats(e.logits),
    generation,
    safetensorsKeys: e.safetensors_keys,
  };
}

/** Largest |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The source rows without their padding. */
export function unpadded(e: Expected): number[][] {
  return e.inputIds.map((row, i) => row.filter((_, j) => e.attentionMask[i]![j] === 1));
}
