// Beam search on hand-built distributions (every sequence's probability known) and on a tiny random
// Transformer: beam 1 = greedy, beam beats greedy's trap, n-best order and scores, length penalty, stopping.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { beamSearch, topIndices } from "../../src/decode/beam.ts";
import { greedySearch } from "../../src/decode/greedy.ts";
import { lengthPenalty } from "../../src/decode/length-penalty.ts";
import type { Seq2SeqRunner } from "../../src/decode/runner.ts";
import {
  A,
  B,
  BOS,
  EOS,
  fakeModel,
  fakeState,
  GREEDY_TRAP,
  type ToyDistribution,
  tinyRunner,
} from "./toy-models.ts";

const V = 5;
const base = { bos: BOS, eos: EOS, maxLength: 10, srcLengths: [3] };
const noPenalty = { form: "gnmt" as const, alpha: 0 };
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);

test("greedy falls into the trap; beam 2 finds the more probable B EOS", async () => {
  const greedy = await greedySearch(fakeModel(GREEDY_TRAP, V), fakeState(1), base);
  assert.deepEqual(greedy[0]!.tokens, [A, A, EOS]);
  close(greedy[0]!.logProb, Math.log(0.24), "greedy log-probability");
  const [nbest] = await beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), {
    ...base,
    beam: 2,
    lengthPenalty: noPenalty,
  });
  assert.deepEqual(nbest![0]!.tokens, [B, EOS]);
  close(nbest![0]!.score, Math.log(0.36), "beam score");
});

test("beam 1 equals greedy on the toy", async () => {
  const [nbest] = await beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), { ...base, beam: 1 });
  assert.deepEqual(nbest![0]!.tokens, [A, A, EOS]);
});

test("the n-best list is ordered by score, each score its sequence's log-probability", async () => {
  const [nbest] = await beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), {
    ...base,
    beam: 3,
    nbest: 3,
    lengthPenalty: noPenalty,
  });
  assert.deepEqual(
    nbest!.map((h) => h.tokens),
    [
      [B, EOS],
      [A, A, EOS],
      [A, EOS],
    ],
  );
  [0.36, 0.24, 0.21].forEach((p, i) => {
    close(nbest![i]!.score, Math.log(p), `score ${i}`);
    close(nbest![i]!.logProb, Math.log(p), `logProb ${i}`);
    const sum = nbest![i]!.tokenLogProbs.reduce((a, x) => a + x, 0);
    close(sum, nbest![i]!.logProb, `token log-probabilities ${i}`);
  });
  assert.deepEqual(
    nbest![1]!.tokenLogProbs.map(Math.exp).map((x) => +x.toFixed(5)),
    [0.6, 0.4, 1],
  );
});

test("attention follows each hypothesis's own path ([tokens][srcLen])", async () => {
  const [nbest] = await beamSearch(fakeModel(GREEDY_TRAP, V, 2), fakeState(1), {
    ...base,
    srcLengths: [2],
    beam: 3,
    nbest: 3,
  });
  for (const h of nbest!) {
    assert.equal(h.attention.length, h.tokens.length);
    h.attention.forEach((row, t) => {
      assert.deepEqual(Array.from(row), t % 2 === 0 ? [1, 0] : [0, 1]);
    });
  }
});

test("length penalty: the two forms and how α reranks", async () => {
  assert.equal(lengthPenalty(1, { form: "gnmt", alpha: 0.7 }), 1);
  close(lengthPenalty(7, { form: "gnmt", alpha: 0.5 }), Math.sqrt(2), "gnmt");
  assert.equal(lengthPenalty(3, { form: "power", alpha: 2 }), 9);
  assert.equal(lengthPenalty(3, { form: "power", alpha: 0 }), 1);
  const search = async (form: "gnmt" | "power", alpha: number) =>
    (
      await beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), {
        ...base,
        beam: 3,
        nbest: 2,
        lengthPenalty: { form, alpha },
      })
    )[0]!;
  const gnmt = await search("gnmt", 3);
  assert.deepEqual(gnmt[0]!.tokens, [A, A, EOS], "a strong α prefers the longer hypothesis");
  close(gnmt[0]!.score, Math.log(0.24) / (8 / 6) ** 3, "gnmt score");
  close(gnmt[1]!.score, Math.log(0.36) / (7 / 6) ** 3, "gnmt runner-up");
  close(gnmt[0]!.logProb, Math.log(0.24), "logProb is unpenalised");
  const power = await search("power", 2);
  assert.deepEqual(power[0]!.tokens, [A, A, EOS]);
  close(power[0]!.score, Math.log(0.24) / 9, "power score");
  assert.deepEqual(power[1]!.tokens, [A, B, EOS], "len² favours length even more");
  close(power[1]!.score, Math.log(0.15) / 9, "power runner-up");
});

/** EOS at once (p .5) vs A then EOS (p .45): under gnmt α = 1, A EOS scores higher. */
const LATE_WINNER: ToyDistribution = (_s, prefix) =>
  prefix.length === 0 ? { [EOS]: 0.5, [A]: 0.45, [B]: 0.05 } : { [EOS]: 1 };

test('earlyStopping true stops at `beam` finished; "never" finds a later, better hypothesis', async () => {
  const options = { ...base, beam: 1, lengthPenalty: { form: "gnmt" as const, alpha: 1 } };
  const early = await beamSearch(fakeModel(LATE_WINNER, V), fakeState(1), {
    ...options,
    earlyStopping: true,
  });
  assert.deepEqual(early[0]![0]!.tokens, [EOS]);
  close(early[0]![0]!.score, Math.log(0.5), "early score");
  const exact = await beamSearch(fakeModel(LATE_WINNER, V), fakeState(1), {
    ...options,
    earlyStopping: "never",
  });
  assert.deepEqual(exact[0]![0]!.tokens, [A, EOS]);
  close(exact[0]![0]!.score, Math.log(0.45) / (7 / 6), "exact score");
});

/**
 * A peaked model whose unlikely beams end early: A (.6) then A (.9) then EOS is the best sequence (.54), but
 * EOS at once (.3) and B EOS (.1) finish first. With beam 2 they fill the finished list after two steps.
 */
const JUNK_FINISHES_FIRST: ToyDistribution = (_s, prefix) => {
  if (prefix.length === 0) return { [A]: 0.6, [EOS]: 0.3, [B]: 0.1 };
  if (prefix[0] === B) return { [EOS]: 1 };
  return prefix.length === 1 ? { [A]: 0.9, [EOS]: 0.1 } : { [EOS]: 1 };
};

test("the default (earlyStopping false) keeps a probable live beam that true drops for finished junk", async () => {
  const options = { ...base, beam: 2, lengthPenalty: noPenalty };
  const early = await beamSearch(fakeModel(JUNK_FINISHES_FIRST, V), fakeState(1), {
    ...options,
    earlyStopping: true,
  });
  assert.deepEqual(early[0]![0]!.tokens, [EOS], "true: stops with EOS and B EOS finished, A A still live");
  const heuristic = await beamSearch(fakeModel(JUNK_FINISHES_FIRST, V), fakeState(1), options);
  assert.deepEqual(
    heuristic[0]![0]!.tokens,
    [A, A, EOS],
    "false (default): A A (.54) can still beat B EOS (.1)",
  );
  close(heuristic[0]![0]!.logProb, Math.log(0.54), "its log-probability");
  const exact = await beamSearch(fakeModel(JUNK_FINISHES_FIRST, V), fakeState(1), {
    ...options,
    earlyStopping: "never",
  });
  assert.deepEqual(exact[0]![0]!.tokens, [A, A, EOS]);
});

test("finished sentences leave the batch; max length ends the rest; constraints apply to beams", async () => {
  const model = fakeModel((s) => (s === 0 ? { [EOS]: 0.9, [A]: 0.1 } : { [A]: 0.9, [B]: 0.1 }), V);
  const out = await beamSearch(model, fakeState(2), {
    ...base,
    srcLengths: [3, 3],
    beam: 2,
    maxLength: 4,
    noRepeatNgram: 2,
    lengthPenalty: noPenalty,
  });
  assert.deepEqual(out[0]![0]!.tokens, [EOS]);
  assert.deepEqual(
    model.rowsPerStep,
    [4, 4, 2, 2, 2],
    "sentence 0 is done after 2 steps, sentence 1 at 4 + EOS",
  );
  const best = out[1]![0]!.tokens;
  assert.equal(best.length, 5);
  assert.equal(best.at(-1), EOS);
  const bigrams = best.slice(0, -1).map((t, i) => `${t},${best[i + 1]}`);
  assert.equal(new Set(bigrams).size, bigrams.length, `no repeated bigram in ${best}`);
  const banned = await beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), {
    ...base,
    beam: 2,
    bannedSequences: [[B]],
    lengthPenalty: noPenalty,
  });
  assert.deepEqual(banned[0]![0]!.tokens, [A, A, EOS], "B banned: the best left");
});

test("bad beam and nbest are errors", async () => {
  await assert.rejects(
    beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), { ...base, beam: 0 }),
    /beam must be/,
  );
  await assert.rejects(
    beamSearch(fakeModel(GREEDY_TRAP, V), fakeState(1), { ...base, beam: 2, nbest: 3 }),
    /nbest must be an integer from 1 to the beam size 2/,
  );
});

test("topIndices keeps the largest finite values, lower index first on ties", () => {
  const values = Float64Array.of(-1, -3, Number.NEGATIVE_INFINITY, -1, -0.5, -2);
  assert.deepEqual(topIndices(values, 3), [4, 0, 3]);
  assert.deepEqual(topIndices(values, 10), [4, 0, 3, 5, 1]);
});

let runner: Seq2SeqRunner | undefined;
after(async () => runner?.release());

const SOURCES = [
  [5, 6, 7, 8, 9, 10, 2],
  [11, 4, 2],
  [12, 13, 14, 15, 2],
];

test("on a random Transformer: beam 1 equals greedy, and batched beam search equals one sentence at a time", async () => {
  runner ??= await tinyRunner();
  const r = runner;
  const options = { bos: BOS, eos: EOS, maxLength: 6, srcLengths: SOURCES.map((s) => s.length) };
  const greedy = await greedySearch(r, await r.encode(SOURCES), options);
  const beam1 = await beamSearch(r, await r.encode(SOURCES), { ...options, beam: 1 });
  assert.deepEqual(
    beam1.map((n) => n[0]!.tokens),
    greedy.map((h) => h.tokens),
  );
  const beamOptions = { ...options, beam: 3, nbest: 3 };
  const batched = await beamSearch(r, await r.encode(SOURCES), beamOptions);
  for (let i = 0; i < SOURCES.length; i++) {
    const [alone] = await beamSearch(r, await r.encode([SOURCES[i]!]), {
      ...beamOptions,
      srcLengths: [SOURCES[i]!.length],
    });
    assert.deepEqual(
      batched[i]!.map((h) => h.tokens),
      alone!.map((h) => h.tokens),
      `sentence ${i}`,
    );
    batched[i]!.forEach((h, j) => {
      close(h.score, alone![j]!.score, `sentence ${i} hypothesis ${j}`);
      assert.equal(h.attention.length, h.tokens.length);
      for (const row of h.attention) {
        assert.equal(row.length, SOURCES[i]!.length, "attention trimmed to the sentence's own source");
        close(
          row.reduce((a, x) => a + x, 0),
          1,
          "attention sums to 1",
        );
      }
    });
  }
});
