// Text tasks across a Hugging Face export: a T5-shaped model folder with named tasks exported with --format
// hf carries them as config.json's task_specific_params (+ prefix) and text-task.json, and loading the
// exported folder (translate --task NAME, as a user runs it) applies the same prefixes.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import type { StoredTextTask } from "../../src/data/text-task.ts";
import { loadTranslator, type Translator } from "../../src/decode/translate.ts";
import { loadModelFolder, saveModelFolder } from "../../src/models/folder.ts";
import { withTextTask } from "../../src/models/hf-config-export.ts";
import { exportHfFolder, sourceFromFolder } from "../../src/models/hf-export.ts";
import { hfTasks, withHfTasks } from "../../src/models/hf-import.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "../../src/models/transformer.ts";
import { initialize } from "../../src/nn/init.ts";
import { jointPair, trainCharTokenizer } from "../../src/tokenize/index.ts";

const repo = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "s2s-hf-tasks-"));
after(() => rmSync(work, { recursive: true, force: true }));

const TEXT_TASK: StoredTextTask = {
  format: 1,
  prefix: "d ",
  template: "",
  maxSourceTokens: 0,
  truncate: "none",
  tasks: [
    { name: "summarization", prefix: "ab ", template: "" },
    { name: "translation_en_to_de", prefix: "hg ", template: "" },
    { name: "qa", prefix: "c ", template: "{0} {1}" },
  ],
};

/** A tiny T5 (v1.0-shaped: relative positions, RMS norm, no biases, tied and rescaled head) with TEXT_TASK. */
async function tinyT5Folder(dir: string): Promise<void> {
  const tokenizer = trainCharTokenizer(["abcdefgh "]);
  const config: TransformerConfig = {
    ...TRANSFORMER_DEFAULTS,
    srcVocabSize: tokenizer.vocabSize,
    tgtVocabSize: tokenizer.vocabSize,
    dModel: 16,
    heads: 2,
    ffDim: 32,
    encoderLayers: 1,
    decoderLayers: 1,
    maxPositions: 64,
    dropout: 0,
    naming: "t5",
    positions: "relative",
    relativeBuckets: 8,
    relativeMaxDistance: 16,
    norm: "rms",
    normEps: 1e-6,
    bias: false,
    scaleAttention: false,
    scaleEmbedding: false,
    scaleDecoderOutput: true,
  };
  const model = new Transformer(config);
  const weights = new Map(
    model.parameters().map((p) => [p.name, initialize(p.init, p.shape, 5, p.name)] as const),
  );
  await saveModelFolder(dir, {
    config: { architecture: "transformer", ...config },
    model,
    weights,
    tokenizers: jointPair(tokenizer),
    textTask: TEXT_TASK,
  });
}

const own = join(work, "own");
const out = join(work, "hf");
let report: Awaited<ReturnType<typeof exportHfFolder>>;

before(async () => {
  await tinyT5Folder(own);
  report = await exportHfFolder(sourceFromFolder(await loadModelFolder(own)), out);
});

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

/** The source the encoder sees for "ab<TAB>c" with the default task, then with each named one, as strings. */
async function sources(translator: Translator, names: readonly string[]): Promise<string[]> {
  const seen: string[] = [];
  for (const task of [undefined, ...names]) {
    const [t] = await translator.translate(
      ["ab\tc"],
      { beam: 1, maxLength: 3 },
      translator.textTaskFor({ task }),
    );
    seen.push(t!.sourceTokens.join(""));
  }
  return seen;
}

test("export --format hf writes the tasks as task_specific_params and prefix, and copies text-task.json", () => {
  assert.equal(report.family, "t5");
  assert.ok(report.files.includes("text-task.json"), report.files.join(", "));
  assert.match(report.notes.join("\n"), /text-task\.json keeps the template/);
  const config = readJson(join(out, "config.json"));
  assert.equal(config["model_type"], "t5");
  assert.equal(config["prefix"], "d ");
  assert.deepEqual(config["task_specific_params"], {
    summarization: { prefix: "ab " },
    translation_en_to_de: { prefix: "hg " },
    qa: { prefix: "c " },
  });
  assert.deepEqual(readJson(join(out, "text-task.json")), TEXT_TASK);
});

test("the exported folder translates --task NAME with the same source as the original", async () => {
  const names = TEXT_TASK.tasks.map((t) => t.name);
  const original = await loadTranslator(own, { threads: 1 });
  const exported = await loadTranslator(out, { threads: 1 });
  try {
    assert.equal(exported.scheme.hfFamily, "t5", "loaded as a Hugging Face folder");
    assert.deepEqual(exported.tasks, TEXT_TASK.tasks);
    // The tab is <unk> to the character tokenizer, except where the qa template splits the fields.
    const expected = ["d ab<unk>c</s>", "ab ab<unk>c</s>", "hg ab<unk>c</s>", "c ab c</s>"];
    assert.deepEqual(await sources(original, names), expected);
    assert.deepEqual(await sources(exported, names), expected);
  } finally {
    await original.release();
    await exported.release();
  }
});

test("without text-task.json, task_specific_params prefixes are the folder's named tasks", async () => {
  const bare = join(work, "bare");
  cpSync(out, bare, { recursive: true });
  rmSync(join(bare, "text-task.json"));
  const config = readJson(join(bare, "config.json"));
  const params = config["task_specific_params"] as Record<string, unknown>;
  params["generation_only"] = { num_beams: 4 };
  params["broken"] = "not an object";
  writeFileSync(join(bare, "config.json"), JSON.stringify(config));
  const translator = await loadTranslator(bare, { threads: 1 });
  try {
    assert.deepEqual(
      translator.tasks.map((t) => [t.name, t.prefix, t.template]),
      [
        ["summarization", "ab ", ""],
        ["translation_en_to_de", "hg ", ""],
        ["qa", "c ", ""],
      ],
    );
    assert.equal(translator.textTask.prefix, "", "config.json's prefix is not applied by default");
    assert.deepEqual(await sources(translator, ["translation_en_to_de"]), [
      "ab<unk>c</s>",
      "hg ab<unk>c</s>",
    ]);
  } finally {
    await translator.release();
  }
});

test("seq2seq translate --task NAME on the exported folder applies the task's prefix", () => {
  const r = spawnSync(
    process.execPath,
    [
      "bin/seq2seq.js",
      "translate",
      "--model",
      out,
      "--task",
      "translation_en_to_de",
      "--json",
      "--beam",
      "1",
    ],
    { cwd: repo, encoding: "utf8", input: "abc\n", timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim()) as { sourceTokens: string[] };
  assert.deepEqual(line.sourceTokens, ["h", "g", " ", "a", "b", "c", "</s>"]);
});

test("withTextTask keeps other task_specific_params keys; hfTasks/withHfTasks read them back additively", () => {
  const base = {
    task_specific_params: { summarization: { num_beams: 4, prefix: "old: " }, other: { x: 1 } },
  };
  const json = withTextTask(base, { ...TEXT_TASK, prefix: "", tasks: TEXT_TASK.tasks.slice(0, 1) });
  assert.equal(json["prefix"], undefined, "no default prefix, no key");
  assert.deepEqual(json["task_specific_params"], {
    summarization: { num_beams: 4, prefix: "ab " },
    other: { x: 1 },
  });
  assert.deepEqual(base.task_specific_params.summarization.prefix, "old: ", "the input is not changed");
  assert.deepEqual(hfTasks(json), [{ name: "summarization", prefix: "ab ", template: "" }]);
  assert.deepEqual(hfTasks({ task_specific_params: [1, 2] }), []);
  assert.equal(withHfTasks(null, []), null);
  const merged = withHfTasks(TEXT_TASK, [
    { name: "qa", prefix: "other: ", template: "" },
    { name: "new", prefix: "n ", template: "" },
  ])!;
  assert.deepEqual(
    merged.tasks.map((t) => `${t.name}=${t.prefix}`),
    ["summarization=ab ", "translation_en_to_de=hg ", "qa=c ", "new=n "],
  );
  assert.equal(merged.prefix, "d ");
});
