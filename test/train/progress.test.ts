// Progress reporting: the JSONL log (append, read, truncate for a resume), plain lines off a terminal and a
// cli-progress bar on one.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import {
  barObserver,
  consoleObserver,
  formatDuration,
  JsonlLog,
  type StepRecord,
} from "../../src/train/progress.ts";

function stepRecord(step: number, loss: number): StepRecord {
  return {
    type: "step",
    step,
    epoch: 0,
    loss,
    lr: 1e-3,
    gradNorm: 1,
    tokens: 100,
    tokensPerSecond: 1000,
    elapsed: step,
  };
}

test("JsonlLog appends one JSON object per line and truncates after a step", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "s2s-log-")), "log.jsonl");
  const log = new JsonlLog(path);
  assert.deepEqual(log.read(), []);
  for (let step = 1; step <= 4; step++) log.append(stepRecord(step, 1 / step));
  log.append({ type: "stop", step: 4, message: "completed" });
  assert.equal(readFileSync(path, "utf8").trim().split("\n").length, 5);
  await log.truncateAfter(2);
  assert.deepEqual(
    log.read().map((r) => r.step),
    [1, 2],
  );
  await log.truncateAfter(-1);
  assert.deepEqual(log.read(), []);
});

test("formatDuration", () => {
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(185), "3m 05s");
  assert.equal(formatDuration(3720), "1h 02m");
  assert.equal(formatDuration(Number.NaN), "?");
});

/** A writable that records what it gets, optionally pretending to be a terminal. */
function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120, rows: 40 });
  return { stream, text: () => chunks.join("") };
}

test("off a terminal: a plain line every N steps with epoch, loss, tokens/s and ETA, plus validations", () => {
  const { stream, text } = capture(false);
  const observer = consoleObserver(stream, 2);
  observer.message?.("data: 10 pairs");
  observer.start?.({ step: 0, totalSteps: 4 });
  for (let step = 1; step <= 4; step++) observer.step?.(stepRecord(step, 2 / step));
  observer.validation?.({
    type: "validation",
    step: 4,
    loss: 0.5,
    perplexity: Math.exp(0.5),
    metric: "bleu",
    value: 12.345,
    best: true,
    examples: [],
  });
  const lines = text().trim().split("\n");
  assert.equal(lines[0], "data: 10 pairs");
  assert.match(lines[1]!, /^step 2\/4 {2}epoch 1 {2}loss 1\.0000 {2}lr 1\.00e-3 {2}1000 tok\/s {2}ETA /);
  assert.match(lines[2]!, /^step 4\/4 /);
  assert.match(
    lines[3]!,
    /^validation at step 4: loss 0\.5000 {2}ppl 1\.65 {2}bleu 12\.35 {2}\(best so far\)$/,
  );
  assert.equal(lines.length, 4);
});

test("on a terminal: a progress bar with step, epoch, loss and tokens/s", () => {
  const { stream, text } = capture(true);
  const observer = barObserver(stream);
  observer.message?.("before the bar");
  observer.start?.({ step: 0, totalSteps: 10 });
  observer.step?.(stepRecord(3, 0.25));
  observer.message?.("above the bar");
  observer.stop?.();
  const out = text();
  assert.match(out, /before the bar/);
  assert.match(out, /step 3\/10 \| epoch 1 \| loss 0\.2500 \| 1000 tok\/s \| ETA/);
  assert.match(out, /above the bar/);
});

test("on a terminal without a step limit: no bar to fill, the time so far instead", () => {
  const { stream, text } = capture(true);
  const observer = barObserver(stream);
  observer.start?.({ step: 0, totalSteps: null });
  observer.step?.(stepRecord(7, 0.5));
  observer.stop?.();
  assert.match(text(), /step 7 \| epoch 1 \| loss 0\.5000 \| 1000 tok\/s \| \d+s/);
  assert.doesNotMatch(text(), /step 7\//);
});
