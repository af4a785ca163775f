// The web page's task selector in a real browser (playwright-core driving Debian's chromium): hidden for a
// model without named tasks, listing a multi-task model's tasks, and a translation with the chosen task.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { writeTextTaskFile } from "../../src/models/folder.ts";
import type { OutputJson } from "../../src/server/app.ts";
import { startServer } from "../../src/server/index.ts";
import { postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
];
const skip = existsSync(CHROMIUM)
  ? false
  : `browser test skipped: Debian's chromium is not at ${CHROMIUM} (apt-get install -y chromium)`;

test("the task selector shows only for a model with tasks and sends the chosen task", { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), "s2s-serve-page-tasks-"));
  await saveTinyModel(join(root, "plain"));
  await saveTinyModel(join(root, "multi"), {}, 5);
  await writeTextTaskFile(join(root, "multi"), {
    format: 1,
    prefix: "",
    template: "",
    maxSourceTokens: 0,
    truncate: "none",
    tasks: [
      { name: "ab", prefix: "ab ", template: "" },
      { name: "hg", prefix: "hg ", template: "" },
    ],
  });
  const server = await startServer({
    models: [
      { name: "plain", dir: join(root, "plain") },
      { name: "multi", dir: join(root, "multi") },
    ],
    port: 0,
    threads: 1,
    log: () => {},
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator("#model option", { hasText: "multi" }).waitFor({ state: "attached" });
    assert.equal(await page.locator("#task-label").isVisible(), false, "hidden for a model without tasks");
    await page.selectOption("#model", "multi");
    await page.locator("#task-label").waitFor({ state: "visible" });
    assert.deepEqual(await page.locator("#task option").allTextContents(), [
      "default (no prefix)",
      'ab ("ab ")',
      'hg ("hg ")',
    ]);
    await page.selectOption("#task", "hg");
    await page.fill("#input", "fed");
    await page.fill("#beam", "2");
    await page.fill("#nbest", "1");
    await page.click("#translate");
    await page.locator(".card").waitFor();
    const api = await postJson(`${server.url}/v1/translate`, {
      inputs: ["fed"],
      model: "multi",
      task: "hg",
      beam: 2,
      nbest: 1,
      maxLength: 100,
      returnAttention: true,
    });
    const expected = (api.body["outputs"] as OutputJson[])[0]!;
    assert.deepEqual(expected.attention!.sourceTokens, ["h", "g", " ", "f", "e", "d", "</s>"]);
    const card = page.locator(".card").first();
    assert.equal(
      await card.locator(".output").textContent(),
      expected.text === "" ? "(empty)" : expected.text,
    );
    assert.deepEqual(
      await card.locator("table.heatmap th.src").allTextContents(),
      ["h", "g", "␣", "f", "e", "d", "</s>"],
      "the heat map shows the task's prefix in the source",
    );
    await page.selectOption("#model", "plain");
    assert.equal(await page.locator("#task-label").isVisible(), false, "hidden again for the plain model");
  } finally {
    await browser.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
