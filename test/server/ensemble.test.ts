// Several folders served as one model (`--model name=DIR1,DIR2`): a left-to-right and a right-to-left folder
// answer as loadTranslator([l2r, r2l]) does (reranking each other), two left-to-right folders as their
// ensemble, and GET /v1/models says how many folders of each direction a model has.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NO_TEXT_TASK } from "../../src/data/text-task.ts";
import { loadTranslator, type Translator } from "../../src/decode/translate.ts";
import { writeTextTaskFile } from "../../src/models/folder.ts";
import type { OutputJson } from "../../src/server/app.ts";
import { parseModelSpec, type RunningServer, startServer } from "../../src/server/index.ts";
import { getJson, postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

const root = mkdtempSync(join(tmpdir(), "s2s-serve-ensemble-"));
const l2r = join(root, "l2r");
const r2l = join(root, "r2l");
const other = join(root, "other");
let server: RunningServer;
let pair: Translator;
let ensemble: Translator;

before(async () => {
  await saveTinyModel(l2r, {}, 7);
  await saveTinyModel(r2l, {}, 8);
  await saveTinyModel(other, {}, 9);
  await writeTextTaskFile(r2l, { ...NO_TEXT_TASK, format: 1, tasks: [], reverseTarget: true });
  server = await startServer({
    models: [
      { name: "single", dir: l2r },
      parseModelSpec(`pair=${l2r},${r2l}`),
      { name: "ensemble", dir: [l2r, other] },
    ],
    port: 0,
    threads: 1,
    log: () => {},
  });
  pair = await loadTranslator([l2r, r2l], { threads: 1 });
  ensemble = await loadTranslator([l2r, other], { threads: 1 });
});

after(async () => {
  await server?.close();
  await pair?.release();
  await ensemble?.release();
  rmSync(root, { recursive: true, force: true });
});

test("name=DIR1,DIR2 is one model of several folders; a folder whose name has a comma stays whole", () => {
  assert.deepEqual(parseModelSpec(`pair=${l2r},${r2l}`), { name: "pair", dir: [l2r, r2l] });
  assert.deepEqual(parseModelSpec(l2r), { name: "l2r", dir: l2r });
  const comma = join(root, "a,b");
  mkdirSync(comma);
  assert.deepEqual(parseModelSpec(`ab=${comma}`), { name: "ab", dir: comma });
  assert.throws(() => parseModelSpec(`${l2r},${r2l}`), /under a name: give it as name=DIR1,DIR2/);
  assert.throws(() => parseModelSpec(`pair=${l2r},`), /has an empty folder/);
});

test("GET /v1/models counts the folders of each direction; a one-folder model has no count", async () => {
  const models = await getJson(`${server.url}/v1/models`);
  assert.equal(models.status, 200);
  const byName = new Map(
    (models.body["models"] as Array<Record<string, unknown>>).map((m) => [m["name"], m]),
  );
  assert.equal(byName.get("single")!["folders"], undefined);
  assert.deepEqual(byName.get("pair")!["folders"], { leftToRight: 1, rightToLeft: 1 });
  assert.deepEqual(byName.get("ensemble")!["folders"], { leftToRight: 2, rightToLeft: 0 });
  // Parameters and vocabularies are the left-to-right folder's.
  assert.equal(byName.get("pair")!["parameters"], byName.get("single")!["parameters"]);
});

test("a served pair and ensemble answer what the library decodes from the same folders", async () => {
  const inputs = ["abc", "hgfe", "bad cafe"];
  for (const [name, translator] of [
    ["pair", pair],
    ["ensemble", ensemble],
  ] as const)
    for (const beam of [1, 3]) {
      const response = await postJson(`${server.url}/v1/translate`, {
        inputs,
        model: name,
        beam,
        nbest: beam,
      });
      assert.equal(response.status, 200, response.text);
      const expected = await translator.translate(inputs, { beam, nbest: beam });
      (response.body["outputs"] as OutputJson[]).forEach((o, i) => {
        const label = `${name}, beam ${beam}, "${inputs[i]}"`;
        assert.equal(o.text, expected[i]!.text, label);
        assert.ok(Math.abs(o.score - expected[i]!.hypotheses[0]!.score) < 1e-4, `${label}: score`);
        if (beam > 1)
          assert.deepEqual(
            o.nbest!.map((h) => h.text),
            expected[i]!.hypotheses.map((h) => h.text),
            `${label}: n-best`,
          );
      });
    }
  // The pair decodes differently from its left-to-right folder alone, so the test sees the reranking.
  const single = await postJson(`${server.url}/v1/translate`, { inputs, model: "single", beam: 3, nbest: 3 });
  const paired = await postJson(`${server.url}/v1/translate`, { inputs, model: "pair", beam: 3, nbest: 3 });
  assert.notDeepEqual(single.body["outputs"], paired.body["outputs"]);
});
