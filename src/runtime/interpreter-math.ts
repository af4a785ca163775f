// Scalar math the reference interpreter needs beyond Math: a double-precision erf and a small seeded PRNG.
// erf is W. J. Cody's rational Chebyshev approximation (CALERF, Math. Comp. 1969), accurate to ~1e-16.

const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERFC_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERFC_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const ERFC_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const ERFC_Q = [
  2.568520192289822, 1.8729528499234673, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/** erfc(y) for y > 0.46875 (Cody's second and third intervals). */
function erfcTail(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]!) * y;
      den = (den + ERFC_D[i]!) * y;
    }
    r = (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  } else {
    const z = 1 / (y * y);
    let num = ERFC_P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]!) * z;
      den = (den + ERFC_Q[i]!) * z;
    }
    r = (z * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!);
    r = (ONE_OVER_SQRT_PI - r) / y;
  }
  // exp(-y^2) split in two so the rounding of y^2 does not cost accuracy.
  const ySq = Math.trunc(y * 16) / 16;
  const del = (y - ySq) * (y + ySq);
  return Math.exp(-ySq * ySq) * Math.exp(-del) * r;
}

/** The error function, accurate to a few ulps over the whole real line. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (Number.isNaN(x)) return Number.NaN;
  if (y <= 0.46875) {
    const z = y > 1.11e-16 ? x * x : 0;
    let num = ERF_A[4]! * z;
    let den = z;
    for (let i = 0; i < 3; i++) {
      num = (num + ERF_A[i]!) * z;
      den = (den + ERF_B[i]!) * z;
    }
    return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
  }
  if (y >= 6) return Math.sign(x); // erfc(6) < 2.2e-17: erf rounds to +-1
  const r = 0.5 - erfcTail(y) + 0.5;
  return x < 0 ? -r : r;
}

/**
 * A seeded stream of uniform numbers in [0, 1): mulberry32 over a splitmix-hashed seed, so nearby seeds give
 * unrelated streams. Values are multiples of 2^-24, hence exact in float32 and strictly below 1 there too.
 */
export function uniformStream(seed: number): () => number {
  let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  let state = (h ^ (h >>> 16)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 8) / 16777216;
  };
}
