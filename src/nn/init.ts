// Seeded parameter initialisation. Each initialiser draws from a stream keyed by (seed, parameter name),
// so adding a parameter never changes the values of the others.

export type Initializer =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "normal"; std: number }
  | { kind: "uniform"; limit: number }
  /** Glorot/Xavier uniform over the last two dims (fanIn = shape[1], fanOut = shape[0] for [out, in]). */
  | { kind: "xavier" }
  /** Whisper's position table [length, channels]: [sin(p·ω_i) | cos(p·ω_i)], ω_i = 10000^(−i/(channels/2−1)). */
  | { kind: "sinusoids" }
  /**
   * Random orthogonal matrices (Saxe et al. 2014): a [k·n, n] weight (the stacked gates of a recurrent
   * weight_hh) gets k independent n×n orthogonal blocks; any other 2-D shape gets orthonormal rows or columns.
   */
  | { kind: "orthogonal" };

export const zeros: Initializer = { kind: "zeros" };
export const ones: Initializer = { kind: "ones" };
export const normal = (std: number): Initializer => ({ kind: "normal", std });
export const uniform = (limit: number): Initializer => ({ kind: "uniform", limit });
export const xavier: Initializer = { kind: "xavier" };
export const orthogonal: Initializer = { kind: "orthogonal" };
export const sinusoids: Initializer = { kind: "sinusoids" };

/** Fills a new Float32Array for a parameter, deterministically from (seed, name). */
export function initialize(
  init: Initializer,
  shape: readonly number[],
  seed: number,
  name: string,
): Float32Array {
  const size = shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(size);
  const rand = mulberry32(hashString(name) ^ Math.imul(seed, 0x9e3779b1));
  switch (init.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "normal":
      for (let i = 0; i < size; i++) out[i] = gaussian(rand) * init.std;
      return out;
    case "uniform":
      for (let i = 0; i < size; i++) out[i] = (rand() * 2 - 1) * init.limit;
      return out;
    case "sinusoids":
      return sinusoidRows(shape[0] ?? 0, shape[1] ?? 0, out);
    case "orthogonal":
      return orthogonalFill(shape, rand);
    case "xavier": {
      const fanOut = shape[0] ?? 1;
      const fanIn = shape.length > 1 ? size / fanOut : fanOut;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) out[i] = (rand() * 2 - 1) * limit;
      return out;
    }
  }
}

/** Whisper's `sinusoids(length, channels)`, computed in float32 steps as PyTorch does, into `out`. */
function sinusoidRows(length: number, channels: number, out: Float32Array): Float32Array {
  const half = channels / 2;
  const f = Math.fround;
  const increment = f(Math.log(10000) / (half - 1));
  for (let i = 0; i < half; i++) {
    const omega = f(Math.exp(f(-increment * i)));
    for (let p = 0; p < length; p++) {
      const angle = f(p * omega);
      out[p * channels + i] = Math.sin(angle);
      out[p * channels + half + i] = Math.cos(angle);
    }
  }
  return out;
}

/** Orthogonal blocks of a Gaussian matrix by modified Gram–Schmidt (QR's Q, signs fixed as in PyTorch). */
function orthogonalFill(shape: readonly number[], rand: () => number): Float32Array {
  if (shape.length !== 2)
    throw new Error(`orthogonal initialisation needs a 2-D shape, got [${shape.join(", ")}]`);
  const [rows, cols] = shape as [number, number];
  const out = new Float32Array(rows * cols);
  if (rows % cols === 0) {
    for (let block = 0; block < rows / cols; block++)
      out.set(orthonormalRows(cols, cols, rand), block * cols * cols);
    return out;
  }
  if (rows <= cols) return orthonormalRows(rows, cols, rand);
  const t = orthonormalRows(cols, rows, rand); // [cols, rows]: transpose into [rows, cols]
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = t[c * rows + r]!;
  return out;
}

/** `count` orthonormal rows of length `length` (count <= length). */
function orthonormalRows(count: number, length: number, rand: () => number): Float32Array {
  const rows: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const v = Float64Array.from({ length }, () => gaussian(rand));
    for (const q of rows) {
      let dot = 0;
      for (let k = 0; k < length; k++) dot += v[k]! * q[k]!;
      for (let k = 0; k < length; k++) v[k]! -= dot * q[k]!;
    }
    let norm = 0;
    for (let k = 0; k < length; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    for (let k = 0; k < length; k++) v[k]! /= norm;
    rows.push(v);
  }
  const out = new Float32Array(count * length);
  rows.forEach((q, i) => {
    out.set(q, i * length);
  });
  return out;
}

function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
