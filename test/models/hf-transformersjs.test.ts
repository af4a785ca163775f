// The exported ONNX folder in @huggingface/transformers (transformers.js), offline: its greedy generate
// gives our ids. That package is a dev-only dependency (474 MB); without it this test skips.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateFromIds } from "../../src/decode/hf-generate.ts";
import { Seq2SeqRunner } from "../../src/decode/runner.ts";
import { exportOnnxFolder, sourceFromHf } from "../../src/models/hf-export.ts";
import { withOverrides } from "../../src/models/hf-generation.ts";
import { loadHfFolder } from "../../src/models/hf-import.ts";
import { FIXTURES, fixturesMissing, readExpected, unpadded } from "./hf-fixtures.ts";

const PACKAGE = "@huggingface/transformers";

function missingPackage(): string | undefined {
  try {
    createRequire(import.meta.url).resolve(PACKAGE);
    return undefined;
  } catch {
    return `${PACKAGE} is not installed (add it as a devDependency, 4.x, to run this test)`;
  }
}

/** The part of transformers.js this test uses. */
interface TransformersJs {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
  AutoModelForSeq2SeqLM: {
    from_pretrained(
      id: string,
      options: Record<string, unknown>,
    ): Promise<{
      generate(options: Record<string, unknown>): Promise<{ tolist(): Array<Array<bigint | number>> }>;
    }>;
  };
}

const work = mkdtempSync(join(tmpdir(), "hf-tjs-"));
after(() => rmSync(work, { recursive: true, force: true }));

for (const family of ["marian", "bart", "t5_original"]) {
  test(`transformers.js runs the exported ${family} ONNX folder to our greedy ids`, {
    skip: missingPackage() ?? fixturesMissing(family),
  }, async () => {
    const tjs = (await import(PACKAGE)) as TransformersJs;
    const hf = await loadHfFolder(join(FIXTURES, family), { requireTokenizer: false });
    await exportOnnxFolder(sourceFromHf(hf), join(work, family));
    tjs.env.allowRemoteModels = false;
    tjs.env.allowLocalModels = true;
    tjs.env.localModelPath = work;
    const model = await tjs.AutoModelForSeq2SeqLM.from_pretrained(family, {
      dtype: "fp32",
      local_files_only: true,
    });
    const e = readExpected(family);
    const dims = [e.inputIds.length, e.inputIds[0]!.length];
    const inputs = new tjs.Tensor("int64", BigInt64Array.from(e.inputIds.flat(), BigInt), dims);
    const mask = new tjs.Tensor("int64", BigInt64Array.from(e.attentionMask.flat(), BigInt), dims);
    const output = await model.generate({
      inputs,
      attention_mask: mask,
      max_new_tokens: 8,
      num_beams: 1,
      do_sample: false,
    });
    const theirs = output.tolist().map((row) => row.map(Number));
    const runner = await Seq2SeqRunner.create(hf.model, hf.weights);
    const ours = await generateFromIds(
      runner,
      unpadded(e),
      withOverrides(hf.generation, { maxNewTokens: 8 }),
    );
    await runner.release();
    const eos = hf.generation.eosTokenId;
    ours.sequences.forEach((row, r) => {
      const end = row.indexOf(eos, 1);
      const upTo = end < 0 ? row.length : end + 1;
      assert.deepEqual(theirs[r]!.slice(0, upTo), row.slice(0, upTo), `row ${r}`);
    });
  });
}
