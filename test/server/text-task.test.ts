// Text tasks over HTTP (tiny random-weight models, real HTTP on an ephemeral port): GET /v1/models lists a
// model's tasks, POST /v1/translate picks one by "task" or "prefix", refuses bad choices, and one batch of
// requests with different tasks gives each request its own prefix.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { StoredTextTask } from "../../src/data/text-task.ts";
import { loadTranslator, type Translator } from "../../src/decode/translate.ts";
import { writeTextTaskFile } from "../../src/models/folder.ts";
import type { OutputJson } from "../../src/server/app.ts";
import { Batcher } from "../../src/server/batcher.ts";
import { type DecodeJob, type PartResult, runJob } from "../../src/server/decode-worker.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { getJson, postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

const TEXT_TASK: StoredTextTask = {
  format: 1,
  prefix: "d ",
  template: "",
  maxSourceTokens: 0,
  truncate: "none",
  tasks: [
    { name: "ab", prefix: "ab ", template: "" },
    { name: "hg", prefix: "hg ", template: "" },
    { name: "pair", prefix: "", template: "{1} {0}" },
  ],
};

const root = mkdtempSync(join(tmpdir(), "s2s-serve-tasks-"));
const tasksDir = join(root, "tasks");
let server: RunningServer;
let translator: Translator;

before(async () => {
  await saveTinyModel(tasksDir);
  await writeTextTaskFile(tasksDir, TEXT_TASK);
  await saveTinyModel(join(root, "plain"), {}, 5);
  server = await startServer({
    models: [
      { name: "tasks", dir: tasksDir },
      { name: "plain", dir: join(root, "plain") },
    ],
    port: 0,
    workers: 1,
    threads: 1,
    // Long enough that requests sent together always share a decoding job.
    batchWaitMs: 1000,
    limits: { maxInputChars: 40 },
    log: () => {},
  });
  translator = await loadTranslator(tasksDir, { threads: 1 });
});

after(async () => {
  await server?.close();
  await translator?.release();
  rmSync(root, { recursive: true, force: true });
});

const translate = (body: unknown) => postJson(`${server.url}/v1/translate`, body);
const outputs = (body: Record<string, unknown>) => body["outputs"] as OutputJson[];
/** The source the encoder saw, as one string (special tokens included). */
const seen = (o: OutputJson) => o.attention!.sourceTokens.join("");

/** The library's best texts for `inputs` under the task choice (beam 2, as the requests below). */
async function expected(inputs: string[], choice: { task?: string; prefix?: string }): Promise<string[]> {
  const out = await translator.translate(inputs, { beam: 2 }, translator.textTaskFor(choice));
  return out.map((t) => t.text);
}

test("GET /v1/models lists a model's text task: default prefix, truncation and named tasks", async () => {
  const models = (await getJson(`${server.url}/v1/models`)).body["models"] as Array<Record<string, unknown>>;
  const { format: _format, ...info } = TEXT_TASK;
  assert.deepEqual(models[0]!["textTask"], info);
  assert.equal(models[1]!["name"], "plain");
  assert.equal(models[1]!["textTask"], undefined, "a model without text-task.json lists none");
});

test("task, prefix or neither: each request's inputs get the prefix it asked for", async () => {
  const cases = [
    { body: { task: "hg" }, source: "hg abc</s>", echo: { task: "hg", prefix: "hg " } },
    { body: { prefix: "" }, source: "abc</s>", echo: { prefix: "" } },
    { body: { prefix: "ba " }, source: "ba abc</s>", echo: { prefix: "ba " } },
    { body: {}, source: "d abc</s>", echo: { prefix: "d " } },
  ];
  const responses = await Promise.all(
    cases.map((c) =>
      translate({ model: "tasks", inputs: ["abc"], beam: 2, returnAttention: true, ...c.body }),
    ),
  );
  for (const [i, response] of responses.entries()) {
    const c = cases[i]!;
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body["task"], c.echo.task, JSON.stringify(c.body));
    assert.equal(response.body["prefix"], c.echo.prefix, JSON.stringify(c.body));
    const [out] = outputs(response.body);
    assert.equal(seen(out!), c.source);
    assert.deepEqual([out!.text], await expected(["abc"], c.body));
  }
});

test("a task with a template builds the source from the input's tab-separated fields", async () => {
  const response = await translate({ inputs: ["ab\tcd"], task: "pair", beam: 2, returnAttention: true });
  assert.equal(response.status, 200, response.text);
  assert.equal(seen(outputs(response.body)[0]!), "cd ab</s>");
  const missing = await translate({ inputs: ["abcd"], task: "pair" });
  assert.equal(missing.status, 400, missing.text);
  assert.match(String(missing.body["error"]), /^inputs\[0\]: template "\{1\} \{0\}" needs field \{1\}/);
});

test("a model without a text task takes an explicit prefix and echoes nothing otherwise", async () => {
  const [withPrefix, without] = await Promise.all([
    translate({ model: "plain", inputs: ["abc"], prefix: "ba ", returnAttention: true }),
    translate({ model: "plain", inputs: ["abc"] }),
  ]);
  assert.equal(withPrefix.status, 200, withPrefix.text);
  assert.equal(seen(outputs(withPrefix.body)[0]!), "ba abc</s>");
  assert.equal(withPrefix.body["prefix"], "ba ");
  assert.equal(without.status, 200, without.text);
  assert.deepEqual(Object.keys(without.body).sort(), ["model", "outputs"]);
});

test("bad task choices are refused with a JSON error naming the field", async () => {
  const cases: Array<[unknown, number, RegExp]> = [
    [{ task: "summarize" }, 400, /"task": unknown task "summarize"; model "tasks" has tasks ab, hg, pair/],
    [{ model: "plain", task: "ab" }, 400, /"task": unknown task "ab"; model "plain" has no named tasks/],
    [{ task: "ab", prefix: "x" }, 400, /give "task" or "prefix", not both/],
    [{ task: 3 }, 400, /"task" must be a string, got 3/],
    [{ prefix: null }, 400, /"prefix" must be a string, got null/],
    [{ prefix: "a".repeat(41) }, 413, /"prefix" has 41 characters; this server takes at most 40/],
    [{ tsk: "ab" }, 400, /unknown field "tsk"; did you mean "task"\?/],
  ];
  for (const [fields, status, message] of cases) {
    const response = await translate({ inputs: ["abc"], ...(fields as object) });
    assert.equal(response.status, status, `${JSON.stringify(fields)}: ${response.text}`);
    assert.match(String(response.body["error"]), message);
  }
});

test("requests with different tasks share one decoding job, each with its own prefix", async () => {
  const health = async () => (await getJson(`${server.url}/healthz`)).body as Record<string, number>;
  const before = await health();
  const requests = [
    { inputs: ["abc", "fed"], task: "ab" },
    { inputs: ["abc"], task: "hg" },
    { inputs: ["abc"], prefix: "" },
    { inputs: ["fed"] },
  ];
  const responses = await Promise.all(
    requests.map((r) => translate({ ...r, beam: 2, returnAttention: true })),
  );
  const now = await health();
  assert.equal(now["decodingJobs"]! - before["decodingJobs"]!, 1, "the four requests were one job");
  assert.equal(now["decodedInputs"]! - before["decodedInputs"]!, 5);
  const prefixes = ["ab ", "hg ", "", "d "];
  for (const [i, response] of responses.entries()) {
    assert.equal(response.status, 200, response.text);
    const { inputs, ...choice } = requests[i]!;
    const out = outputs(response.body);
    assert.deepEqual(
      out.map(seen),
      inputs.map((text) => `${prefixes[i]}${text}</s>`),
    );
    assert.deepEqual(
      out.map((o) => o.text),
      await expected(inputs, choice),
      `request ${i}: the library's translations`,
    );
  }
});

test("runJob gives each part its own task; an unknown task or unusable input fails only its part", async () => {
  const parts = [["abc", "fed"], ["abc"], ["abc"], ["abc"], ["gh\tab"]];
  const tasks = [{ task: "ab" }, { task: "nope" }, { task: "pair" }, { prefix: "" }, { task: "pair" }];
  const results = await runJob(translator, "tasks", {
    model: "tasks",
    options: { beam: 2 },
    parts,
    tasks,
    attention: false,
  });
  assert.match((results[1] as { message: string }).message, /unknown task "nope"/);
  assert.match((results[2] as { message: string }).message, /^inputs\[0\]: template .* needs field \{1\}/);
  for (const p of [0, 3, 4]) {
    const r = results[p]!;
    assert.ok(r.ok, `part ${p}`);
    assert.deepEqual(
      r.translations.map((t) => t.text),
      await expected(parts[p]!, tasks[p]!),
      `part ${p}`,
    );
  }
});

test("the batcher merges requests with different tasks and keeps each one's task with its part", async () => {
  const jobs: DecodeJob[] = [];
  const run = (job: DecodeJob) => {
    jobs.push(job);
    return Promise.resolve(job.parts.map((): PartResult => ({ ok: true, translations: [] })));
  };
  const batcher = new Batcher(run, { maxBatch: 8, waitMs: 1, capacity: () => 1 });
  const base = { model: "m", options: { beam: 2 }, attention: false };
  await Promise.all([
    batcher.submit({ ...base, texts: ["a"], task: { task: "x" } }),
    batcher.submit({ ...base, texts: ["b", "c"] }),
    batcher.submit({ ...base, texts: ["d"], task: { prefix: "" } }),
  ]);
  assert.equal(jobs.length, 1);
  assert.deepEqual(jobs[0]!.parts, [["a"], ["b", "c"], ["d"]]);
  assert.deepEqual(jobs[0]!.tasks, [{ task: "x" }, {}, { prefix: "" }]);
});
