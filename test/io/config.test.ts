// Tests for the config system: file loading (JSON/YAML), deep merging, dotted CLI overrides parsed to the
// default's type, and the errors for unknown keys (with suggestions) and wrong types.

import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import {
  ConfigError,
  configToJson,
  levenshtein,
  listConfigKeys,
  loadConfigFile,
  parseConfigText,
  parseOverrideArgs,
  resolveConfig,
} from "../../src/io/config.ts";

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), "config-test-"));
after(() => fs.rm(tmpRoot, { recursive: true, force: true }));

const defaults = {
  model: { layers: 2, hidden: 64, kind: "transformer", tied: true, sizes: [64, 128], encoder: { heads: 4 } },
  train: { lr: 1e-3, epochs: 10, maxSteps: null as number | null, langs: ["en", "de"], tags: [] as string[] },
  seed: 1,
};

function errorMatching(pattern: RegExp, key?: string) {
  return (err: Error) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert.match(err.message, pattern);
    if (key !== undefined) assert.equal(err.key, key);
    return true;
  };
}

describe("helpers", () => {
  test("levenshtein distances", () => {
    assert.equal(levenshtein("lr", "lrr"), 1);
    assert.equal(levenshtein("kitten", "sitting"), 3);
    assert.equal(levenshtein("", "abc"), 3);
    assert.equal(levenshtein("same", "same"), 0);
  });

  test("listConfigKeys lists dotted leaves", () => {
    assert.deepEqual(listConfigKeys({ a: 1, b: { c: 2, d: { e: [1] } } }), ["a", "b.c", "b.d.e"]);
  });

  test("parseOverrideArgs handles space, = and bare flags", () => {
    assert.deepEqual(parseOverrideArgs(["--a.b", "1", "--c=x=y", "--flag", "--d", "-3"]), [
      { key: "a.b", raw: "1" },
      { key: "c", raw: "x=y" },
      { key: "flag", raw: undefined },
      { key: "d", raw: "-3" },
    ]);
    assert.throws(
      () => parseOverrideArgs(["stray"]),
      errorMatching(/expected a "--key value" config override/),
    );
  });
});

describe("resolveConfig", () => {
  test("no sources returns an equal copy that does not alias the defaults", () => {
    const cfg = resolveConfig(defaults);
    assert.deepEqual(cfg, defaults);
    cfg.model.sizes.push(1);
    assert.deepEqual(defaults.model.sizes, [64, 128]);
  });

  test("deep-merges sources in order, then overrides", () => {
    const cfg = resolveConfig(
      defaults,
      [
        { origin: "a.yaml", values: { model: { layers: 6, encoder: { heads: 8 } }, train: { lr: 0.1 } } },
        { origin: "b.json", values: { train: { lr: 0.2, maxSteps: 500 } } },
      ],
      ["--train.lr=5e-4", "--model.kind", "rnn"],
    );
    assert.equal(cfg.model.layers, 6);
    assert.equal(cfg.model.hidden, 64);
    assert.equal(cfg.model.encoder.heads, 8);
    assert.equal(cfg.model.kind, "rnn");
    assert.equal(cfg.train.lr, 5e-4);
    assert.equal(cfg.train.maxSteps, 500);
    assert.equal(cfg.train.epochs, 10);
  });

  test("CLI values are parsed to the default's type", () => {
    const cfg = resolveConfig(
      defaults,
      [],
      [
        "--model.layers",
        "6",
        "--model.tied",
        "false",
        "--model.sizes",
        "32, 16,8",
        "--train.langs=fr,it",
        "--train.maxSteps",
        "null",
        "--train.tags",
        "a,b",
        "--seed",
        "-7",
      ],
    );
    assert.equal(cfg.model.layers, 6);
    assert.equal(cfg.model.tied, false);
    assert.deepEqual(cfg.model.sizes, [32, 16, 8]);
    assert.deepEqual(cfg.train.langs, ["fr", "it"]);
    assert.equal(cfg.train.maxSteps, null);
    assert.deepEqual(cfg.train.tags, ["a", "b"]);
    assert.equal(cfg.seed, -7);
    assert.equal(resolveConfig(defaults, [], ["--train.maxSteps", "100"]).train.maxSteps, 100);
    assert.equal(resolveConfig(defaults, [], ["--model.tied=false", "--model.tied"]).model.tied, true);
    assert.deepEqual(resolveConfig(defaults, [], ["--model.sizes=[1,2]"]).model.sizes, [1, 2]);
    assert.deepEqual(resolveConfig(defaults, [], ["--model.sizes="]).model.sizes, []);
    assert.equal(resolveConfig(defaults, [], ["--model.kind", "123"]).model.kind, "123");
  });

  test("unknown keys name the full dotted key, the origin and the nearest valid key", () => {
    const file = { origin: "configs/x.yaml", values: { train: { lrr: 0.1 } } };
    assert.throws(
      () => resolveConfig(defaults, [file]),
      errorMatching(
        /^unknown config key "train.lrr" \(in configs\/x.yaml\); did you mean "train.lr"\?$/,
        "train.lrr",
      ),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.encoder.haeds", "2"]),
      errorMatching(
        /unknown config key "model.encoder.haeds" \(in command line\); did you mean "model.encoder.heads"/,
      ),
    );
    assert.throws(
      () => resolveConfig(defaults, [{ origin: "c.json", values: { trian: {} } }]),
      errorMatching(/unknown config key "trian" \(in c.json\); did you mean "train"/),
    );
    // Far from every sibling, but the exact leaf name exists elsewhere.
    assert.throws(
      () => resolveConfig(defaults, [{ origin: "d.json", values: { lr: 1 } }]),
      errorMatching(/unknown config key "lr" \(in d.json\); did you mean "train.lr"/),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.layers.x", "1"]),
      errorMatching(/config key "model.layers" is a number, not a section/),
    );
  });

  test("wrong types name the key, the expected type and the value", () => {
    assert.throws(
      () => resolveConfig(defaults, [{ origin: "e.yaml", values: { train: { lr: "fast" } } }]),
      errorMatching(/^config key "train.lr" expects a number, got "fast" \(in e.yaml\)$/, "train.lr"),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.layers", "six"]),
      errorMatching(/config key "model.layers" expects a number, got "six" \(in command line\)/),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.tied", "maybe"]),
      errorMatching(/config key "model.tied" expects a boolean, got "maybe"/),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.sizes", "1,x"]),
      errorMatching(/config key "model.sizes" expects an array of numbers, got "1,x"/),
    );
    assert.throws(
      () => resolveConfig(defaults, [{ origin: "f.json", values: { model: 3 } }]),
      errorMatching(/config key "model" expects a section \(object\), got 3 \(in f.json\)/),
    );
    assert.throws(
      () => resolveConfig(defaults, [{ origin: "g.json", values: { seed: null } }]),
      errorMatching(/config key "seed" expects a number, got null/),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model", "x"]),
      errorMatching(/config key "model" is a section; set one of its keys, e.g. --model.layers/),
    );
    assert.throws(
      () => resolveConfig(defaults, [], ["--model.layers"]),
      errorMatching(/config key "model.layers" expects a number but no value was given/),
    );
  });
});

describe("config files", () => {
  test("YAML with comments and JSON both load and merge", async () => {
    const yamlPath = path.join(tmpRoot, "x.yaml");
    await fs.writeFile(
      yamlPath,
      "# experiment\nmodel:\n  layers: 4  # deeper\ntrain:\n  lr: 5e-4\n  langs: [en, fr]\n",
    );
    const jsonPath = path.join(tmpRoot, "y.json");
    await fs.writeFile(jsonPath, JSON.stringify({ seed: 3 }));
    const cfg = resolveConfig(defaults, [loadConfigFile(yamlPath), loadConfigFile(jsonPath)]);
    assert.equal(cfg.model.layers, 4);
    assert.equal(cfg.train.lr, 5e-4);
    assert.deepEqual(cfg.train.langs, ["en", "fr"]);
    assert.equal(cfg.seed, 3);
    assert.equal(loadConfigFile(yamlPath).origin, yamlPath);
  });

  test("an unknown key in a file names the file", async () => {
    const file = path.join(tmpRoot, "bad.yml");
    await fs.writeFile(file, "train:\n  lrr: 0.1\n");
    assert.throws(
      () => resolveConfig(defaults, [loadConfigFile(file)]),
      errorMatching(new RegExp(`\\(in ${file}\\)`)),
    );
  });

  test("syntax errors name the origin with line and column", () => {
    assert.throws(
      () => parseConfigText("a: [1, 2\nb: 3\n", "p.yaml", "yaml"),
      errorMatching(/^p.yaml:2:1: invalid YAML: Flow sequence .* end with a \]$/),
    );
    assert.throws(
      () => parseConfigText('{\n  "a": 1,\n}', "q.json", "json"),
      errorMatching(/^q.json:3:1: invalid JSON/),
    );
    assert.throws(
      () => parseConfigText("- 1\n- 2\n", "r.yaml", "yaml"),
      errorMatching(/r.yaml: a config file must hold a mapping/),
    );
    assert.throws(
      () => parseConfigText("a: 1\na: 2\n", "u.yaml", "yaml"),
      errorMatching(/^u.yaml:2:1: invalid YAML: Map keys must be unique$/),
    );
    assert.deepEqual(parseConfigText("# only a comment\n", "s.yaml", "yaml").values, {});
  });

  test("unsupported extensions are rejected", () => {
    assert.throws(() => loadConfigFile("cfg.toml"), errorMatching(/unsupported config file type ".toml"/));
  });
});

describe("configToJson", () => {
  test("round-trips through resolveConfig", () => {
    const cfg = resolveConfig(defaults, [], ["--train.lr", "0.25"]);
    const text = configToJson(cfg);
    assert.ok(text.endsWith("}\n"));
    const again = resolveConfig(defaults, [parseConfigText(text, "resolved.json", "json")]);
    assert.deepEqual(again, cfg);
  });

  test("non-finite numbers are an error naming the key", () => {
    assert.throws(
      () => configToJson({ a: { b: Number.NaN } }),
      errorMatching(/config key "a.b" holds NaN/, "a.b"),
    );
  });
});

test("an unknown key that a valid key extends suggests that key", () => {
  const defaults = { train: { lr: 0.001, warmupSteps: 100, seed: 1 } };
  assert.throws(
    () => resolveConfig(defaults, [{ origin: "run.yaml", values: { train: { warmup: 10 } } }]),
    /did you mean "train\.warmupSteps"/,
  );
});
