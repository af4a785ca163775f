// Checks every case of the sacreBLEU fixtures (../shared/fixtures/metrics/sacrebleu-*.json): scores to
// 0.01 and signatures character for character. The fixtures name each case; the options follow the name.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { corpusBleu, sentenceBleu } from "../../src/metrics/bleu.ts";
import { corpusChrf } from "../../src/metrics/chrf.ts";
import { corpusTer } from "../../src/metrics/ter.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const fixtureDir = path.resolve(repoRoot, "../shared/fixtures/metrics");
const files = ["sacrebleu-1.json", "sacrebleu-2.json", "sacrebleu-3.json"];

interface FixtureCase {
  name: string;
  signature: string;
  score?: number;
  scores?: number[];
  hypotheses: string[];
  references: string[][];
}

type CorpusScorer = (hyps: string[], refs: string[][]) => { score: number; signature: string };

// How each named case was produced (sacreBLEU's defaults unless stated).
const CORPUS_CASES: Record<string, CorpusScorer> = {
  "bleu-13a": (h, r) => corpusBleu(h, r),
  "bleu-13a-lowercase": (h, r) => corpusBleu(h, r, { lowercase: true }),
  "bleu-intl": (h, r) => corpusBleu(h, r, { tokenize: "intl" }),
  "bleu-none-floor": (h, r) => corpusBleu(h, r, { tokenize: "none", smoothMethod: "floor" }),
  "bleu-2refs": (h, r) => corpusBleu(h, r),
  chrf2: (h, r) => corpusChrf(h, r),
  "chrf++": (h, r) => corpusChrf(h, r, { wordOrder: 2 }),
  ter: (h, r) => corpusTer(h, r),
};

function checkSentenceBleu(c: FixtureCase): void {
  assert.ok(c.scores, `${c.name}: sentence case without "scores"`);
  assert.equal(c.scores.length, c.hypotheses.length);
  c.hypotheses.forEach((hyp, i) => {
    const result = sentenceBleu(
      hyp,
      c.references.map((stream) => stream[i]!),
    );
    assert.ok(
      Math.abs(result.score - c.scores![i]!) < 0.01,
      `${c.name}[${i}]: ${result.score} vs ${c.scores![i]}`,
    );
    assert.equal(result.signature, c.signature);
  });
}

for (const file of files) {
  const fixturePath = path.join(fixtureDir, file);
  const skip = existsSync(fixturePath) ? false : `fixture ${fixturePath} is absent`;
  test(`sacreBLEU fixtures: ${file}`, { skip }, async (t) => {
    const data = JSON.parse(readFileSync(fixturePath, "utf8")) as { cases: FixtureCase[] };
    assert.ok(data.cases.length > 0);
    for (const c of data.cases) {
      await t.test(c.name, () => {
        if (c.name.startsWith("sentence-bleu")) return checkSentenceBleu(c);
        const scorer = CORPUS_CASES[c.name];
        assert.ok(scorer, `no options known for fixture case "${c.name}"; add it to CORPUS_CASES`);
        const result = scorer(c.hypotheses, c.references);
        assert.ok(Math.abs(result.score - c.score!) < 0.01, `${c.name}: ${result.score} vs ${c.score}`);
        assert.equal(result.signature, c.signature);
      });
    }
  });
}
