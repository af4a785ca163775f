// Text-to-text run data: the config keys (prefix, template, truncate, mixture) with errors naming the key,
// prefixes on every source, each truncation policy with its counts, and a mixture's tasks and sampling plan.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../../src/io/config.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { jointPair } from "../../src/tokenize/tokenizer-pair.ts";
import { resolveMetric } from "../../src/train/run-data.ts";
import { encodeTaskData, loadTaskText, type TaskText } from "../../src/train/task-data.ts";
import { type DataConfig, resolveRunConfig } from "../../src/train/train-config.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "seq2seq-task-data-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function resolve(data: object, extra: object = {}) {
  return resolveRunConfig([{ origin: "run.yaml", values: { data, ...extra } }]);
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

const copyTask = { name: "copy", task: "copy", prefix: "copy: ", taskOptions: { count: 40, validCount: 5 } };
const reverseTask = {
  name: "rev",
  task: "reverse",
  prefix: "reverse: ",
  taskOptions: { count: 20, validCount: 4 },
};

describe("config", () => {
  test("prefix, truncation and mixture tasks resolve with their defaults", () => {
    const single = resolve({
      task: "copy",
      prefix: "copy: ",
      truncate: { policy: "keepEnd", maxSourceTokens: 8 },
    });
    assert.equal(single.data.prefix, "copy: ");
    assert.deepEqual(single.data.truncate, { policy: "keepEnd", maxSourceTokens: 8 });
    const mixed = resolve({ mixture: [copyTask, { ...reverseTask, rate: 0 }] });
    assert.equal(mixed.data.mixture!.length, 2);
    assert.equal(mixed.data.mixture![1]!.metric, "auto");
    assert.equal(mixed.data.mixture![1]!.tgtColumn, 1, "defaults filled in");
    assert.equal(resolveMetric("auto", mixed.data), "loss", "best/ and patience follow the loss");
  });

  test("errors name the key, a mixture task's as data.mixture[i].key", () => {
    const typo = configError(() => resolve({ mixture: [copyTask, { ...reverseTask, prefx: "r: " }] }));
    assert.equal(typo.key, "data.mixture[1].prefx");
    assert.match(typo.message, /did you mean "data\.mixture\[1\]\.prefix"/);
    assert.equal(configError(() => resolve({ mixture: "copy" })).key, "data.mixture");
    const rates = configError(() => resolve({ mixture: [{ ...copyTask, rate: 1 }, reverseTask] }));
    assert.equal(rates.key, "data.mixture[1].rate");
    assert.equal(
      configError(() => resolve({ mixture: [copyTask, { ...reverseTask, name: "copy" }] })).key,
      "data.mixture[1].name",
    );
    assert.equal(configError(() => resolve({ mixture: [copyTask], task: "copy" })).key, "data.task");
    assert.equal(configError(() => resolve({ mixture: [{ name: "x" }] })).key, "data.mixture[0].task");
    assert.equal(
      configError(() => resolve({ mixture: [copyTask] }, { train: { metric: "bleu" } })).key,
      "train.metric",
    );
    assert.equal(configError(() => resolve({ task: "copy", template: "{0} {1}" })).key, "data.template");
    assert.equal(configError(() => resolve({ tsv: "a.tsv", template: "{x}" })).key, "data.template");
    const policy = configError(() => resolve({ task: "copy", truncate: { policy: "keepstart" } }));
    assert.match(policy.message, /did you mean "keepStart"/);
    assert.equal(
      configError(() => resolve({ task: "copy", truncate: { maxSourceTokens: 1 } })).key,
      "data.truncate.maxSourceTokens",
    );
  });
});

describe("loadTaskText", () => {
  test("the prefix goes before every training and validation source", async () => {
    const text = await loadTaskText(
      resolve({ task: "copy", prefix: "copy: ", taskOptions: { count: 30 } }).data,
    );
    assert.equal(text.train.length, 30);
    assert.ok(text.train.every((p) => p.src === `copy: ${p.tgt}`));
    assert.ok(text.valid.length > 0 && text.valid.every((p) => p.src.startsWith("copy: ")));
    assert.ok(text.notes.some((line) => line.includes('data.prefix "copy: "')));
    assert.equal(text.mixture, false);
  });

  test("a TSV template composes question and context for training and validation", async () => {
    const rows = ["q\tc\ta", "Who?\tAda did.\tAda", "When?\tIn 1843.\t1843"].join("\n");
    writeFileSync(path.join(dir, "qa.tsv"), rows);
    const d = resolve({
      tsv: path.join(dir, "qa.tsv"),
      validTsv: path.join(dir, "qa.tsv"),
      header: true,
      template: "question: {0} context: {1}",
      tgtColumn: 2,
    }).data;
    const text = await loadTaskText(d);
    assert.deepEqual(text.train[0], { src: "question: Who? context: Ada did.", tgt: "Ada" });
    assert.deepEqual(text.valid, text.train);
  });

  test("a mixture reads every task with its prefix and tags each pair with its task", async () => {
    const text = await loadTaskText(resolve({ mixture: [copyTask, reverseTask] }).data);
    assert.equal(text.mixture, true);
    assert.deepEqual(
      text.tasks.map((t) => [t.name, t.metric]),
      [
        ["copy", "exact"],
        ["rev", "exact"],
      ],
    );
    assert.equal(text.train.length, 60);
    text.train.forEach((p, i) => {
      const reversed = [...p.src.slice("reverse: ".length)].reverse().join("");
      if (text.trainTask[i] === 0) assert.equal(p.src, `copy: ${p.tgt}`);
      else assert.equal(reversed, p.tgt);
    });
    assert.deepEqual(
      [text.validTask.filter((t) => t === 0).length, text.validTask.filter((t) => t === 1).length],
      [5, 4],
    );
    assert.ok(text.notes.some((line) => line.startsWith("task rev: data: built-in task")));
  });
});

/** A one-task text of copy pairs with prefix "p: " (3 char tokens): two long sources, one short. */
function copyText(): TaskText {
  const pairs = ["abcdefgh", "ab", "hgfedcba"].map((s) => ({ src: `p: ${s}`, tgt: s }));
  return {
    train: pairs,
    valid: pairs.slice(0, 2),
    notes: [],
    tasks: [{ name: "", prefix: "p: ", template: "", metric: "exact", rate: 0 }],
    trainTask: [0, 0, 0],
    validTask: [0, 0],
    mixture: false,
  };
}

const tokenizers = jointPair(trainCharTokenizer(copyText().train.flatMap((p) => [p.src, p.tgt])));
const text = (ids: ArrayLike<number>) => tokenizers.source.decode(Array.from(ids), { skipSpecial: true });

function encode(truncate: DataConfig["truncate"], limit = { src: 32, tgt: 32 }) {
  const data = resolve({ task: "copy", truncate }).data;
  return encodeTaskData(copyText(), tokenizers, { data, validMaxExamples: 0, limit });
}

describe("encodeTaskData: truncation", () => {
  test("keepStart cuts long sources to their first tokens + EOS, counted for training and validation", () => {
    const out = encode({ policy: "keepStart", maxSourceTokens: 6 });
    assert.deepEqual(
      out.trainPairs.map((p) => text(p.src)),
      ["p: ab", "p: ab", "p: hg"],
    );
    assert.ok(out.trainPairs.every((p) => p.src.length <= 6 && Array.from(p.src).at(-1) === 2));
    assert.deepEqual(out.validation!.sources.map(text), ["p: ab", "p: ab"]);
    assert.deepEqual(out.notes, [
      "data.truncate, training data: cut 2 sources to 6 tokens (EOS included), keeping their start (keepStart)",
      "data.truncate, validation data: cut 1 sources to 6 tokens (EOS included), keeping their start (keepStart)",
    ]);
    assert.deepEqual(out.textTask, {
      format: 1,
      prefix: "p: ",
      template: "",
      maxSourceTokens: 6,
      truncate: "keepStart",
      tasks: [],
    });
  });

  test("keepEnd keeps the prefix and the end of the source", () => {
    const out = encode({ policy: "keepEnd", maxSourceTokens: 6 });
    assert.deepEqual(
      out.trainPairs.map((p) => text(p.src)),
      ["p: gh", "p: ab", "p: ba"],
    );
    assert.match(out.notes[0]!, /cut 2 sources .* keeping the prefix and their end \(keepEnd\)/);
  });

  test("drop leaves the long pairs out and counts them", () => {
    const out = encode({ policy: "drop", maxSourceTokens: 6 });
    assert.deepEqual(
      out.trainPairs.map((p) => text(p.src)),
      ["p: ab"],
    );
    assert.deepEqual(out.notes, [
      "data.truncate, training data: dropped 2 pairs with a source over 6 tokens",
      "data.truncate, validation data: dropped 1 pairs with a source over 6 tokens",
    ]);
  });

  test("none keeps everything the model takes; what it cannot take is left out and counted", () => {
    assert.equal(encode({ policy: "none", maxSourceTokens: 0 }).trainPairs.length, 3);
    const out = encode({ policy: "none", maxSourceTokens: 0 }, { src: 8, tgt: 32 });
    assert.deepEqual(
      out.trainPairs.map((p) => text(p.src)),
      ["p: ab"],
    );
    assert.match(out.notes[0]!, /left out 2 training pairs longer than the model takes \(8 source/);
  });

  test("maxSourceTokens 0 truncates to the model's source limit", () => {
    const out = encode({ policy: "keepStart", maxSourceTokens: 0 }, { src: 8, tgt: 32 });
    assert.deepEqual(
      out.trainPairs.map((p) => text(p.src)),
      ["p: abcd", "p: ab", "p: hgfe"],
    );
    assert.equal(out.textTask.maxSourceTokens, 8);
    assert.throws(
      () => encode({ policy: "keepStart", maxSourceTokens: 40 }),
      /more than the model takes \(32/,
    );
  });
});

test("a mixture's encoding has each task's validation range and quotas by its rates", async () => {
  const mixture = [
    { ...copyTask, rate: 3 },
    { ...reverseTask, rate: 1 },
  ];
  const d = resolve({ mixture, mixing: { epochSize: 100 } }).data;
  const taskText = await loadTaskText(d);
  const pair = jointPair(trainCharTokenizer(taskText.train.flatMap((p) => [p.src, p.tgt])));
  const out = encodeTaskData(taskText, pair, { data: d, validMaxExamples: 3, limit: null });
  assert.deepEqual(out.mixture!.tasks, [
    { name: "copy", quota: 75 },
    { name: "rev", quota: 25 },
  ]);
  assert.deepEqual(out.mixture!.taskOf, taskText.trainTask);
  assert.deepEqual(
    out.validationTasks!.map((t) => [t.name, t.metric, t.start, t.end]),
    [
      ["copy", "exact", 0, 3],
      ["rev", "exact", 3, 6],
    ],
  );
  assert.ok(out.validation!.sourceTexts.slice(3).every((s) => s.startsWith("reverse: ")));
  assert.deepEqual(
    out.textTask.tasks.map((t) => [t.name, t.prefix]),
    [
      ["copy", "copy: "],
      ["rev", "reverse: "],
    ],
  );
  assert.match(
    out.notes.at(-1)!,
    /^mixture: copy 40 pairs, rate 0\.750, 75 per epoch; rev 20 pairs, rate 0\.250, 25 per epoch$/,
  );
});
