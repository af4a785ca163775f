// The web page in a real browser (playwright-core driving Debian's chromium): type an input, translate,
// read the output and the n-best list, and check the heat map drew one cell per (output, source) token.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
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
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];
const skip = existsSync(CHROMIUM)
  ? false
  : `browser test skipped: Debian's chromium is not at ${CHROMIUM} (apt-get install -y chromium)`;

test("the page translates typed input, lists the n-best and draws the attention heat map", {
  skip,
}, async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "s2s-serve-page-")), "tiny");
  await saveTinyModel(dir);
  const server = await startServer({ models: [{ name: "tiny", dir }], port: 0, threads: 1 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    await page.goto(server.url);
    await page.locator("#model option", { hasText: "tiny" }).waitFor({ state: "attached" });
    assert.match(
      String(await page.locator("#model-info").textContent()),
      /tiny: transformer, [\d,]+ parameters/,
    );
    await page.fill("#input", "hgfe\nbad cafe");
    await page.fill("#beam", "3");
    await page.fill("#nbest", "2");
    await page.click("#translate");
    await page.locator(".card").nth(1).waitFor();

    const body = { inputs: ["hgfe", "bad cafe"], model: "tiny", beam: 3, nbest: 2, maxLength: 100 };
    const api = (await postJson(`${server.url}/v1/translate`, { ...body, returnAttention: true })).body;
    const expected = (api["outputs"] as OutputJson[])[0]!;
    const card = page.locator(".card").first();
    assert.equal(await card.locator(".source").textContent(), "hgfe");
    assert.equal(
      await card.locator(".output").textContent(),
      expected.text === "" ? "(empty)" : expected.text,
    );
    const rows = card.locator("tr.hyp");
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.nth(0).locator("td.score").textContent(), expected.nbest![0]!.score.toFixed(3));

    const attention = expected.attention!;
    const cells = card.locator("table.heatmap td.cell");
    assert.equal(await cells.count(), attention.outputTokens.length * attention.sourceTokens.length);
    assert.deepEqual(await card.locator("table.heatmap th.src").allTextContents(), [
      "h",
      "g",
      "f",
      "e",
      "</s>",
    ]);
    const last = attention.sourceTokens.length - 1;
    const cell = cells.nth(last);
    assert.equal(Number(await cell.getAttribute("data-weight")), attention.weights[0]![last]);
    await cell.hover();
    const weight = attention.weights[0]![last]!.toFixed(3);
    assert.match(
      String(await card.locator(".hover").textContent()),
      new RegExp(`source "</s>" \\(5\\): ${weight}`),
    );

    // The second hypothesis: its text and its own heat map.
    await rows.nth(1).click();
    const second = expected.nbest![1]!;
    assert.equal(await card.locator(".output").textContent(), second.text === "" ? "(empty)" : second.text);
    assert.equal(
      await card.locator("table.heatmap td.cell").count(),
      second.attention!.outputTokens.length * attention.sourceTokens.length,
    );

    // A refused request shows the server's error.
    await page.fill("#beam", "1");
    await page.fill("#nbest", "3");
    await page.click("#translate");
    await page.locator("#error", { hasText: "nbest" }).waitFor();
    assert.match(
      String(await page.locator("#error").textContent()),
      /nbest must be an integer from 1 to 1, got 3/,
    );
  } finally {
    await browser.close();
    await server.close();
  }
});
