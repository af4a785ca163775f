// The sacreBLEU tokenizers on hand-checked examples, and the Python-compatible whitespace helpers.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  codePoints,
  getBleuTokenizer,
  pyRstrip,
  pySplit,
  tokenize13a,
  tokenizeIntl,
  tokenizeNone,
} from "../../src/metrics/tokenizers.ts";

test("13a splits punctuation and symbols but keeps apostrophes", () => {
  assert.equal(tokenize13a("Hello, world!"), "Hello , world !");
  assert.equal(tokenize13a("It costs $3.50, isn't it?"), "It costs $ 3.50 , isn't it ?");
  assert.equal(tokenize13a("(a) [b] {c} a/b"), "( a ) [ b ] { c } a / b");
});

test("13a keeps decimal points and separators between digits, splits a dash after a digit", () => {
  assert.equal(tokenize13a("1,000.5 people"), "1,000.5 people");
  assert.equal(tokenize13a("It ends in 1990."), "It ends in 1990 .");
  assert.equal(tokenize13a("1990-2000"), "1990 - 2000");
  assert.equal(tokenize13a("e-mail"), "e-mail");
});

test("13a unescapes XML entities, drops <skipped> and joins lines", () => {
  assert.equal(tokenize13a("&quot;A&quot; &amp; B &lt;C&gt;"), '" A " & B < C >');
  assert.equal(tokenize13a("a <skipped> b"), "a b");
  assert.equal(tokenize13a("hyphen-\nated\nline"), "hyphenated line");
});

test("intl splits Unicode punctuation and symbols, but not punctuation next to digits", () => {
  assert.equal(tokenizeIntl("„Größe“: 1,000"), "„ Größe “ : 1,000");
  assert.equal(tokenizeIntl("a+b costs 5€"), "a + b costs 5 €");
  // mteval-v14 quirk kept by sacreBLEU: a final period after a digit stays attached
  assert.equal(tokenizeIntl("in 1990."), "in 1990.");
  assert.equal(tokenizeIntl("Hello, world!"), "Hello , world !");
});

test("none returns the line unchanged; unknown tokenizer names throw", () => {
  assert.equal(tokenizeNone(" a,b "), " a,b ");
  assert.equal(getBleuTokenizer("13a")("a."), "a .");
  assert.throws(() => getBleuTokenizer("zh"), /unknown tokenizer "zh" \(valid: 13a, intl, none\)/);
});

test("whitespace helpers follow Python: \\x1c and \\x85 are whitespace, U+FEFF is not", () => {
  assert.deepEqual(pySplit("  a\u00a0b\x1cc\x85d\ufeffe  "), ["a", "b", "c", "d\ufeffe"]);
  assert.deepEqual(pySplit(""), []);
  assert.equal(pyRstrip(" a b \t\n"), " a b");
  assert.deepEqual(codePoints("a😀b"), ["a", "😀", "b"]);
});
