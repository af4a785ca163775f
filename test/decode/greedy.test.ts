// Greedy decoding over the processors: argmax per step, constraints respected, finished rows dropped,
// and the runner-level greedyDecode (used by the demo) agreeing with greedySearch on a random Transformer.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { argmax, greedyDecode, greedySearch } from "../../src/decode/greedy.ts";
import type { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { A, B, BOS, EOS, fakeModel, fakeState, GREEDY_TRAP, tinyRunner } from "./toy-models.ts";

const base = { bos: BOS, eos: EOS, maxLength: 10 };

test("argmax takes the first of equal maxima", () => {
  assert.equal(argmax(Float32Array.of(-2, -1, -1, -3)), 1);
});

test("greedy takes the most probable token each step and reports its log-probabilities", async () => {
  const [h] = await greedySearch(fakeModel(GREEDY_TRAP, 5), fakeState(1), { ...base, srcLengths: [3] });
  assert.deepEqual(h!.tokens, [A, A, EOS]);
  assert.deepEqual(
    h!.tokenLogProbs.map((x) => +Math.exp(x).toFixed(5)),
    [0.6, 0.4, 1],
  );
  assert.equal(h!.score, h!.logProb);
  assert.equal(h!.attention.length, 3);
});

test("constraints change greedy's choices; a row with every token banned ends with EOS", async () => {
  const forced = await greedySearch(fakeModel(GREEDY_TRAP, 5), fakeState(1), {
    ...base,
    srcLengths: [3],
    forcedFirstToken: B,
  });
  assert.deepEqual(forced[0]!.tokens, [B, EOS]);
  assert.equal(forced[0]!.tokenLogProbs[0], 0, "a forced token costs nothing");
  const stuck = await greedySearch(
    fakeModel(() => ({ [EOS]: 1 }), 5),
    fakeState(1),
    {
      ...base,
      srcLengths: [3],
      minLength: 2,
    },
  );
  assert.deepEqual(stuck[0]!.tokens, [EOS]);
  assert.equal(stuck[0]!.logProb, Number.NEGATIVE_INFINITY);
});

test("rows leave the batch as they finish; max length is relative to each source", async () => {
  const model = fakeModel(() => ({ [A]: 1 }), 5);
  const hyps = await greedySearch(model, fakeState(2), {
    ...base,
    srcLengths: [1, 3],
    relativeMaxLength: { offset: 0, ratio: 1 },
  });
  assert.deepEqual(
    hyps.map((h) => h.tokens),
    [
      [A, EOS],
      [A, A, A, EOS],
    ],
  );
  assert.deepEqual(model.rowsPerStep, [2, 2, 1, 1]);
});

let runner: Seq2SeqRunner | undefined;
after(async () => runner?.release());

test("greedyDecode (runner, source ids) returns greedySearch's tokens without EOS", async () => {
  runner ??= await tinyRunner();
  const sources = [
    [5, 6, 7, 2],
    [8, 2],
  ];
  const ids = await greedyDecode(runner, sources, { bos: BOS, eos: EOS, maxLength: 6 });
  const hyps = await greedySearch(runner, await runner.encode(sources), {
    ...base,
    maxLength: 6,
    srcLengths: [4, 2],
  });
  assert.deepEqual(
    ids,
    hyps.map((h) => h.tokens.filter((t) => t !== EOS)),
  );
  for (const row of ids) assert.ok(row.length <= 6);
});
