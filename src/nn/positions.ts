// Position information for Transformers (Vaswani et al. 2017, §3.5): fixed sinusoids or a learned table,
// looked up at absolute positions past .. past + t - 1 so decoder steps with a cache see the right ones.

import type { Value } from "../graph/ir.ts";
import { normal } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

/** How sinusoid frequencies are spaced: ω_i = 10000^(-2i/d) (Vaswani, Marian) or 10000^(-i/(d/2-1)) (fairseq, M2M100, Whisper). */
export type SinusoidStyle = "vaswani" | "fairseq";

/**
 * Sinusoid table [positions, dim] in the "halves" layout used by tensor2tensor, Marian, M2M100 and Whisper:
 * row p = [sin(p·ω_0) … sin(p·ω_{d/2-1}), cos(p·ω_0) … cos(p·ω_{d/2-1})]. "vaswani" is computed in float64
 * (as Marian's numpy code does); "fairseq" step by step in float32, as PyTorch computes M2M100's table.
 */
export function sinusoidTable(
  positions: number,
  dim: number,
  style: SinusoidStyle = "vaswani",
): Float32Array {
  const half = dim / 2;
  const table = new Float32Array(positions * dim);
  const f = Math.fround;
  const step = f(Math.log(10000) / (half - 1));
  for (let i = 0; i < half; i++) {
    const omega = style === "fairseq" ? f(Math.exp(f(i * -step))) : 10000 ** ((-2 * i) / dim);
    for (let p = 0; p < positions; p++) {
      const angle = style === "fairseq" ? f(p * omega) : p * omega;
      table[p * dim + i] = Math.sin(angle);
      table[p * dim + half + i] = Math.cos(angle);
    }
  }
  return table;
}

/** Absolute positions [t] = past .. past + t - 1 for tokens [batch, t]; `past` is a 1-element int64 or undefined. */
export function positionIds(s: Scope, tokens: Value, past: Value | undefined): Value {
  const b = s.b;
  const t = b.reshape(b.dimOf(tokens, 1), []); // []
  const start = past ? b.reshape(past, []) : b.scalar(0, "int64");
  return b.range(start, b.add(start, t), b.scalar(1, "int64"), tokens.shape[1]!); // [t]
}

/** Fixed sinusoids (§3.5) at positions 0, 1, …; not parameters (checkpoints do not store them). */
export class SinusoidalPositions extends Module {
  private readonly table: Float32Array;

  constructor(
    readonly maxPositions: number,
    readonly dim: number,
  ) {
    super("");
    this.table = sinusoidTable(maxPositions, dim);
  }

  /** positions [t] -> [t, dim] */
  forward(s: Scope, positions: Value): Value {
    const table = s.b.constant({ dtype: "float32", dims: [this.maxPositions, this.dim], data: this.table });
    return s.b.gather(table, positions, 0);
  }
}

export class LearnedPositions extends Module {
  readonly weight: Parameter;

  /** `offset` shifts lookups (BART/mBART store 2 extra rows before position 0). */
  constructor(
    prefix: string,
    readonly maxPositions: number,
    readonly dim: number,
    readonly offset = 0,
  ) {
    super(prefix);
    this.weight = this.param("weight", [maxPositions + offset, dim], normal(0.02), false);
  }

  /** positions [t] -> [t, dim] */
  forward(s: Scope, positions: Value): Value {
    const ids = this.offset ? s.b.add(positions, this.offset) : positions;
    return s.b.gather(s.value(this.weight), ids, 0);
  }
}

/**
 * fairseq's padding-aware sinusoids (M2M100 / NLLB): table [maxPositions + 2, dim] ("fairseq" style) whose
 * row `padId` is zero. A token's row is padId + (past + its count of non-pad tokens so far); padding gets row
 * padId. With padId = 1 the first token uses row 2 (Hugging Face's offset of 2). Not stored in checkpoints.
 */
export class PaddedSinusoidalPositions extends Module {
  private readonly table: Float32Array;

  constructor(
    readonly maxPositions: number,
    readonly dim: number,
    readonly padId: number,
  ) {
    super("");
    this.table = sinusoidTable(maxPositions + 2, dim, "fairseq");
    if (padId >= 0 && padId < maxPositions + 2) this.table.fill(0, padId * dim, (padId + 1) * dim);
  }

  /** ids: [batch, t] int64; past: 1-element int64 (tokens before these) -> [batch, t, dim] */
  forward(s: Scope, ids: Value, past: Value | undefined): Value {
    const b = s.b;
    const table = b.constant({ dtype: "float32", dims: [this.maxPositions + 2, this.dim], data: this.table });
    const real = b.cast(b.not(b.equal(ids, this.padId)), "float32"); // [batch, t]
    const t = b.reshape(b.dimOf(ids, 1), []); // []
    const index = b.range(b.scalar(0, "int64"), t, b.scalar(1, "int64"), ids.shape[1]!); // [t]
    const upper = b.cast(b.lessOrEqual(b.unsqueeze(index, [1]), b.unsqueeze(index, [0])), "float32"); // [t, t]
    let counts = b.cast(b.matmul(real, upper), "int64"); // [batch, t] running count of real tokens
    if (past) counts = b.add(counts, past);
    const rows = b.add(b.mul(counts, b.cast(real, "int64")), this.padId); // [batch, t]
    return b.gather(table, rows, 0); // [batch, t, dim]
  }
}
