// Language equivalence of NL-RX expressions: algebraic laws, classes, repetition counts, placeholders,
// witnesses checked by matching, agreement with JavaScript's RegExp, and the budgets that prevent hangs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEEP_REGEX_PLACEHOLDERS } from "../../src/metrics/regex/alphabet.ts";
import { compareRegex, regexEquivalent, regexMatches } from "../../src/metrics/regex/equivalence.ts";
import { parseRegex, type RegexNode } from "../../src/metrics/regex/parse.ts";

const EMPTY = "~ ( . * )";

/** Asserts the verdict; for "different", also that the witness really separates the two. */
function assertVerdict(first: string, second: string, verdict: "equivalent" | "different"): void {
  const result = compareRegex(first, second);
  assert.equal(result.verdict, verdict, `${first}  vs  ${second}`);
  if (verdict === "different") {
    const witness = result.witness!;
    const inFirst = regexMatches(first, witness);
    assert.notEqual(inFirst, regexMatches(second, witness), `witness "${witness}" does not separate them`);
    assert.equal(result.acceptedBy, inFirst ? "first" : "second");
  }
}

test("union and intersection laws: commutative, associative, idempotent; double complement", () => {
  assertVerdict("\\ a | \\ b", "\\ b | \\ a", "equivalent");
  assertVerdict("( \\ a | \\ b ) | \\ c", "\\ a | ( \\ c | \\ b ) | \\ a", "equivalent");
  assertVerdict(". * \\ a . * & . * \\ b . *", ". * \\ b . * & . * \\ a . *", "equivalent");
  assertVerdict("~ ( ~ ( \\ a ) )", "\\ a", "equivalent");
  assertVerdict("~ ( \\ a | \\ b )", "~ \\ a & ~ \\ b", "equivalent");
  assertVerdict("\\ a | \\ b", "\\ a", "different");
});

test("repetition: (a)+ = a a*, {2,} expansions, bounded counts, stars that need a real bisimulation", () => {
  assertVerdict("( \\ a ) +", "\\ a \\ a *", "equivalent");
  assertVerdict("\\ a * \\ a", "\\ a \\ a *", "equivalent");
  assertVerdict("( [ <NUM> ] ) { 2 , }", "[ <NUM> ] [ <NUM> ] [ <NUM> ] *", "equivalent");
  assertVerdict("( [ <NUM> ] ) { 2 , }", "[ <NUM> ] * [ <NUM> ] [ <NUM> ]", "equivalent");
  assertVerdict("( [ <NUM> ] ) { 2 , }", "( [ <NUM> ] ) { 3 , }", "different");
  assertVerdict("( \\ a ) { 2 , 4 }", "\\ a \\ a \\ a ? \\ a ?", "equivalent");
  assertVerdict("( \\ a ) { 2 , 4 }", "\\ a \\ a \\ a *", "different");
  assertVerdict("( \\ a | \\ b ) *", "( \\ a * \\ b * ) *", "equivalent");
  assertVerdict("( \\ a \\ b ) * \\ a", "\\ a ( \\ b \\ a ) *", "equivalent");
  assertVerdict("( \\ a \\ b ) *", "( \\ b \\ a ) *", "different");
  assertVerdict("\\ a ?", "( ) | \\ a", "equivalent");
});

test("character classes partition the characters: [<LOW>]|[<CAP>] = [<LET>], disjoint classes meet in nothing", () => {
  assertVerdict("[ <LOW> ] | [ <CAP> ]", "[ <LET> ]", "equivalent");
  assertVerdict("[ <LOW> ] | [ <NUM> ]", "[ <LET> ]", "different");
  assertVerdict("[ <LOW> ] & [ <CAP> ]", EMPTY, "equivalent");
  assertVerdict("[ <NUM> ] & [ <LET> ]", EMPTY, "equivalent");
  assertVerdict("[ <VOW> ] & [ <LOW> ]", "\\ a | \\ e | \\ i | \\ o | \\ u", "equivalent");
  assertVerdict("[ <VOW> ] & [ <CAP> ]", "\\ A | \\ E | \\ I | \\ O | \\ U", "equivalent");
  assertVerdict("[ <LET> ] & ~ [ <VOW> ] & [ <CAP> ]", "[ <CAP> ] & ~ [ <VOW> ]", "equivalent");
  assertVerdict("[ <VOW> ] | [ <LET> ]", "[ <LET> ]", "equivalent");
  assertVerdict(". & ~ [ <LET> ] & ~ [ <NUM> ]", "[ ^ <LET> <NUM> ]", "equivalent");
  assertVerdict("[ ^ <LET> <NUM> ]", EMPTY, "different");
  assertVerdict("~ ( . * \\ a . * )", "[ ^ \\ a ] *", "equivalent");
});

test("placeholders are their checker words (dog, truck, ring, lake), not single symbols", () => {
  assertVerdict("<M0> & . *", "<M0>", "equivalent");
  assertVerdict("( <M0> ) & ( . )", EMPTY, "equivalent");
  assertVerdict("( <M0> ) & ( [ <LOW> ] ) { 3 }", "<M0>", "equivalent");
  assertVerdict("( <M0> ) & ( [ <CAP> ] ) { 3 }", EMPTY, "equivalent");
  assertVerdict("<M0>", "\\ d \\ o \\ g", "equivalent");
  assertVerdict(". * <M0> . *", ". * <M1> . *", "different");
  assertVerdict("<M0> | <M1>", "<M1> | <M0>", "equivalent");
  const same = { placeholders: { "<M0>": "xy", "<M1>": "xy" } };
  assert.equal(regexEquivalent("<M0>", "<M1>", same), true);
  assert.equal(regexEquivalent("<M0>", "<M1>"), false);
  assert.throws(() => compareRegex("<M7>", "<M0>"), /no string for placeholder <M7>/);
  assert.equal(DEEP_REGEX_PLACEHOLDERS["<M3>"], "lake");
});

test("complement is relative to all strings over every character, including ones no class names", () => {
  assertVerdict("~ ( [ <LET> ] | [ <NUM> ] )", "( ) | [ ^ <LET> <NUM> ] | . . . *", "equivalent");
  assert.equal(regexMatches("~ ( [ <LET> ] * )", "é"), true);
  assert.equal(regexMatches("~ ( [ <LET> ] * )", "abc"), false);
  assert.equal(regexMatches(". * <M0> . *", "hot dogs"), true);
  assert.equal(regexMatches("\\ b ( [ <VOW> ] ) \\ b", "bAb"), true);
});

/** The same expression as a JavaScript RegExp body (no complement or intersection). */
function toJs(node: RegexNode): string {
  const classes = { LET: "A-Za-z", VOW: "AEIOUaeiou", CAP: "A-Z", LOW: "a-z", NUM: "0-9" };
  const quote = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  switch (node.kind) {
    case "epsilon":
      return "(?:)";
    case "any":
      return "[^]";
    case "char":
      return quote(node.char);
    case "placeholder":
      return quote(DEEP_REGEX_PLACEHOLDERS[node.name]!);
    case "class":
      return `[${node.negated ? "^" : ""}${node.classes.map((c) => classes[c]).join("")}${quote(node.chars.join(""))}]`;
    case "concat":
      return node.parts.map((p) => `(?:${toJs(p)})`).join("");
    case "union":
      return node.options.map((o) => `(?:${toJs(o)})`).join("|");
    case "repeat":
      return `(?:${toJs(node.operand)}){${node.min},${node.max ?? ""}}`;
    default:
      throw new Error(`${node.kind} has no JavaScript form`);
  }
}

test("membership agrees with JavaScript's RegExp on random strings", () => {
  const expressions = [
    "( . * [ <VOW> ] . * ) . * ( [ <LOW> ] ) . *",
    "( ( [ <VOW> ] ) | ( [ <NUM> ] ) ) { 3 , }",
    "\\ b ( [ <LET> ] ) | ( . ) | ( <M0> ) \\ b",
    "( ( <M0> ) ( . * ) ) . * ( ( [ <LOW> ] ) | ( <M1> ) ) . *",
    "( \\ b <M0> . * [ <CAP> ] . * \\ b ) { 2 , }",
    "[ ^ <LET> ] ( \\ a | \\ b ) ? ( <M2> ) +",
  ];
  const alphabet = [..."dogtruckAEb1_x9Z "];
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (const text of expressions) {
    const js = new RegExp(`^(?:${toJs(parseRegex(text))})$`);
    const samples = ["dog", "bAb", "dogtruck", "b1b", "b dogZb"];
    for (let i = 0; i < 300; i++)
      samples.push(Array.from({ length: random(9) }, () => alphabet[random(alphabet.length)]).join(""));
    for (const sample of samples)
      assert.equal(regexMatches(text, sample), js.test(sample), `${text} on "${sample}"`);
  }
});

test("budgets turn an exponential comparison into 'unknown' instead of a hang", () => {
  // .*a.{n} needs 2^(n+1) states; written two ways, every state pair must be visited.
  const plain = ". * \\ a . { 1 2 }";
  const other = "( [ ^ \\ a ] * \\ a ? ) * \\ a . { 1 2 }";
  const byStates = compareRegex(plain, other, { maxStates: 500 });
  assert.equal(byStates.verdict, "unknown");
  assert.equal(byStates.states, 500);
  assert.match(byStates.reason!, /more than 500 state pairs/);
  const byTerms = compareRegex(plain, other, { maxTerms: 300 });
  assert.equal(byTerms.verdict, "unknown");
  assert.match(byTerms.reason!, /more than 300 distinct derivative terms/);
  assert.equal(regexEquivalent(plain, other, { maxStates: 500 }), false, "unknown is not equivalent");
  assert.equal(
    compareRegex(". * \\ a . { 6 }", "( [ ^ \\ a ] * \\ a ? ) * \\ a . { 6 }").verdict,
    "equivalent",
  );
});
