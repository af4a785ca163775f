// The regex checker on the real NL-RX validation targets (../shared/data/nl-rx): every reference parses,
// round-trips and is equivalent to itself rewritten; neighbouring lines are mostly different languages.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { compareRegex, regexMatches } from "../../src/metrics/regex/equivalence.ts";
import { parseRegex, printRegex, type RegexNode } from "../../src/metrics/regex/parse.ts";
import { semanticAccuracy } from "../../src/metrics/regex/semantic-accuracy.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const nlRx = resolve(repoRoot, "../shared/data/nl-rx");
const VARIANTS = ["synth", "turk"];
const missing = VARIANTS.every((v) => existsSync(join(nlRx, v, "targ-val.txt")))
  ? false
  : `NL-RX not found at ${nlRx} (need synth/ and turk/targ-val.txt)`;

function targets(variant: string): string[] {
  return readFileSync(join(nlRx, variant, "targ-val.txt"), "utf8")
    .trimEnd()
    .split("\n");
}

/**
 * The same language, written so that the derivative terms differ at every step: r* becomes
 * "( ) | r* r" and r{n,} becomes "r* r ... r". Comparing with it makes the checker walk the product.
 */
function rewriteStars(node: RegexNode): RegexNode {
  switch (node.kind) {
    case "concat":
      return { kind: "concat", parts: node.parts.map(rewriteStars) };
    case "union":
      return { kind: "union", options: node.options.map(rewriteStars) };
    case "intersection":
      return { kind: "intersection", operands: node.operands.map(rewriteStars) };
    case "complement":
      return { kind: "complement", operand: rewriteStars(node.operand) };
    case "repeat": {
      const body = rewriteStars(node.operand);
      if (node.max !== null) return { ...node, operand: body };
      const star: RegexNode = { kind: "repeat", operand: body, min: 0, max: null };
      if (node.min === 0)
        return { kind: "union", options: [{ kind: "epsilon" }, { kind: "concat", parts: [star, body] }] };
      return { kind: "concat", parts: [star, ...Array<RegexNode>(node.min).fill(body)] };
    }
    default:
      return node;
  }
}

test("every val reference parses, round-trips through the printer, and equals itself", {
  skip: missing,
}, () => {
  for (const variant of VARIANTS) {
    const lines = targets(variant);
    assert.equal(lines.length, 1000, variant); // the files lack a final newline, so `wc -l` says 999
    lines.forEach((line, i) => {
      const where = `${variant}/targ-val.txt:${i + 1}: ${line}`;
      const ast = parseRegex(line);
      assert.deepEqual(parseRegex(printRegex(ast)), ast, where);
      assert.equal(compareRegex(line, line).verdict, "equivalent", where);
      assert.equal(compareRegex(ast, rewriteStars(ast)).verdict, "equivalent", `${where} (stars rewritten)`);
    });
  }
});

test("200 neighbouring pairs (line i vs i+1) are mostly different, with witnesses that separate them", {
  skip: missing,
}, () => {
  const lines = targets("synth");
  let different = 0;
  for (let i = 0; i < 200; i++) {
    const [first, second] = [lines[i]!, lines[i + 1]!];
    const result = compareRegex(first, second);
    assert.notEqual(result.verdict, "unknown", `${first} vs ${second}`);
    if (result.verdict !== "different") continue;
    different++;
    const w = result.witness!;
    assert.notEqual(
      regexMatches(first, w),
      regexMatches(second, w),
      `witness "${w}" for ${first} vs ${second}`,
    );
  }
  // Some neighbours are truly equal: e.g. both denote the empty language under the checker's reading.
  assert.ok(different >= 180, `only ${different} of 200 neighbouring pairs differ`);
});

test("semantic accuracy of the references against themselves and against a shifted copy", {
  skip: missing,
}, () => {
  const lines = targets("turk");
  const self = semanticAccuracy(lines, lines);
  assert.equal(self.accuracy, 1);
  assert.equal(self.exactMatch, 1);
  const shifted = semanticAccuracy([...lines.slice(1), lines[0]!], lines);
  assert.equal(shifted.exactCorrect, 0);
  assert.ok(shifted.accuracy > 0 && shifted.accuracy < 0.1, `shifted accuracy ${shifted.accuracy}`);
  assert.equal(shifted.unknown, 0);
});
