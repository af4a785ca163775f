// Every way a request can be refused, over real HTTP: the status, a JSON error naming the field or the
// limit, and never a stack trace. Plus the 500 and 503 answers of the app itself.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadTranslator } from "../../src/decode/translate.ts";
import { createApp } from "../../src/server/app.ts";
import { runJob } from "../../src/server/decode-worker.ts";
import { DEFAULT_LIMITS, type RunningServer, startServer } from "../../src/server/index.ts";
import { getJson, type JsonResponse, postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

let server: RunningServer;
let modelDir: string;

before(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "s2s-serve-errors-")), "tiny");
  modelDir = dir;
  await saveTinyModel(dir, { maxPositions: 16 });
  server = await startServer({
    models: [{ name: "tiny", dir }],
    port: 0,
    threads: 1,
    limits: { maxInputs: 4, maxInputChars: 20, maxBodyBytes: 1024, maxBeam: 6 },
  });
});

after(async () => {
  await server?.close();
});

const translate = (body: unknown) => postJson(`${server.url}/v1/translate`, body);

/** A refusal: the status, a JSON body of `error` (and `limit`) only, the message, and no stack trace. */
function assertRefused(response: JsonResponse, status: number, message: RegExp, limit?: string): void {
  assert.equal(response.status, status, response.text);
  assert.match(String(response.body["error"]), message);
  assert.deepEqual(Object.keys(response.body).sort(), limit === undefined ? ["error"] : ["error", "limit"]);
  if (limit !== undefined) assert.equal(response.body["limit"], limit);
  assert.doesNotMatch(response.text, /\n\s+at |\.ts:\d|node:internal/, "a stack trace reached the client");
}

const CASES: Array<[string, unknown, number, RegExp, string?]> = [
  ["malformed JSON", '{"inputs": ["abc"', 400, /not valid JSON/],
  ["a body that is not an object", "[1, 2]", 400, /must be a JSON object/],
  ["an unknown field", { inputs: ["a"], beams: 2 }, 400, /unknown field "beams"; did you mean "beam"\?/],
  ["no inputs", {}, 400, /"inputs" must be an array of strings/],
  ["an input that is not a string", { inputs: ["a", 3] }, 400, /"inputs" must be an array of strings/],
  ["empty inputs", { inputs: [] }, 400, /"inputs" is empty/],
  ["too many inputs", { inputs: ["a", "b", "c", "d", "e"] }, 413, /5 texts.*at most 4/, "maxInputs"],
  [
    "a too long input",
    { inputs: ["a", "b".repeat(21)] },
    413,
    /inputs\[1\] has 21 characters/,
    "maxInputChars",
  ],
  ["a model name that is not a string", { inputs: ["a"], model: 3 }, 400, /"model" must be a string/],
  [
    "a number option given as a string",
    { inputs: ["a"], beam: "5" },
    400,
    /"beam" must be a number, got "5"/,
  ],
  ["a flag that is not a boolean", { inputs: ["a"], sample: "yes" }, 400, /"sample" must be true or false/],
  ["a beam over the server's limit", { inputs: ["a"], beam: 7 }, 400, /"beam" is 7.*at most 6/, "maxBeam"],
  ["a maxLength over the limit", { inputs: ["a"], maxLength: 5000 }, 400, /maxLength/, "maxOutputLength"],
  ["beam 0", { inputs: ["a"], beam: 0 }, 400, /beam must be an integer ≥ 1, got 0/],
  ["nbest over the beam", { inputs: ["a"], beam: 2, nbest: 3 }, 400, /nbest must be an integer from 1 to 2/],
  ["sampling with a beam", { inputs: ["a"], sample: true, beam: 3 }, 400, /beam must be 1 with sample/],
  ["top-p out of range", { inputs: ["a"], sample: true, topP: 1.5 }, 400, /topP must be in \(0, 1\]/],
  ["temperature 0", { inputs: ["a"], sample: true, temperature: 0 }, 400, /temperature must be a number > 0/],
  ["a fractional top-k", { inputs: ["a"], sample: true, topK: 2.5 }, 400, /topK must be an integer/],
  [
    "a source longer than the model's positions",
    { inputs: ["ab", "c".repeat(18)] },
    400,
    /inputs\[1\] has 19 source tokens \(EOS included\); model "tiny" takes at most 16/,
  ],
];

for (const [what, body, status, message, limit] of CASES) {
  test(`${what}: ${status}`, async () => {
    assertRefused(await translate(body), status, message, limit);
  });
}

test("an unknown model: 404 naming the models served", async () => {
  assertRefused(
    await translate({ inputs: ["a"], model: "nope" }),
    404,
    /unknown model "nope"; this server has tiny/,
  );
});

test("a body over maxBodyBytes: 413, with a content-length and when streamed in chunks", async () => {
  const big = JSON.stringify({ inputs: ["a"], pad: "x".repeat(2000) });
  assertRefused(await translate(big), 413, /over 1024 bytes/, "maxBodyBytes");
  const chunks = [big.slice(0, 600), big.slice(600)];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const response = await fetch(`${server.url}/v1/translate`, {
    method: "POST",
    body: stream,
    duplex: "half",
  } as RequestInit);
  const text = await response.text();
  assertRefused(
    { status: response.status, text, body: JSON.parse(text) },
    413,
    /over 1024 bytes/,
    "maxBodyBytes",
  );
});

test("unknown endpoints and methods: 404 in JSON", async () => {
  assertRefused(await getJson(`${server.url}/v2/translate`), 404, /no such endpoint: GET \/v2\/translate/);
  assertRefused(await getJson(`${server.url}/v1/translate`), 404, /no such endpoint: GET \/v1\/translate/);
});

test("a source too long fails only its own request when batched with others", async () => {
  const [good, bad] = await Promise.all([
    translate({ inputs: ["abc", "de"], beam: 2 }),
    translate({ inputs: ["c".repeat(20)], beam: 2 }),
  ]);
  assert.equal(good.status, 200, good.text);
  assert.equal((good.body["outputs"] as unknown[]).length, 2);
  assertRefused(bad, 400, /inputs\[0\] has 21 source tokens/);
});

test("in a merged job, a source too long fails its own part; the others are decoded as alone", async () => {
  const translator = await loadTranslator(modelDir, { threads: 1 });
  try {
    const parts = [["abc", "de"], ["ab", "c".repeat(18)], ["fed"]];
    const results = await runJob(translator, "tiny", {
      model: "tiny",
      options: { beam: 2 },
      parts,
      attention: false,
    });
    assert.deepEqual(results[1], {
      ok: false,
      message: 'inputs[1] has 19 source tokens (EOS included); model "tiny" takes at most 16',
    });
    const alone = await translator.translate(["abc", "de", "fed"], { beam: 2 });
    const texts = (i: number) => {
      const r = results[i]!;
      assert.ok(r.ok);
      for (const t of r.translations) for (const h of t.hypotheses) assert.deepEqual(h.attention, []);
      return r.translations.map((t) => t.text);
    };
    assert.deepEqual(
      [...texts(0), ...texts(2)],
      alone.map((t) => t.text),
    );
  } finally {
    await translator.release();
  }
});

const MODEL = { name: "m", architecture: "transformer", srcVocabSize: 9, tgtVocabSize: 9, parameters: 1 };

test("an unexpected failure is a 500 with a generic message; the details go to the log only", async () => {
  const logs: string[] = [];
  const app = createApp({
    models: [MODEL],
    limits: DEFAULT_LIMITS,
    submit: () => Promise.reject(new Error("secret detail at /srv/model.ts:12")),
    health: () => ({}),
    closing: () => false,
    log: (line) => logs.push(line),
  });
  const response = await app.request("/v1/translate", { method: "POST", body: '{"inputs": ["a"]}' });
  const text = await response.text();
  assertRefused({ status: response.status, text, body: JSON.parse(text) }, 500, /^internal server error/);
  assert.doesNotMatch(text, /secret detail/);
  assert.match(logs.join("\n"), /secret detail/);
});

test("while shutting down, new translations and /healthz get 503", async () => {
  const app = createApp({
    models: [MODEL],
    limits: DEFAULT_LIMITS,
    submit: () => Promise.reject(new Error("must not be called")),
    health: () => ({}),
    closing: () => true,
  });
  const response = await app.request("/v1/translate", { method: "POST", body: '{"inputs": ["a"]}' });
  const text = await response.text();
  assertRefused({ status: response.status, text, body: JSON.parse(text) }, 503, /shutting down/);
  const health = await app.request("/healthz");
  assert.equal(health.status, 503);
  assert.deepEqual(await health.json(), { status: "closing" });
});
