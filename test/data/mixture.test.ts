// Multi-task mixing: rates (examples-proportional with a cap, temperature, explicit), whole per-epoch quotas,
// and the mixture stream: task shares over many batches, coverage of a capped task, seeds and resuming.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TokenizedPair } from "../../src/data/batching.ts";
import { epochQuotas, MixtureStream, mixingRates } from "../../src/data/mixture.ts";

describe("mixingRates", () => {
  test("examples-proportional, with the cap K of T5", () => {
    assert.deepEqual(mixingRates([100, 300], { rates: [0, 0], cap: 0, temperature: 1 }), [0.25, 0.75]);
    const capped = mixingRates([100, 300, 50], { rates: [0, 0, 0], cap: 100, temperature: 1 });
    assert.deepEqual(capped, [0.4, 0.4, 0.2]);
  });

  test("a temperature evens the rates out", () => {
    const [a, b] = mixingRates([100, 400], { rates: [0, 0], cap: 0, temperature: 2 });
    assert.ok(Math.abs(a! - 1 / 3) < 1e-12 && Math.abs(b! - 2 / 3) < 1e-12, `${a} ${b}`);
  });

  test("explicit rates are normalised; a mix of given and missing rates is an error", () => {
    assert.deepEqual(mixingRates([10, 1000], { rates: [3, 1], cap: 0, temperature: 1 }), [0.75, 0.25]);
    assert.throws(
      () => mixingRates([10, 10], { rates: [1, 0], cap: 0, temperature: 1 }),
      /every task a rate/,
    );
    assert.throws(
      () => mixingRates([0, 0], { rates: [0, 0], cap: 0, temperature: 1 }),
      /every task is empty/,
    );
  });
});

test("epochQuotas gives whole counts that sum to the epoch size", () => {
  assert.deepEqual(epochQuotas([0.5, 0.3, 0.2], 10), [5, 3, 2]);
  const q = epochQuotas([1 / 3, 1 / 3, 1 / 3], 100);
  assert.equal(
    q.reduce((a, b) => a + b, 0),
    100,
  );
  assert.ok(q.every((n) => n === 33 || n === 34));
});

/** `sizes[t]` examples of task t; lengths vary so batches differ. */
function corpus(sizes: number[]): { pairs: TokenizedPair[]; taskOf: number[] } {
  const pairs: TokenizedPair[] = [];
  const taskOf: number[] = [];
  sizes.forEach((n, t) => {
    for (let i = 0; i < n; i++) {
      const len = 2 + ((i * 7 + t) % 9);
      pairs.push({ src: new Array(len).fill(4), tgt: new Array(len).fill(5) });
      taskOf.push(t);
    }
  });
  return { pairs, taskOf };
}

function drawCounts(stream: MixtureStream, taskOf: number[], batches: number): number[] {
  const counts = [0, 0, 0];
  for (let b = 0; b < batches; b++) for (const i of stream.next().batch.indices) counts[taskOf[i]!]! += 1;
  return counts;
}

describe("MixtureStream", () => {
  const { pairs, taskOf } = corpus([1000, 200, 50]);
  const rates = [0.5, 0.3, 0.2];
  const tasks = epochQuotas(rates, 400).map((quota, i) => ({ name: `t${i}`, quota }));
  const options = { maxTokens: 64, seed: 7 };

  test("examples over many batches follow the rates (within 2%)", () => {
    const stream = new MixtureStream(pairs, taskOf, tasks, options);
    const counts = drawCounts(stream, taskOf, 600);
    const total = counts.reduce((a, b) => a + b, 0);
    counts.forEach((n, t) => {
      assert.ok(Math.abs(n / total - rates[t]!) < 0.02, `task ${t}: ${n}/${total} vs rate ${rates[t]}`);
    });
  });

  test("every epoch holds each task's quota; a capped task shows every example over a few epochs", () => {
    const stream = new MixtureStream(pairs, taskOf, tasks, options);
    const seen = new Set<number>();
    for (let epoch = 0; epoch < 5; epoch++) {
      const chosen = stream.epochExamples(epoch);
      const per = [0, 1, 2].map((t) => chosen.filter((i) => taskOf[i] === t).length);
      assert.deepEqual(per, [200, 120, 80]);
      for (const i of chosen) if (taskOf[i] === 0) seen.add(i);
    }
    assert.equal(seen.size, 1000, "5 epochs × 200 of task 0's 1000 examples, no repeats within a cycle");
  });

  test("the same seed gives the same batches; another seed other ones", () => {
    const a = new MixtureStream(pairs, taskOf, tasks, options);
    const b = new MixtureStream(pairs, taskOf, tasks, options);
    const c = new MixtureStream(pairs, taskOf, tasks, { ...options, seed: 8 });
    const take = (s: MixtureStream) => Array.from({ length: 50 }, () => s.next().batch.indices.join(","));
    const first = take(a);
    assert.deepEqual(take(b), first);
    assert.notDeepEqual(take(c), first);
  });

  test("a stream restarted at a saved position continues with the same batches", () => {
    const whole = new MixtureStream(pairs, taskOf, tasks, options);
    let position = whole.position;
    const expected: string[] = [];
    for (let b = 0; b < 80; b++) {
      if (b === 37) position = whole.position;
      const next = whole.next();
      if (b >= 37) expected.push(next.batch.indices.join(","));
    }
    assert.ok(position.epoch >= 1 || position.batchIndex > 0);
    const resumed = new MixtureStream(pairs, taskOf, tasks, options, position);
    const got = Array.from({ length: 43 }, () => resumed.next().batch.indices.join(","));
    assert.deepEqual(got, expected);
  });

  test("a task with a quota but no examples is an error naming it", () => {
    const { pairs: p, taskOf: t } = corpus([10, 0, 5]);
    assert.throws(
      () =>
        new MixtureStream(
          p,
          t,
          [
            { name: "a", quota: 5 },
            { name: "empty", quota: 3 },
            { name: "c", quota: 2 },
          ],
          options,
        ),
      /mixture task "empty" has no training example/,
    );
  });
});
