// The NL-RX dialect parser: precedence as in dk.brics.automaton, tokens, errors and print/parse round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRegex, printRegex, type RegexNode, tokenizeRegex } from "../../src/metrics/regex/parse.ts";

const ch = (char: string): RegexNode => ({ kind: "char", char });
const a = ch("a");
const b = ch("b");
const c = ch("c");
const star = (operand: RegexNode): RegexNode => ({ kind: "repeat", operand, min: 0, max: null });
const not = (operand: RegexNode): RegexNode => ({ kind: "complement", operand });

test("tokens: spaces separate, <NAME> tokens stay whole, other chunks split into characters", () => {
  assert.deepEqual(tokenizeRegex("( [ <VOW> ] ) { 1 2 , }"), [
    "(",
    "[",
    "<VOW>",
    "]",
    ")",
    "{",
    "1",
    "2",
    ",",
    "}",
  ]);
  assert.deepEqual(tokenizeRegex("([<VOW>]){12,}<M0>"), [
    "(",
    "[",
    "<VOW>",
    "]",
    ")",
    "{",
    "1",
    "2",
    ",",
    "}",
    "<M0>",
  ]);
  assert.deepEqual(parseRegex("([<VOW>]){3,}"), parseRegex("( [ <VOW> ] ) { 3 , }"));
});

test("precedence, loosest first: | then & then concatenation then postfix then ~", () => {
  assert.deepEqual(parseRegex("\\ a \\ b | \\ c"), {
    kind: "union",
    options: [{ kind: "concat", parts: [a, b] }, c],
  });
  assert.deepEqual(parseRegex("\\ a | \\ b & \\ c"), {
    kind: "union",
    options: [a, { kind: "intersection", operands: [b, c] }],
  });
  assert.deepEqual(parseRegex("\\ a \\ b & \\ c"), {
    kind: "intersection",
    operands: [{ kind: "concat", parts: [a, b] }, c],
  });
  assert.deepEqual(parseRegex("\\ a \\ b *"), { kind: "concat", parts: [a, star(b)] });
  // brics: complexp sits below repeatexp, so "~ a *" is "( ~ a ) *" and "~ a b" is "( ~ a ) b".
  assert.deepEqual(parseRegex("~ \\ a *"), star(not(a)));
  assert.deepEqual(parseRegex("~ \\ a \\ b"), { kind: "concat", parts: [not(a), b] });
  assert.deepEqual(parseRegex("~ ~ \\ a"), not(not(a)));
  assert.deepEqual(parseRegex("( \\ a | \\ b ) \\ c"), {
    kind: "concat",
    parts: [{ kind: "union", options: [a, b] }, c],
  });
});

test("the data's word-boundary form: \\ b is the letter b, so \\ b X | Y \\ b splits at the |", () => {
  assert.deepEqual(parseRegex("\\ b ( [ <VOW> ] ) | ( <M0> ) \\ b"), {
    kind: "union",
    options: [
      { kind: "concat", parts: [b, { kind: "class", negated: false, classes: ["VOW"], chars: [] }] },
      { kind: "concat", parts: [{ kind: "placeholder", name: "<M0>" }, b] },
    ],
  });
});

test("repetition counts, optional, epsilon, any character, classes", () => {
  assert.deepEqual(parseRegex("\\ a { 3 , }"), { kind: "repeat", operand: a, min: 3, max: null });
  assert.deepEqual(parseRegex("\\ a { 1 2 }"), { kind: "repeat", operand: a, min: 12, max: 12 });
  assert.deepEqual(parseRegex("\\ a { 2 , 4 }"), { kind: "repeat", operand: a, min: 2, max: 4 });
  assert.deepEqual(parseRegex("\\ a ?"), { kind: "repeat", operand: a, min: 0, max: 1 });
  assert.deepEqual(parseRegex("\\ a +"), { kind: "repeat", operand: a, min: 1, max: null });
  assert.deepEqual(parseRegex("( ) ."), { kind: "concat", parts: [{ kind: "epsilon" }, { kind: "any" }] });
  assert.deepEqual(parseRegex("[ ^ <LOW> <NUM> \\ _ ]"), {
    kind: "class",
    negated: true,
    classes: ["LOW", "NUM"],
    chars: ["_"],
  });
  assert.deepEqual(
    parseRegex("x 7"),
    { kind: "concat", parts: [ch("x"), ch("7")] },
    "plain characters are literals",
  );
});

test("malformed expressions are errors naming the expression and the token", () => {
  const cases: [string, RegExp][] = [
    ["", /empty expression/],
    ["( \\ a", /expected "\)" to close a group, found the end/],
    ["\\ a )", /unexpected "\)" \(token 3\)/],
    ["* \\ a", /operator "\*" where an operand was expected \(token 1\)/],
    ["\\ a | | \\ b", /operator "\|" where an operand was expected \(token 4\)/],
    ["\\ a |", /ends where an operand was expected/],
    ["[ ]", /empty brackets/],
    ["[ <FOO> ]", /unknown class <FOO>/],
    ["[ <VOW>", /unclosed "\["/],
    ["[ a - z ]", /ranges are not part of the dialect/],
    ["<VOW>", /only valid inside brackets/],
    ["\\ a { , }", /expected a repetition count/],
    ["\\ a { 3 , 2 }", /max < min/],
    ["\\ a { 3", /expected "}"/],
    ["\\", /must be followed by one character/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseRegex(text), message, text);
    assert.throws(() => parseRegex(text), { name: "RegexParseError" }, text);
  }
  assert.throws(() => parseRegex("( \\ a"), /cannot parse regex "\( \\ a"/);
});

test("printing uses the dataset's spacing and minimal parentheses; parse(print(x)) is x", () => {
  const cases: [string, string][] = [
    [
      "( ( [ <VOW> ] ) & ( [ <LOW> ] ) ) | ( [ <LET> ] ) { 7 , }",
      "[ <VOW> ] & [ <LOW> ] | [ <LET> ] { 7 , }",
    ],
    ["~ ( \\ b ( [ <VOW> ] ) | ( <M0> ) \\ b )", "~ ( \\ b [ <VOW> ] | <M0> \\ b )"],
    ["( . * ) ( ( . ) | ( [ <NUM> ] ) )", ". * ( . | [ <NUM> ] )"],
    ["~ \\ a *", "( ~ \\ a ) *"],
    ["~ ( \\ a * )", "~ ( \\ a * )"],
    ["( \\ a * ) +", "( \\ a * ) +"],
    ["( \\ a \\ b ) { 2 , 4 } ?", "( ( \\ a \\ b ) { 2 , 4 } ) ?"],
    ["( ( \\ a | \\ b ) & \\ c ) \\ d", "( ( \\ a | \\ b ) & \\ c ) \\ d"],
    ["( ) | [ ^ <NUM> \\ ) ]", "( ) | [ ^ <NUM> \\ ) ]"],
  ];
  for (const [input, printed] of cases) {
    const ast = parseRegex(input);
    assert.equal(printRegex(ast), printed, input);
    assert.deepEqual(parseRegex(printRegex(ast)), ast, input);
  }
});
