// The joint-sequence G2P model: EM finds the graphones a toy spelling system is built from, the Kneser-Ney
// n-gram is a distribution, and the model prefers the pronunciation its training words imply.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { alignGraphones, type Pronunciation } from "../../src/models/graphone-alignment.ts";
import {
  JointSequenceModel,
  loadJointSequence,
  saveJointSequence,
  UNSEGMENTABLE_LOG_PROB,
} from "../../src/models/joint-sequence.ts";
import { KN_EOS, KneserNey } from "../../src/models/kneser-ney.ts";

/**
 * A toy spelling system: b d k t s read as B D K T S, a and o as AE and AA, "x" as K S (one letter, two
 * phonemes), "sh" as SH (two letters, one), a final "e" is silent.
 */
const SOUNDS: Record<string, string[]> = {
  b: ["B"],
  d: ["D"],
  k: ["K"],
  t: ["T"],
  s: ["S"],
  a: ["AE"],
  o: ["AA"],
  x: ["K", "S"],
  sh: ["SH"],
  e: [],
};

function pronounce(word: string): Pronunciation {
  const phones: string[] = [];
  for (let i = 0; i < word.length; ) {
    const chunk = word.startsWith("sh", i) ? "sh" : word[i]!;
    phones.push(...SOUNDS[chunk]!);
    i += chunk.length;
  }
  return { letters: [...word], phones };
}

const WORDS = [
  "box",
  "tax",
  "sax",
  "bad",
  "tab",
  "dot",
  "sob",
  "kota",
  "shot",
  "dash",
  "bash",
  "shad",
  "base",
  "dose",
  "tote",
  "sake",
  "axe",
  "bake",
  "stab",
  "kast",
  "dosh",
  "tosk",
  "xa",
  "boxe",
  "shab",
  "task",
  "doka",
  "soda",
  "tod",
  "kab",
  "stoke",
  "shake",
  "bos",
  "sab",
  "tad",
  "dab",
  "kos",
  "abs",
  "ado",
  "oka",
].map(pronounce);

const nameOf = (g: [string[], string[]]) => `${g[0].join("")}:${g[1].join(" ")}`;

test("EM alignment segments every toy word into graphones that spell it and say it, in order", () => {
  const { graphones, segmentations, logLikelihoods } = alignGraphones(WORDS, 5);
  segmentations.forEach((segmentation, w) => {
    const parts = segmentation!.map((id) => graphones[id]!);
    assert.deepEqual(
      parts.flatMap(([letters]) => letters),
      WORDS[w]!.letters,
    );
    assert.deepEqual(
      parts.flatMap(([, phones]) => phones),
      WORDS[w]!.phones,
    );
    for (const [letters, phones] of parts) assert.ok(letters.length <= 2 && phones.length <= 3);
  });
  // One unigram over graphones prefers few, large ones: "bo" with "B AA" rather than "b" and "o".
  assert.ok(graphones.some((g) => nameOf(g) === "bo:B AA"));
  for (let i = 1; i < logLikelihoods.length; i++)
    assert.ok(logLikelihoods[i]! >= logLikelihoods[i - 1]! - 1e-9, "EM never lowers the likelihood");
});

test("a word without a segmentation (a letter with four phonemes) aligns to null", () => {
  const { segmentations } = alignGraphones([...WORDS, { letters: ["x"], phones: ["EH", "K", "S", "T"] }], 2);
  assert.equal(segmentations.at(-1), null);
  assert.ok(segmentations.slice(0, -1).every((s) => s !== null));
});

test("Kneser-Ney probabilities sum to one after any history, seen or not", () => {
  const sequences = [
    [0, 1, 2],
    [0, 1, 1, 3],
    [2, 3],
    [1, 0, 2, 2],
  ];
  for (const order of [1, 2, 3]) {
    const lm = new KneserNey(order, 4, sequences);
    for (const history of [lm.start(), [...lm.start(), 0].slice(1), [0, 1], [3, 3], [2]]) {
      const total = [0, 1, 2, 3, KN_EOS].reduce((sum, t) => sum + Math.exp(lm.logProb(history, t)), 0);
      assert.ok(Math.abs(total - 1) < 1e-9, `order ${order}, history ${history}: ${total}`);
    }
  }
  const bigram = new KneserNey(2, 4, sequences);
  // Seen twice after 0 ("0 1" in two sequences), 3 never: the counts show through the smoothing.
  assert.ok(bigram.logProb([0], 1) > bigram.logProb([0], 3));
});

test("the model prefers the pronunciation its training words imply, and survives a save and load", async () => {
  const model = JointSequenceModel.train(WORDS, { order: 3, iterations: 5 });
  assert.equal(model.size.words, WORDS.length);
  const letters = [..."shox"];
  const right = model.logProb(letters, ["SH", "AA", "K", "S"]);
  for (const wrong of [
    ["S", "HH", "AA", "K", "S"],
    ["SH", "AA", "K"],
    ["SH", "AE", "K", "S"],
  ])
    assert.ok(right > model.logProb(letters, wrong) + 1, `SH AA K S over ${wrong.join(" ")}`);
  assert.ok(right < 0);
  // An unseen letter, or a letter with four phonemes: no segmentation.
  assert.equal(model.logProb([..."zo"], ["Z", "AA"]), UNSEGMENTABLE_LOG_PROB);
  assert.equal(model.logProb(["x"], ["K", "S", "K", "S"]), UNSEGMENTABLE_LOG_PROB);

  const dir = mkdtempSync(join(tmpdir(), "s2s-joint-sequence-"));
  try {
    const path = join(dir, "model.json");
    await saveJointSequence(path, model);
    const loaded = loadJointSequence(path);
    assert.equal(loaded.order, 3);
    assert.equal(loaded.logProb(letters, ["SH", "AA", "K", "S"]), right);
    writeFileSync(path, JSON.stringify({ ...model.toJSON(), segmentations: [[0, 9999]] }));
    assert.throws(
      () => loadJointSequence(path),
      /model\.json: a segmentation names a graphone the file does not list/,
    );
    writeFileSync(path, "{}");
    assert.throws(() => loadJointSequence(path), /not a seq2seq-ts joint-sequence model/);
    assert.throws(() => loadJointSequence(join(dir, "missing.json")), /cannot read the joint-sequence model/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
