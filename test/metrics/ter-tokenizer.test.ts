// The Tercom normaliser on the cases of sacreBLEU's tokenizer tests: default, no punctuation,
// normalised, and CJK support.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenizeTercom } from "../../src/metrics/ter-tokenizer.ts";

test("default: lowercase and single spaces only", () => {
  assert.equal(tokenizeTercom("a b c d."), "a b c d.");
  assert.equal(tokenizeTercom("A B C D."), "a b c d.");
  assert.equal(tokenizeTercom(""), "");
  assert.equal(tokenizeTercom("A B", { caseSensitive: true }), "A B");
  assert.equal(tokenizeTercom("  a \t b  "), "a b");
});

test('noPunct removes . , ? : ; ! " ( )', () => {
  assert.equal(tokenizeTercom("a b c d.", { noPunct: true }), "a b c d");
  assert.equal(tokenizeTercom("A ; B ) C : D.", { noPunct: true }), "a b c d");
});

test("normalized splits punctuation and possessives, keeps decimals", () => {
  assert.equal(tokenizeTercom("a b (c) d.", { normalized: true }), "a b ( c ) d .");
  assert.equal(tokenizeTercom("Jim's car.", { normalized: true }), "jim 's car .");
  assert.equal(tokenizeTercom("4.2", { normalized: true }), "4.2");
  assert.equal(tokenizeTercom("a &amp; b", { normalized: true }), "a & b");
});

test("asianSupport splits CJK ideographs to characters", () => {
  const options = { normalized: true, asianSupport: true };
  assert.equal(tokenizeTercom("美众院公布对特", options), "美 众 院 公 布 对 特");
  assert.equal(tokenizeTercom("りの拳銃を持", options), "りの 拳 銃 を 持");
});
