// Built-in tasks: correct targets, requested sizes, disjoint splits, reproducible given the seed,
// and the CMUdict G2P task's hash split.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fnv1a32 } from "../../src/data/g2p-task.ts";
import type { ParallelExample } from "../../src/data/parallel.ts";
import { builtinTask, listBuiltinTasks } from "../../src/data/tasks.ts";

function sources(examples: ParallelExample[]): Set<string> {
  return new Set(examples.map((e) => e.src));
}

describe("synthetic tasks", () => {
  test("sizes, disjoint splits, same seed same data, other seed other data", async () => {
    for (const name of ["copy", "reverse", "sort", "addition", "dates"]) {
      const a = await builtinTask(name, { count: 200, seed: 3 });
      assert.deepEqual([a.train.length, a.valid.length, a.test.length], [200, 20, 20], name);
      const all = [...a.train, ...a.valid, ...a.test];
      assert.equal(sources(all).size, all.length, `${name}: sources are distinct across splits`);
      assert.deepEqual(await builtinTask(name, { count: 200, seed: 3 }), a, name);
      assert.notDeepEqual((await builtinTask(name, { count: 200, seed: 4 })).train, a.train, name);
    }
  });

  test("the test set stays the same when only count changes", async () => {
    const small = await builtinTask("reverse", { count: 10, testCount: 30, seed: 1 });
    const large = await builtinTask("reverse", { count: 500, testCount: 30, seed: 1 });
    assert.deepEqual(small.test, large.test);
  });

  test("copy, reverse and sort targets, with lengths, symbols and a separator", async () => {
    const options = { count: 50, symbols: "xyz", minLength: 2, maxLength: 4, separator: " " };
    for (const { src, tgt } of (await builtinTask("copy", options)).train) assert.equal(tgt, src);
    for (const { src, tgt } of (await builtinTask("reverse", options)).train) {
      assert.equal(tgt, src.split(" ").reverse().join(" "));
      const n = src.split(" ").length;
      assert.ok(n >= 2 && n <= 4 && /^[xyz]( [xyz])*$/.test(src), src);
    }
    for (const { src, tgt } of (await builtinTask("sort", options)).train) {
      assert.equal(tgt, src.split(" ").sort().join(" "));
    }
  });

  test("addition: the target is the sum", async () => {
    for (const { src, tgt } of (await builtinTask("addition", { count: 300, maxDigits: 4 })).train) {
      const [a, b] = src.split("+").map(Number);
      assert.match(src, /^\d{1,4}\+\d{1,4}$/);
      assert.equal(tgt, String(a! + b!));
    }
  });

  test("dates: every format parses back to the ISO target", async () => {
    const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    const seen = new Set<string>();
    for (const { src, tgt } of (await builtinTask("dates", { count: 400, minYear: 1990, maxYear: 2000 }))
      .train) {
      const [y, m, d] = tgt.split("-").map(Number) as [number, number, number];
      assert.ok(y >= 1990 && y <= 2000, tgt);
      const iso = new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
      assert.equal(iso, tgt, "a real calendar date");
      const numeric = src.match(/^(\d\d)([/.])(\d\d)[/.](\d{4})$/);
      if (numeric) {
        const [mm, dd] = numeric[2] === "/" ? [numeric[1], numeric[3]] : [numeric[3], numeric[1]];
        assert.deepEqual([Number(mm), Number(dd), Number(numeric[4])], [m, d, y], src);
        seen.add(numeric[2]!);
      } else {
        const month = months.findIndex((name) => src.toLowerCase().includes(name)) + 1;
        assert.equal(month, m, src);
        assert.ok(src.includes(String(y)) && new RegExp(`\\b${d}(st|nd|rd|th)?\\b`).test(src), src);
        if (src.includes(",") && /^[A-Z][a-z]+day, /.test(src)) seen.add("weekday");
      }
    }
    assert.deepEqual([...seen].sort(), [".", "/", "weekday"]);
  });

  test("option errors and impossible sizes are explained", async () => {
    await assert.rejects(
      builtinTask("addition", { maxDigits: 16 }),
      /maxDigits must be an integer from 1 to 15/,
    );
    await assert.rejects(builtinTask("copy", { minLength: 5, maxLength: 2 }), /minLength <= maxLength/);
    await assert.rejects(builtinTask("copy", { count: -1 }), /count must be a non-negative integer/);
    await assert.rejects(
      builtinTask("addition", { maxDigits: 1, count: 200 }),
      /ran out of distinct examples after 100/,
    );
    await assert.rejects(
      builtinTask("nope"),
      /unknown task "nope"; built-in tasks: copy, reverse, sort, addition, dates, g2p/,
    );
  });

  test("the registry lists every task with an example", () => {
    assert.deepEqual(
      listBuiltinTasks().map((t) => t.name),
      ["copy", "reverse", "sort", "addition", "dates", "g2p"],
    );
  });
});

const ARPABET = new Set(
  "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split(
    " ",
  ),
);

describe("g2p (CMU Pronouncing Dictionary)", () => {
  test("uppercase words, phonemes without stress digits, split by word hash", async () => {
    const { train, valid, test: testSplit } = await builtinTask("g2p");
    assert.ok(train.length > 100_000, `train has ${train.length} pairs`);
    const splits = { train, valid, test: testSplit };
    for (const [name, examples] of Object.entries(splits)) {
      for (const { src, tgt } of examples) {
        assert.match(src, /^[A-Z']+$/);
        assert.ok(
          tgt.split(" ").every((p) => ARPABET.has(p)),
          `${src}: ${tgt}`,
        );
        const bucket = fnv1a32(src) % 100;
        assert.equal(bucket < 5 ? "test" : bucket < 10 ? "valid" : "train", name, src);
      }
    }
    const hello = train
      .concat(valid, testSplit)
      .filter((e) => e.src === "HELLO")
      .map((e) => e.tgt);
    assert.deepEqual(hello.sort(), ["HH AH L OW", "HH EH L OW"]);
  });

  test("count samples whole words reproducibly", async () => {
    const a = await builtinTask("g2p", { count: 50, validCount: 10, testCount: 10, seed: 2 });
    assert.equal(sources(a.train).size, 50);
    assert.equal(sources(a.test).size, 10);
    assert.deepEqual(await builtinTask("g2p", { count: 50, validCount: 10, testCount: 10, seed: 2 }), a);
    await assert.rejects(
      builtinTask("g2p", { testPercent: 60, validPercent: 50 }),
      /testPercent \+ validPercent/,
    );
  });
});
