// The seeded RNG: golden values (so a change of algorithm is noticed), determinism, state save/restore,
// ranges and shuffling.

import assert from "node:assert/strict";
import { test } from "node:test";
import { mixSeed, Rng } from "../../src/data/rng.ts";

test("golden values for seed 1 and a shuffle with seed 42", () => {
  const rng = new Rng(1);
  assert.deepEqual(
    [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()],
    [548111204, 1477741188, 2234776908],
  );
  assert.deepEqual(new Rng(42).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [6, 3, 2, 7, 9, 0, 8, 4, 1, 5]);
});

test("equal seeds give equal sequences, different seeds different ones", () => {
  const draw = (seed: number): number[] => {
    const rng = new Rng(seed);
    return Array.from({ length: 20 }, () => rng.next());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(2 ** 40), draw(0)); // high bits of large seeds count
  assert.ok(draw(3).every((x) => x >= 0 && x < 1));
});

test("state() and fromState() continue the same sequence", () => {
  const rng = new Rng(5);
  rng.next();
  rng.int(10);
  const saved = rng.state();
  const expected = [rng.nextUint32(), rng.int(1000), rng.next()];
  const restored = Rng.fromState(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual([restored.nextUint32(), restored.int(1000), restored.next()], expected);
  assert.throws(() => Rng.fromState(-1), /32-bit unsigned integer/);
  assert.throws(() => Rng.fromState(1.5), /32-bit unsigned integer/);
});

test("int(n) covers [0, n) evenly and checks n", () => {
  const rng = new Rng(3);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[rng.int(6)]++;
  assert.ok(
    counts.every((c) => c > 850 && c < 1150),
    `counts ${counts}`,
  );
  assert.equal(rng.int(1), 0);
  const r = rng.range(5, 7);
  assert.ok(r >= 5 && r <= 7);
  assert.throws(() => rng.int(0), /integer n from 1/);
  assert.throws(() => rng.int(2.5), /integer n from 1/);
  assert.throws(() => rng.pick([]), /non-empty/);
});

test("shuffle permutes in place; mixSeed separates (seed, epoch) pairs", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = new Rng(9).shuffle(items);
  assert.equal(shuffled, items);
  assert.deepEqual(
    [...shuffled].sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(
    shuffled,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notEqual(mixSeed(1, 0), mixSeed(0, 1));
  assert.equal(mixSeed(1, 2), mixSeed(1, 2));
  assert.throws(() => mixSeed(0.5), /safe integer/);
});
