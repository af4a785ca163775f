// transformers' generate conventions on a fake model (no fixtures needed): n-gram bans see the decoder
// start token, max_length ends without EOS unless EOS is forced, and translate flags map onto overrides.

import assert from "node:assert/strict";
import { test } from "node:test";
import { generate, overridesFromTranslateOptions } from "../../src/decode/hf-generate.ts";
import type { StepModel, StepResult } from "../../src/decode/search.ts";
import {
  type GenerationConfig,
  HF_GENERATION_DEFAULTS,
  withOverrides,
} from "../../src/models/hf-generation.ts";

const START = 0;
const EOS = 2;
const A = 3;
const B = 4;

/** Prefers A at even steps and START at odd ones, B second; EOS is never likely. State: steps taken. */
const model: StepModel<number> = {
  async step(state: number, tokens: readonly number[]): Promise<StepResult<number>> {
    const logProbs = new Float32Array(tokens.length * 5).fill(-8);
    tokens.forEach((_, row) => {
      logProbs[row * 5 + (state % 2 === 0 ? A : START)] = -0.1;
      logProbs[row * 5 + B] = -2.5;
    });
    return { logProbs, attention: new Float32Array(tokens.length), state: state + 1 };
  },
  reorder: (state) => state,
};

const base: GenerationConfig = {
  ...HF_GENERATION_DEFAULTS,
  decoderStartTokenId: START,
  eosTokenId: EOS,
  padTokenId: 1,
  maxNewTokens: 4,
  badWordsIds: [],
  suppressTokens: [],
  beginSuppressTokens: [],
};

test("without forced EOS, greedy stops after max_new_tokens with no EOS", async () => {
  const out = await generate(model, 0, [3], base);
  assert.deepEqual(out.sequences, [[START, A, START, A, START]]);
});

test("forced_eos_token_id puts EOS at the last position max_length allows", async () => {
  const out = await generate(model, 0, [3], { ...base, forcedEosTokenId: EOS });
  assert.deepEqual(out.sequences, [[START, A, START, A, EOS]]);
});

test("no_repeat_ngram_size counts the decoder start token (START A was seen, so A cannot follow START)", async () => {
  const out = await generate(model, 0, [3], { ...base, noRepeatNgramSize: 2 });
  assert.deepEqual(out.sequences, [[START, A, START, B, START]]);
});

test("bad_words_ids bans a token after its prefix, the start token included", async () => {
  const out = await generate(model, 0, [3], { ...base, badWordsIds: [[START, A]] });
  assert.deepEqual(out.sequences[0]!.slice(0, 2), [START, B]);
});

test("beam search without forced EOS finishes its best beams at max length", async () => {
  const out = await generate(model, 0, [3], { ...base, numBeams: 2, numReturnSequences: 2 });
  assert.deepEqual(out.sequences[0], [START, A, START, A, START]);
  assert.equal(out.sequences.length, 2);
  assert.ok(Math.abs(out.scores![0]! - -0.4 / 4) < 1e-5, `score ${out.scores![0]}`);
});

test("user overrides are checked and translate options map onto them", () => {
  assert.throws(() => withOverrides(base, { numReturnSequences: 3 }), /numReturnSequences/);
  const o = overridesFromTranslateOptions({
    beam: 4,
    nbest: 2,
    maxLength: 10,
    noRepeatNgram: 3,
    forcedFirstToken: 7,
  });
  assert.deepEqual(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)), {
    numBeams: 4,
    numReturnSequences: 2,
    maxNewTokens: 11,
    noRepeatNgramSize: 3,
    forcedBosTokenId: 7,
  });
  assert.throws(
    () => overridesFromTranslateOptions({ lengthPenalty: { form: "gnmt", alpha: 0.6 } }),
    /power/,
  );
});
