// TER against values from sacreBLEU's test suite and the TER paper's example, plus its building blocks:
// block shifts, the shift search, and the beam edit distance.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BeamEditDistance,
  corpusTer,
  performShift,
  sentenceTer,
  translationEditRate,
} from "../../src/metrics/ter.ts";

const close = (actual: number, expected: number, tolerance = 1e-3): void =>
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} vs ${expected}`);

test("a single block shift repairs a rotated sentence: 1 edit over 8 words", () => {
  assert.deepEqual(translationEditRate("d e f g h a b c".split(" "), "a b c d e f g h".split(" ")), [1, 8]);
  close(corpusTer(["d e f g h a b c"], [["a b c d e f g h"]]).score, 12.5);
  // without shifts the same pair costs 6 edits (3 deletions + 3 insertions)
  assert.equal(
    new BeamEditDistance("a b c d e f g h".split(" ")).distance("d e f g h a b c".split(" ")).cost,
    6,
  );
});

test("the TER paper's example: a shift, a substitution and two insertions are 4 edits over 13 words", () => {
  const hyp = "THIS WEEK THE SAUDIS denied information published in the new york times";
  const ref = "SAUDI ARABIA denied THIS WEEK information published in the AMERICAN new york times";
  const score = sentenceTer(hyp, [ref]);
  assert.equal(score.numEdits, 4);
  assert.equal(score.refLength, 13);
  close(score.score, (100 * 4) / 13);
});

test("corner cases: perfect match, no overlap, empty hypothesis", () => {
  assert.equal(corpusTer(["aaaa bbbb cccc dddd"], [["aaaa bbbb cccc dddd"]]).score, 0);
  assert.equal(corpusTer(["dddd eeee ffff"], [["aaaa bbbb cccc"]]).score, 100);
  assert.equal(corpusTer([""], [["a"]]).score, 100);
  assert.deepEqual(translationEditRate(["a", "b"], []), [2, 0]);
});

test("a realistic WMT example from sacreBLEU's tests scores 13.6", () => {
  const hyps = [
    'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit das Bild ungefähr dieselbe Größe aufweist wie die andere Größe .',
    'wenn Sie alle Aufgaben im aktuellen Dokument aktualisieren möchten , wählen Sie im Menü des Aufgabenbedienfelds die Option " Alle Aufgaben aktualisieren . "',
    'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie Werte für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " ein .',
    "Sie können beispielsweise ein Dokument erstellen , das ein Auto über die Bühne enthält .",
    'wählen Sie im Dialogfeld " Neu aus Vorlage " eine Vorlage aus und klicken Sie auf " Neu . "',
  ];
  const refs = [
    'wählen Sie " Bild neu berechnen , " um beim Ändern der Bildgröße Pixel hinzuzufügen oder zu entfernen , damit die Darstellung des Bildes in einer anderen Größe beibehalten wird .',
    hyps[1]!,
    'klicken Sie auf der Registerkarte " Optionen " auf die Schaltfläche " Benutzerdefiniert " und geben Sie für " Fehlerkorrektur-Level " und " Y / X-Verhältnis " niedrigere Werte ein .',
    "Sie können beispielsweise ein Dokument erstellen , das ein Auto enthalt , das sich über die Bühne bewegt .",
    hyps[4]!,
  ];
  close(corpusTer(hyps, [refs]).score, 13.6);
});

test("several references: fewest edits, averaged reference length", () => {
  const score = corpusTer(["a b c"], [["a b c"], ["x y z w v"]]);
  assert.equal(score.numEdits, 0);
  assert.equal(score.refLength, 4);
  assert.equal(score.signature, "nrefs:2|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.x-local");
});

test("TER lowercases unless case-sensitive", () => {
  assert.equal(corpusTer(["A B"], [["a b"]]).score, 0);
  const cased = corpusTer(["A B"], [["a b"]], { caseSensitive: true });
  assert.equal(cased.score, 100);
  assert.match(cased.signature, /^nrefs:1\|case:mixed\|/);
});

test("performShift moves a block before the target index", () => {
  const words = ["a", "b", "c", "d", "e"];
  assert.deepEqual(performShift(words, 2, 2, 0), ["c", "d", "a", "b", "e"]);
  assert.deepEqual(performShift(words, 0, 2, 4), ["c", "d", "a", "b", "e"]);
  assert.deepEqual(performShift(words, 1, 2, 2), ["a", "d", "b", "c", "e"]);
});

test("beam edit distance gives the same cost with and without its prefix cache", () => {
  const ref = "the quick brown fox jumps over the lazy dog".split(" ");
  const ed = new BeamEditDistance(ref);
  const first = ed.distance("the quick fox brown jumps over a lazy dog".split(" "));
  const cachedPrefix = ed.distance("the quick fox brown jumps over the lazy cat".split(" "));
  const fresh = new BeamEditDistance(ref).distance("the quick fox brown jumps over the lazy cat".split(" "));
  assert.equal(first.cost, 3);
  assert.deepEqual(cachedPrefix, fresh);
  assert.equal(fresh.cost, 3);
});
