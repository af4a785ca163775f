// transformers' `generate` on every fixture family (greedy, beam 4 returning 2, no-repeat-2-gram) gives
// exactly the id sequences transformers produced, from the folder's generation config plus the same kwargs.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateFromIds } from "../../src/decode/hf-generate.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { generationFromHf } from "../../src/models/hf-generation.ts";
import { type HfModel, loadHfFolder } from "../../src/models/hf-import.ts";
import { type Expected, FAMILIES, FIXTURES, fixturesMissing, readExpected, unpadded } from "./hf-fixtures.ts";

for (const family of FAMILIES) {
  describe(`generate on ${family} equals transformers`, { skip: fixturesMissing(family) }, () => {
    let hf: HfModel;
    let runner: Seq2SeqRunner;
    let e: Expected;
    before(async () => {
      hf = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
      runner = await Seq2SeqRunner.create(hf.model, hf.weights);
      e = readExpected(family);
    });
    after(() => runner.release());
    for (const mode of ["greedy", "beam", "no_repeat_ngram"]) {
      test(mode, async () => {
        const expected = e.generation[mode]!;
        const g = generationFromHf(
          { ...hf.generationJson, ...expected.kwargs },
          hf.tokens,
          `${family} ${mode}`,
        );
        const out = await generateFromIds(runner, unpadded(e), g);
        assert.deepEqual(out.sequences, expected.sequences);
        if (expected.sequencesScores) {
          out.scores!.forEach((s, i) => {
            const want = expected.sequencesScores![i]!;
            assert.ok(Math.abs(s - want) < 1e-4, `score ${i}: ${s} vs ${want}`);
          });
        }
      });
    }
  });
}
