// Every logits processor on hand-made [rows × vocab] scores: what it bans or forces, and what it leaves.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyProcessors,
  BannedSequencesProcessor,
  BeginSuppressTokensProcessor,
  buildProcessors,
  ForcedFirstTokenProcessor,
  type LogitsProcessor,
  MaxLengthProcessor,
  MinLengthProcessor,
  NoRepeatNGramProcessor,
  type ProcessorContext,
  SuppressTokensProcessor,
} from "../../src/decode/processors.ts";

const V = 8;
const EOS = 2;
const NEG = Number.NEGATIVE_INFINITY;

/** Runs `processor` on uniform scores (-1) for rows with the given generated tokens; returns rows of scores. */
function run(
  processor: LogitsProcessor,
  generated: number[][],
  srcLengths = generated.map(() => 5),
): number[][] {
  const scores = new Float32Array(generated.length * V).fill(-1);
  const context: ProcessorContext = { generated, srcLengths };
  processor.process(scores, context);
  return generated.map((_, r) => Array.from(scores.subarray(r * V, (r + 1) * V)));
}

/** The ids a row's scores ban. */
const banned = (row: number[]) => row.flatMap((x, id) => (x === NEG ? [id] : []));

test("min length bans EOS only while a row is shorter than the minimum", () => {
  const rows = run(new MinLengthProcessor(2, EOS), [[], [5], [5, 6], [5, 6, 7]]);
  assert.deepEqual(rows.map(banned), [[EOS], [EOS], [], []]);
});

test("max length forces EOS (at log-probability 0) from the limit on", () => {
  const rows = run(new MaxLengthProcessor(2, EOS), [[5], [5, 6]]);
  assert.deepEqual(rows[0], Array(V).fill(-1));
  assert.deepEqual(rows[1], [NEG, NEG, 0, NEG, NEG, NEG, NEG, NEG]);
});

test("relative max length is min(maxLength, ⌊offset + ratio · srcLen⌋) per row", () => {
  const p = new MaxLengthProcessor(10, EOS, { offset: 1, ratio: 0.5 });
  assert.equal(p.limit(4), 3);
  assert.equal(p.limit(5), 3);
  assert.equal(p.limit(40), 10);
  const rows = run(
    p,
    [
      [5, 6, 7],
      [5, 6, 7],
    ],
    [4, 6],
  );
  assert.equal(rows[0]![EOS], 0, "srcLen 4: limit 3 reached");
  assert.deepEqual(banned(rows[1]!), [], "srcLen 6: limit 4 not reached");
});

test("shared positions (a prefix LM) cap the length at sharedPositions − srcLen − 1 per row", () => {
  const p = new MaxLengthProcessor(10, EOS, undefined, 12);
  assert.deepEqual(
    [4, 9, 11, 12, 30].map((n) => p.limit(n)),
    [7, 2, 0, 0, 0],
  );
  assert.equal(new MaxLengthProcessor(3, EOS, undefined, 12).limit(4), 3, "maxLength still applies");
  const rows = run(
    p,
    [
      [5, 6],
      [5, 6],
    ],
    [9, 8],
  );
  assert.equal(rows[0]![EOS], 0, "srcLen 9: limit 2 reached");
  assert.deepEqual(banned(rows[1]!), [], "srcLen 8: limit 3 not reached");
});

test("no-repeat-n-gram bans the tokens that would complete a generated n-gram", () => {
  assert.deepEqual(
    run(new NoRepeatNGramProcessor(2), [
      [5, 6, 5],
      [5, 6, 7],
      [5, 5],
    ]).map(banned),
    [[6], [], [5]],
  );
  assert.deepEqual(
    run(new NoRepeatNGramProcessor(3), [
      [3, 4, 5, 3, 4],
      [3, 4],
    ]).map(banned),
    [[5], []],
  );
  assert.deepEqual(run(new NoRepeatNGramProcessor(1), [[4, 6, 4]]).map(banned), [[4, 6]]);
});

test("banned sequences: one-token ones always, longer ones after their prefix", () => {
  const p = new BannedSequencesProcessor([[4], [5, 6], [3, 5, 7]]);
  assert.deepEqual(run(p, [[], [1, 5], [3, 5], [5, 3]]).map(banned), [[4], [4, 6], [4, 6, 7], [4]]);
});

test("suppressed tokens are banned at every step; begin-suppressed ones only first", () => {
  assert.deepEqual(run(new SuppressTokensProcessor([3, 7]), [[], [5, 6]]).map(banned), [
    [3, 7],
    [3, 7],
  ]);
  assert.deepEqual(run(new BeginSuppressTokensProcessor([EOS, 5]), [[], [5]]).map(banned), [[EOS, 5], []]);
});

test("the forced first token is the only choice at step 0, at no cost", () => {
  const rows = run(new ForcedFirstTokenProcessor(6), [[], [6]]);
  assert.deepEqual(rows[0], [NEG, NEG, NEG, NEG, NEG, NEG, 0, NEG]);
  assert.deepEqual(rows[1], Array(V).fill(-1));
});

test("buildProcessors composes in order: max length overrides a conflicting min length and bans", () => {
  const list = buildProcessors({
    eos: EOS,
    maxLength: 2,
    minLength: 5,
    suppressTokens: [EOS],
    noRepeatNgram: 2,
  });
  assert.equal(list.length, 4);
  assert.ok(list.at(-1) instanceof MaxLengthProcessor);
  const scores = new Float32Array(2 * V).fill(-1);
  applyProcessors(list, scores, { generated: [[5], [5, 6]], srcLengths: [3, 3] });
  assert.deepEqual(banned(Array.from(scores.subarray(0, V))), [EOS], "min length + suppression");
  assert.equal(scores[V + EOS], 0, "at the max length EOS is forced anyway");
  assert.deepEqual(buildProcessors({ eos: EOS, maxLength: 4 }).length, 1, "max length is always there");
});

test("forced first token and begin suppression compose with the forcing winning", () => {
  const list = buildProcessors({ eos: EOS, maxLength: 9, beginSuppressTokens: [6], forcedFirstToken: 6 });
  const scores = new Float32Array(V).fill(-1);
  applyProcessors(list, scores, { generated: [[]], srcLengths: [3] });
  assert.equal(scores[6], 0);
});
