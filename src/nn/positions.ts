// Position information for Transformers (Vaswani et al. 2017, §3.5): fixed sinusoids or a learned table,
// looked up at absolute positions past .. past + t - 1 so decoder steps with a cache see the right ones.

import type { Value } from "../graph/ir.ts";
import { normal } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

/**
 * Sinusoid table [positions, dim] in the "halves" layout used by tensor2tensor, Marian and Whisper:
 * row p = [sin(p·ω_0) … sin(p·ω_{d/2-1}), cos(p·ω_0) … cos(p·ω_{d/2-1})], ω_i = 10000^(-i/(d/2-1)) for Whisper-
 * style `logTimescale = "whisper"`, else ω_i = 10000^(-2i/d) (Marian/fairseq).
 */
export function sinusoidTable(
  positions: number,
  dim: number,
  style: "vaswani" | "whisper" = "vaswani",
): Float32Array {
  const half = dim / 2;
  const table = new Float32Array(positions * dim);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const omega =
        style === "whisper" ? Math.exp(-Math.log(10000) * (i / (half - 1))) : 10000 ** ((-2 * i) / dim);
      table[p * dim + i] = Math.sin(p * omega);
      table[p * dim + half + i] = Math.cos(p * omega);
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
