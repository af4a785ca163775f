// The readers on the real data in ../shared/data (Multi30k, CMUdict); skipped when it is absent.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readParallelFiles, readTsv, referencesBySource } from "../../src/data/parallel.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const data = resolve(repoRoot, "../shared/data");
const multi30k = join(data, "multi30k");
const cmudict = join(data, "cmudict");
const noMulti30k = existsSync(multi30k) ? false : `Multi30k not found at ${multi30k}`;
const noCmudict = existsSync(cmudict) ? false : `CMUdict not found at ${cmudict}`;

test("Multi30k val.de/val.en: 1014 aligned pairs, test_2016_flickr 1000", { skip: noMulti30k }, async () => {
  const val = await readParallelFiles(join(multi30k, "val.de"), join(multi30k, "val.en"));
  assert.equal(val.examples.length, 1014);
  assert.deepEqual(val.stats, { lines: 1014, kept: 1014, droppedEmpty: 0, droppedTooLong: 0 });
  assert.ok(
    val.examples.some((e) => /[äöüß]/.test(e.src)),
    "German umlauts decoded",
  );
  const flickr = await readParallelFiles(
    join(multi30k, "test_2016_flickr.de"),
    join(multi30k, "test_2016_flickr.en"),
  );
  assert.equal(flickr.examples.length, 1000);
});

test("Multi30k val.de against test_2016_flickr.en is reported as misaligned", {
  skip: noMulti30k,
}, async () => {
  await assert.rejects(
    readParallelFiles(join(multi30k, "val.de"), join(multi30k, "test_2016_flickr.en")),
    /test_2016_flickr\.en has 1000 lines but .*val\.de has 1014/,
  );
});

test("CMUdict dev.tsv: 5342 words, several pronunciations for some", { skip: noCmudict }, async () => {
  const { examples, stats } = await readTsv(join(cmudict, "dev.tsv"));
  assert.equal(stats.droppedEmpty + stats.droppedTooLong, 0);
  const refs = referencesBySource(examples);
  assert.equal(refs.size, 5342);
  assert.ok([...refs.values()].some((prons) => prons.length > 1));
  assert.ok(
    examples.every((e) => !/\d/.test(e.tgt)),
    "no stress digits",
  );
});
