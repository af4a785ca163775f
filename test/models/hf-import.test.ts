// Loading Hugging Face folders: sharded safetensors, tied keys stored once (or stored as copies), and the
// refusals a user can hit — pickle weights, unknown model_type, no tokenizer, weights unlike the config.

import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.ts";
import { loadHfFolder, toLoadedModel } from "../../src/models/hf-import.ts";
import { buildModel } from "../../src/models/registry.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { FIXTURES, fixturesMissing } from "./hf-fixtures.ts";

const work = mkdtempSync(join(tmpdir(), "hf-import-"));
after(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;

/** A writable copy of a fixture folder, with config.json edits applied. */
function copyFixture(family: string, edit: (config: Record<string, unknown>) => void = () => {}): string {
  const dir = join(work, `${family}-${counter++}`);
  cpSync(join(FIXTURES, family), dir, { recursive: true });
  const configPath = join(dir, "config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  edit(config);
  rmSync(configPath);
  writeFileSync(configPath, JSON.stringify(config));
  return dir;
}

const options = { requireTokenizer: false };

describe("Hugging Face folder import", {
  skip: fixturesMissing("bart") ?? fixturesMissing("t5_original"),
}, () => {
  test("pytorch_model.bin is refused, saying why and how to convert", async () => {
    const dir = copyFixture("bart");
    rmSync(join(dir, "model.safetensors"));
    writeFileSync(join(dir, "pytorch_model.bin"), "not really a pickle");
    await assert.rejects(loadHfFolder(dir, options), (error: Error) => {
      assert.match(error.message, /pytorch_model\.bin/);
      assert.match(error.message, /arbitrary code/);
      assert.match(error.message, /save_pretrained\(.*safe_serialization=True\)/);
      return true;
    });
  });

  test("an unknown model_type is named with the supported ones", async () => {
    const dir = copyFixture("bart", (c) => {
      c.model_type = "gpt2";
    });
    await assert.rejects(
      loadHfFolder(dir, options),
      /model_type "gpt2" is not supported; supported: t5, bart/,
    );
  });

  test("a missing tokenizer.json is an error (SentencePiece-only folders say what is missing)", async () => {
    const dir = copyFixture("bart");
    await assert.rejects(loadHfFolder(dir), /has no tokenizer\.json/);
    writeFileSync(join(dir, "source.spm"), "");
    await assert.rejects(
      loadHfFolder(dir),
      /only SentencePiece model file\(s\) source\.spm.*tokenizer\.json/s,
    );
  });

  test("weights that do not fit the config name the tensor and both shapes", async () => {
    const dir = copyFixture("bart", (c) => {
      c.encoder_ffn_dim = 128;
      c.decoder_ffn_dim = 128;
    });
    await assert.rejects(
      loadHfFolder(dir, options),
      /"model\.encoder\.layers\.0\.fc1\.weight" is F32 \[64, 32\], .*config\.json implies F32 \[128, 32\]/,
    );
  });

  test("a config key of the wrong type is named", async () => {
    const dir = copyFixture("bart", (c) => {
      c.d_model = "32";
    });
    await assert.rejects(loadHfFolder(dir, options), /config\.json: "d_model" must be a number/);
  });

  test("sharded safetensors with an index load the same weights", async () => {
    const dir = copyFixture("t5_original");
    const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
    rmSync(join(dir, "model.safetensors"));
    const names = [...tensors.keys()];
    const shards = [names.slice(0, 20), names.slice(20)];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(join(dir, file), new Map(shard.map((n) => [n, tensors.get(n)!])));
      for (const n of shard) weightMap[n] = file;
    }
    writeFileSync(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const sharded = await loadHfFolder(dir, options);
    const single = await loadHfFolder(join(FIXTURES, "t5_original"), options);
    assert.equal(sharded.weights.size, single.weights.size);
    for (const [name, data] of single.weights) assert.deepEqual(sharded.weights.get(name), data, name);
  });

  test("tied copies stored by other writers are accepted when equal, refused when not", async () => {
    const dir = copyFixture("bart");
    const path = join(dir, "model.safetensors");
    const { tensors } = await readSafetensors(path);
    const shared = tensors.get("model.shared.weight")!;
    tensors.set("model.encoder.embed_tokens.weight", shared);
    tensors.set("lm_head.weight", shared);
    await writeSafetensors(path, tensors);
    const loaded = await loadHfFolder(dir, options);
    assert.equal(loaded.config.tieOutput, true);
    assert.ok(!loaded.weights.has("lm_head.weight"));
    const other = Float32Array.from(shared.data as Float32Array, (x) => x + 1);
    tensors.set("model.encoder.embed_tokens.weight", { dtype: "F32", shape: shared.shape, data: other });
    await writeSafetensors(path, tensors);
    await assert.rejects(
      loadHfFolder(dir, options),
      /"model\.encoder\.embed_tokens\.weight" should be a copy of "model\.shared\.weight"/,
    );
  });

  test("T5: an lm_head unlike shared unties the head (v1.1), its absence ties it (original)", async () => {
    const v11 = await loadHfFolder(join(FIXTURES, "t5_v1_1"), options);
    assert.equal(v11.config.tieOutput, false);
    assert.equal(v11.config.scaleDecoderOutput, false);
    assert.equal(v11.config.gatedFfn, true);
    const original = await loadHfFolder(join(FIXTURES, "t5_original"), options);
    assert.equal(original.config.tieOutput, true);
    assert.equal(original.config.scaleDecoderOutput, true);
  });

  test("with a tokenizer.json the folder becomes a LoadedModel the registry rebuilds", async () => {
    const dir = copyFixture("t5_v1_1");
    const noTokenizer = await loadHfFolder(dir, options);
    assert.throws(() => toLoadedModel(noTokenizer), /has no tokenizer\.json/);
    trainCharTokenizer(["abcdef"]).save(join(dir, "tokenizer.json"));
    const loaded = toLoadedModel(await loadHfFolder(dir));
    assert.equal(loaded.config.architecture, "transformer");
    const rebuilt = buildModel(loaded.config);
    assert.deepEqual(
      rebuilt.parameters().map((p) => p.name),
      loaded.model.parameters().map((p) => p.name),
    );
  });
});
