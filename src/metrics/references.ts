// Reference streams -> per-segment reference lists, shared by every corpus metric: drops empty
// references and computes the signature's "nrefs" field the way sacreBLEU does.

/** References of one segment after dropping empty ones, plus the "nrefs" value over the corpus. */
export interface SegmentReferences {
  /** perSegment[i]: the non-empty references of segment i, in stream order. */
  perSegment: string[][];
  /** The reference count if every segment has the same number, else "var" (sacreBLEU's convention). */
  nrefs: number | "var";
}

/**
 * Regroups reference streams (refs[k][i] = k-th reference of segment i, aligned with the hypotheses)
 * per segment and drops empty references, as sacreBLEU does. Throws when the streams' lengths differ
 * from the hypotheses' or when a segment has no non-empty reference (the error names the line).
 */
export function groupReferences(
  numHypotheses: number,
  referenceStreams: readonly string[][],
): SegmentReferences {
  if (referenceStreams.length === 0) throw new Error("no reference streams given");
  referenceStreams.forEach((stream, k) => {
    if (stream.length !== numHypotheses) {
      throw new Error(
        `reference stream ${k + 1} has ${stream.length} lines but there are ${numHypotheses} hypotheses`,
      );
    }
  });
  const counts = new Set<number>();
  const perSegment: string[][] = [];
  for (let i = 0; i < numHypotheses; i++) {
    const refs = referenceStreams.map((stream) => stream[i]!).filter((ref) => ref !== "");
    if (refs.length === 0) throw new Error(`line ${i + 1}: every reference is empty`);
    counts.add(refs.length);
    perSegment.push(refs);
  }
  const nrefs = counts.size <= 1 ? (counts.values().next().value ?? referenceStreams.length) : "var";
  return { perSegment, nrefs };
}
