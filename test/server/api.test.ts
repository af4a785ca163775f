// The HTTP API over real HTTP (127.0.0.1, an ephemeral port) on tiny random-weight models: answers equal
// the library's own translations, under 24 concurrent requests too; every error path; /healthz stays live.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  loadTranslator,
  type TranslateOptions,
  type Translation,
  type Translator,
} from "../../src/decode/translate.ts";
import type { OutputJson } from "../../src/server/app.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { getJson, postJson } from "./http-client.ts";
import { saveTinyModel, TINY_ALPHABET } from "./tiny-model.ts";

let server: RunningServer;
let tiny: Translator;
const logs: string[] = [];

before(async () => {
  const root = mkdtempSync(join(tmpdir(), "s2s-serve-"));
  await saveTinyModel(join(root, "tiny"));
  await saveTinyModel(join(root, "slow"), { maxPositions: 256, dModel: 32, ffDim: 64 }, 3);
  server = await startServer({
    models: [
      { name: "tiny", dir: join(root, "tiny") },
      { name: "slow", dir: join(root, "slow") },
    ],
    port: 0,
    workers: 2,
    threads: 1,
    batchWaitMs: 2,
    limits: { maxInputs: 40, maxInputChars: 60, maxBodyBytes: 8192 },
    log: (line) => logs.push(line),
  });
  tiny = await loadTranslator(join(root, "tiny"), { threads: 1 });
});

after(async () => {
  await server?.close();
  await tiny?.release();
});

const translate = (body: unknown) => postJson(`${server.url}/v1/translate`, body);
const outputs = (body: Record<string, unknown>) => body["outputs"] as OutputJson[];

/** A server output equals the library's translation of the same text (scores to float noise). */
function assertSame(output: OutputJson, expected: Translation, label: string): void {
  assert.equal(output.text, expected.text, label);
  assert.ok(Math.abs(output.score - (expected.hypotheses[0]?.score ?? 0)) < 1e-4, `${label}: score`);
  assert.ok(Math.abs(output.logProb - (expected.hypotheses[0]?.logProb ?? 0)) < 1e-4, `${label}: logProb`);
  if (output.nbest)
    assert.deepEqual(
      output.nbest.map((h) => h.text),
      expected.hypotheses.map((h) => h.text),
      `${label}: n-best`,
    );
}

test("binds 127.0.0.1 and answers /healthz and /v1/models", async () => {
  assert.equal(server.host, "127.0.0.1");
  const health = await getJson(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.body["status"], "ok");
  assert.equal(health.body["workers"], 2);
  const models = await getJson(`${server.url}/v1/models`);
  assert.equal(models.status, 200);
  assert.equal(models.body["default"], "tiny");
  const list = models.body["models"] as Array<Record<string, unknown>>;
  assert.deepEqual(
    list.map((m) => m["name"]),
    ["tiny", "slow"],
  );
  const parameters = tiny.loaded.model
    .parameters()
    .reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  assert.deepEqual(list[0], {
    name: "tiny",
    architecture: "transformer",
    srcVocabSize: TINY_ALPHABET.length + 4,
    tgtVocabSize: TINY_ALPHABET.length + 4,
    parameters,
    maxPositions: 64,
  });
  assert.equal((models.body["limits"] as Record<string, number>)["maxInputs"], 40);
});

test("greedy translation with attention equals the library's, attention rows are distributions", async () => {
  const inputs = ["abc", "hgfe", "", "bad cafe"];
  const response = await translate({ inputs, beam: 1, returnAttention: true });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.body["model"], "tiny");
  const expected = await tiny.translate(inputs, { beam: 1 });
  const out = outputs(response.body);
  assert.equal(out.length, inputs.length);
  for (const [i, o] of out.entries()) assertSame(o, expected[i]!, inputs[i]!);
  assert.equal(out[0]!.nbest, undefined, "no n-best list for nbest 1");
  const attention = out[0]!.attention!;
  assert.deepEqual(attention.sourceTokens, ["a", "b", "c", "</s>"]);
  assert.deepEqual(attention.outputTokens, expected[0]!.hypotheses[0]!.tokens);
  assert.equal(attention.weights.length, attention.outputTokens.length);
  for (const row of attention.weights) {
    assert.equal(row.length, 4);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, `row sums to ${row}`);
  }
  assert.deepEqual(out[2], {
    text: "",
    score: 0,
    logProb: 0,
    attention: { sourceTokens: [], outputTokens: [], weights: [] },
  });
});

test("beam search returns the n-best list, best first, and no attention unless asked", async () => {
  const inputs = ["gag", "ehh"];
  const response = await translate({ inputs, beam: 4, nbest: 3, model: "tiny" });
  assert.equal(response.status, 200, response.text);
  const expected = await tiny.translate(inputs, { beam: 4, nbest: 3 });
  outputs(response.body).forEach((o, i) => {
    assertSame(o, expected[i]!, inputs[i]!);
    assert.equal(o.nbest!.length, 3);
    assert.deepEqual(o.nbest![0], { text: o.text, score: o.score, logProb: o.logProb });
    const scores = o.nbest!.map((h) => h.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    assert.equal(o.attention, undefined);
  });
});

test("sampling with a seed gives the library's samples, the same on every request", async () => {
  const body = { inputs: ["abc", "fed"], sample: true, nbest: 3, seed: 11, temperature: 1.5, topK: 5 };
  const first = await translate(body);
  const second = await translate(body);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body, second.body);
  const { inputs: _inputs, ...options } = body;
  const expected = await tiny.translate(body.inputs, options);
  outputs(first.body).forEach((o, i) => {
    assertSame(o, expected[i]!, body.inputs[i]!);
  });
});

/** Request i of the concurrency test: 1-3 inputs built from i, and one of three decoding settings. */
function concurrentRequest(i: number): { inputs: string[]; options: TranslateOptions } {
  const inputs = Array.from({ length: 1 + (i % 3) }, (_, k) =>
    Array.from({ length: 2 + ((i + k) % 6) }, (_, j) => TINY_ALPHABET[(i * 3 + k * 5 + j * 7) % 8]).join(""),
  );
  const options: TranslateOptions[] = [
    { beam: 1 },
    { beam: 3, nbest: 2 },
    { sample: true, nbest: 2, seed: i },
  ];
  return { inputs, options: options[i % 3]! };
}

test("24 concurrent requests are all answered, each with its own results in order", async () => {
  const requests = Array.from({ length: 24 }, (_, i) => concurrentRequest(i));
  const responses = await Promise.all(requests.map((r) => translate({ inputs: r.inputs, ...r.options })));
  for (const [i, response] of responses.entries()) {
    assert.equal(response.status, 200, response.text);
    const expected = await tiny.translate(requests[i]!.inputs, requests[i]!.options);
    const out = outputs(response.body);
    assert.equal(out.length, requests[i]!.inputs.length);
    for (const [k, o] of out.entries()) assertSame(o, expected[k]!, `request ${i} input ${k}`);
  }
});

test("/healthz answers while a long decode runs on a worker", async (t) => {
  const inputs = Array.from({ length: 8 }, (_, i) => "abcdefgh ".repeat(7).slice(i, 50));
  let finished = false;
  const long = translate({ model: "slow", inputs, beam: 8, minLength: 200, maxLength: 200 }).then((r) => {
    finished = true;
    return r;
  });
  let busy: { workers: number; ms: number; finished: boolean } | undefined;
  for (let i = 0; i < 1000 && !finished && !busy; i++) {
    const start = performance.now();
    const health = await getJson(`${server.url}/healthz`);
    const workers = health.body["busyWorkers"] as number;
    if (workers >= 1) busy = { workers, ms: performance.now() - start, finished };
    else await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.ok(busy, "/healthz never reported a busy worker while the decode ran");
  assert.equal(busy.finished, false, "the decode had already answered");
  t.diagnostic(`/healthz answered in ${busy.ms.toFixed(1)} ms during the decode`);
  const response = await long;
  assert.equal(response.status, 200, response.text);
  const out = outputs(response.body);
  assert.equal(out.length, 8);
  // Outputs run to the default cap of 10 + 2 · source tokens (minLength forbids an earlier EOS).
  for (const [i, o] of out.entries()) assert.equal([...o.text].length, 10 + 2 * (inputs[i]!.length + 1));
});
