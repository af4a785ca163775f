// Seeded initialisers: orthogonal blocks really are orthogonal, and draws depend only on (seed, name).

import assert from "node:assert/strict";
import { test } from "node:test";
import { initialize, orthogonal } from "../../src/nn/init.ts";

/** Asserts rows [row0, row0 + count) of a row-major matrix with `cols` columns are orthonormal. */
function assertOrthonormalRows(m: Float32Array, cols: number, row0: number, count: number): void {
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      let dot = 0;
      for (let k = 0; k < cols; k++) dot += m[(row0 + i) * cols + k]! * m[(row0 + j) * cols + k]!;
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `rows ${row0 + i}, ${row0 + j}: dot ${dot}`);
    }
  }
}

test("orthogonal: each gate block of a [3H, H] recurrent weight is an orthogonal matrix", () => {
  const H = 8;
  const w = initialize(orthogonal, [3 * H, H], 1, "rnn.weight_hh_l0");
  for (let block = 0; block < 3; block++) assertOrthonormalRows(w, H, block * H, H);
  assert.notDeepEqual(
    initialize(orthogonal, [3 * H, H], 2, "rnn.weight_hh_l0"),
    w,
    "another seed, another matrix",
  );
  assert.deepEqual(
    initialize(orthogonal, [3 * H, H], 1, "rnn.weight_hh_l0"),
    w,
    "same seed and name, same matrix",
  );
});

test("orthogonal: a wide matrix gets orthonormal rows", () => {
  assertOrthonormalRows(initialize(orthogonal, [3, 7], 1, "w"), 7, 0, 3);
});
