// The batcher with a fake decoder: which requests share a job, the size cap, the concurrency cap, results
// split back to their requests in order, failures, and drain.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Translation } from "../../src/decode/translate.ts";
import { Batcher, type BatchRequest, canonicalJson } from "../../src/server/batcher.ts";
import type { DecodeJob, PartResult } from "../../src/server/decode-worker.ts";

const fakeTranslation = (text: string): Translation => ({
  source: text,
  sourceTokens: [...text],
  text: text.toUpperCase(),
  hypotheses: [],
});

/** A decoder whose jobs finish only when the test says so. */
function fakeDecoder() {
  const jobs: Array<{ job: DecodeJob; finish: () => void; fail: (e: Error) => void }> = [];
  const run = (job: DecodeJob) =>
    new Promise<PartResult[]>((resolve, reject) => {
      const finish = () =>
        resolve(job.parts.map((texts) => ({ ok: true, translations: texts.map(fakeTranslation) })));
      jobs.push({ job, finish, fail: reject });
    });
  return { jobs, run };
}

const request = (
  texts: string[],
  options: BatchRequest["options"] = { beam: 2 },
  model = "m",
): BatchRequest => ({
  model,
  options,
  texts,
  attention: false,
});

const texts = (result: PartResult) => {
  assert.ok(result.ok);
  return result.translations.map((t) => t.text);
};

/** Lets timers of `ms` and the promise callbacks after them run. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("requests with equal model and options share one job and get their own results back in order", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 32, waitMs: 1, capacity: () => 1 });
  const a = batcher.submit(request(["a", "b"]));
  const b = batcher.submit(request(["c"], { beam: 2, nbest: undefined }));
  const c = batcher.submit(request(["d", "e", "f"]));
  await sleep(20);
  assert.equal(jobs.length, 1);
  assert.deepEqual(jobs[0]!.job.parts, [["a", "b"], ["c"], ["d", "e", "f"]]);
  assert.equal(jobs[0]!.job.options.batchSize, 32, "the job decodes up to maxBatch sentences together");
  jobs[0]!.finish();
  assert.deepEqual(texts(await a), ["A", "B"]);
  assert.deepEqual(texts(await b), ["C"]);
  assert.deepEqual(texts(await c), ["D", "E", "F"]);
  assert.equal(batcher.pending, 0);
});

test("different options or models are never merged; sampled requests always go alone", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 32, waitMs: 1, capacity: () => 10 });
  const results = [
    batcher.submit(request(["a"], { beam: 2 })),
    batcher.submit(request(["b"], { beam: 3 })),
    batcher.submit(request(["c"], { beam: 2 }, "other")),
    batcher.submit(request(["d"], { sample: true, seed: 1 })),
    batcher.submit(request(["e"], { sample: true, seed: 1 })),
    batcher.submit(request(["f"], { beam: 2 })),
  ];
  await sleep(20);
  const parts = jobs.map((j) => `${j.job.model}:${j.job.parts.map((p) => p.join("")).join(",")}`).sort();
  assert.deepEqual(parts, ["m:a,f", "m:b", "m:d", "m:e", "other:c"]);
  for (const j of jobs) j.finish();
  assert.deepEqual((await Promise.all(results)).map(texts), [["A"], ["B"], ["C"], ["D"], ["E"], ["F"]]);
});

test("a job holds at most maxBatch texts, and at most `capacity` jobs run at once", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 4, waitMs: 1, capacity: () => 1 });
  const results = ["ab", "cd", "e", "fgh", "i"].map((s) => batcher.submit(request([...s])));
  await sleep(20);
  assert.equal(jobs.length, 1, "one job runs; the others wait for the worker");
  assert.deepEqual(jobs[0]!.job.parts, [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.equal(batcher.pending, 5);
  jobs[0]!.finish();
  await sleep(5);
  assert.equal(jobs.length, 2);
  assert.deepEqual(jobs[1]!.job.parts, [["e"], ["f", "g", "h"]]);
  jobs[1]!.finish();
  await sleep(5);
  assert.deepEqual(jobs[2]!.job.parts, [["i"]]);
  jobs[2]!.finish();
  assert.deepEqual((await Promise.all(results)).map(texts), [
    ["A", "B"],
    ["C", "D"],
    ["E"],
    ["F", "G", "H"],
    ["I"],
  ]);
});

test("a request larger than maxBatch goes as one job of its own", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 2, waitMs: 1000, capacity: () => 1 });
  const big = batcher.submit(request(["a", "b", "c"]));
  await sleep(5);
  assert.equal(jobs.length, 1, "a full job starts without waiting");
  assert.deepEqual(jobs[0]!.job.parts, [["a", "b", "c"]]);
  jobs[0]!.finish();
  assert.deepEqual(texts(await big), ["A", "B", "C"]);
});

test("a failed job fails every request in it; the batcher goes on", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 8, waitMs: 1, capacity: () => 1 });
  const a = batcher.submit(request(["a"]));
  const b = batcher.submit(request(["b"]));
  await sleep(20);
  jobs[0]!.fail(new Error("worker died"));
  await assert.rejects(a, /worker died/);
  await assert.rejects(b, /worker died/);
  const c = batcher.submit(request(["c"]));
  await sleep(20);
  jobs[1]!.finish();
  assert.deepEqual(texts(await c), ["C"]);
});

test("drain starts waiting jobs at once and resolves when all are answered", async () => {
  const { jobs, run } = fakeDecoder();
  const batcher = new Batcher(run, { maxBatch: 8, waitMs: 60_000, capacity: () => 1 });
  const a = batcher.submit(request(["a"]));
  let drained = false;
  const drain = batcher.drain().then(() => {
    drained = true;
  });
  await sleep(5);
  assert.equal(jobs.length, 1, "drain did not wait for the batch timer");
  assert.equal(drained, false, "drain resolved before the job finished");
  jobs[0]!.finish();
  await drain;
  assert.deepEqual(texts(await a), ["A"]);
});

test("canonicalJson sorts keys and leaves out undefined values", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }),
    canonicalJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }),
  );
  assert.notEqual(canonicalJson({ beam: 2 }), canonicalJson({ beam: 3 }));
});
