// A right-to-left target: ids come last first, text comes back in reading order, a final EOS stays last, and
// the files saved are the reading-order tokenizer's.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import {
  inReadingOrder,
  ReversedTokenizer,
  readingOrder,
  reverseIds,
  reverseTarget,
} from "../../src/tokenize/reversed-target.ts";
import { jointPair, saveTokenizerPair } from "../../src/tokenize/tokenizer-pair.ts";

const base = trainCharTokenizer(["hello world"]);
const eos = base.specials.eos;

test("encode gives the ids last first and decode reads them back, a final EOS staying last", () => {
  const reversed = new ReversedTokenizer(base);
  const ids = base.encode("hello");
  assert.deepEqual(reversed.encode("hello"), [...ids].reverse());
  assert.deepEqual(reversed.encodeBatch(["he", "lo"]), [base.encode("eh"), base.encode("ol")]);
  assert.equal(reversed.decode(reversed.encode("hello")), "hello");
  assert.equal(reversed.decode([...reversed.encode("hello"), eos]), base.decode([...ids, eos]));
  assert.equal(reversed.decode([...reversed.encode("hello"), eos], { skipSpecial: true }), "hello");
  assert.deepEqual(reversed.tokens("hello"), ["o", "l", "l", "e", "h"]);
  assert.deepEqual(reverseIds([5, 6, 7, eos], eos), [7, 6, 5, eos]);
  assert.deepEqual(reverseIds([5, 6, 7], eos), [7, 6, 5]);
  assert.equal(reversed.vocabSize, base.vocabSize);
  assert.deepEqual(reversed.toJSON(), base.toJSON());
});

test("a pair reverses its target only, once, and saves the tokenizer in reading order", () => {
  const pair = reverseTarget(jointPair(base));
  assert.equal(pair.source, base);
  assert.ok(pair.target instanceof ReversedTokenizer);
  assert.equal(reverseTarget(pair), pair, "reversing twice is still right to left");
  assert.equal(readingOrder(pair.target), base);
  assert.equal(inReadingOrder(pair).target, base);
  const dir = mkdtempSync(join(tmpdir(), "s2s-reversed-"));
  saveTokenizerPair(pair, join(dir, "r2l"));
  saveTokenizerPair(jointPair(base), join(dir, "l2r"));
  assert.equal(
    readFileSync(join(dir, "r2l", "tokenizer.json"), "utf8"),
    readFileSync(join(dir, "l2r", "tokenizer.json"), "utf8"),
  );
});
