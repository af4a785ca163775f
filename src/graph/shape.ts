// Symbolic shapes: a dimension is a number or a name (`batch`, `srcLen`, ...) resolved when the graph runs.
// Broadcasting follows numpy/ONNX rules; a symbolic dimension is assumed never to be a broadcast 1.

export type Dim = number | string;
export type Shape = readonly Dim[];

let unknownCounter = 0;

/** A fresh symbolic dimension for sizes the builder cannot name (e.g. the -1 of a reshape). */
export function unknownDim(hint = "d"): string {
  unknownCounter += 1;
  return `${hint}?${unknownCounter}`;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Numpy broadcasting of two static-or-symbolic shapes; throws with both shapes when incompatible. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === db) out.push(da);
    else if (typeof da === "string" || typeof db === "string") out.push(typeof da === "number" ? da : db);
    else throw new Error(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
  }
  return out;
}

/** The number of elements when every dimension is static, else undefined. */
export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Resolves the concrete dims of a shape given the sizes bound to its symbols. */
export function resolveShape(shape: Shape, symbols: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const v = symbols[d];
    if (v === undefined) throw new Error(`symbolic dimension "${d}" is not bound`);
    return v;
  });
}
