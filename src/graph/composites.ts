// Composite ops built only from primitives, so autodiff needs no extra rules: linear layers, norms,
// activations, dropout and the label-smoothed cross-entropy. Model code uses `Builder`, which has them all.

import { type BuilderOptions, GraphBuilder } from "./builder.ts";
import type { Value } from "./ir.ts";
import { convTaps } from "./vjp-conv.ts";

export interface CrossEntropyOptions {
  /** Targets equal to this id contribute nothing (typically the pad id). */
  ignoreIndex?: number;
  /** ε of label smoothing: the target distribution is (1-ε)·onehot + ε/V (PyTorch's convention). */
  labelSmoothing?: number;
  /** "mean" over non-ignored targets (default) or "sum". */
  reduction?: "mean" | "sum";
}

export class Builder extends GraphBuilder {
  constructor(options: BuilderOptions = {}) {
    super(options);
  }

  /**
   * y = x Wᵀ + b with W stored [out, in] (the PyTorch / Hugging Face layout).
   * x: [..., in] -> [..., out]. Leading dims are folded so the product is one Gemm.
   */
  linear(x: Value, weight: Value, bias?: Value): Value {
    const inDim = weight.shape[1]!;
    const outDim = weight.shape[0]!;
    if (typeof inDim !== "number" || typeof outDim !== "number")
      throw new Error("linear: weight dims must be static");
    // A rank-1 bias rides in the Gemm (its C input); any other bias shape is a broadcast Add.
    const gemmBias = bias && bias.shape.length === 1 && bias.dtype === x.dtype ? bias : undefined;
    let y: Value;
    if (x.shape.length === 2) {
      y = this.matmul(x, weight, { transB: true, bias: gemmBias }); // [n, out]
    } else {
      const x2 = this.reshape(x, [-1, inDim]); // [n, in]
      const y2 = this.matmul(x2, weight, { transB: true, bias: gemmBias }); // [n, out]
      const target = this.concat([this.shapeOf(x, 0, x.shape.length - 1), this.ints([outDim])], 0);
      y = this.reshapeDynamic(y2, target, [...x.shape.slice(0, -1), outDim]); // [..., out]
    }
    return bias && !gemmBias ? this.add(y, bias) : y;
  }

  /** GELU with the exact erf form: x·Φ(x). */
  gelu(x: Value): Value {
    return this.mul(this.mul(x, 0.5), this.add(this.erf(this.mul(x, Math.SQRT1_2)), 1));
  }

  /** GELU with the tanh approximation (Hugging Face "gelu_new", used by T5 v1.1). */
  geluTanh(x: Value): Value {
    const cube = this.mul(this.mul(x, x), x);
    const inner = this.mul(this.add(x, this.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
    return this.mul(this.mul(x, 0.5), this.add(this.tanh(inner), 1));
  }

  /** SiLU / swish: x·σ(x). */
  silu(x: Value): Value {
    return this.mul(x, this.sigmoid(x));
  }

  /** Layer normalisation over the last axis (Ba et al. 2016): (x - μ) / √(σ² + ε) · γ + β (one fused op). */
  layerNorm(x: Value, gamma: Value, beta: Value | undefined, eps = 1e-5): Value {
    return this.layerNormalization(x, gamma, beta, eps).y;
  }

  /** RMS normalisation (Zhang & Sennrich 2019; T5's LayerNorm): x / √(mean(x²) + ε) · γ. */
  rmsNorm(x: Value, gamma: Value, eps = 1e-6): Value {
    const meanSquare = this.reduceMean(this.mul(x, x), [-1], true); // [..., 1]
    return this.mul(this.mul(x, this.reciprocal(this.sqrt(this.add(meanSquare, eps)))), gamma);
  }

  /** Inverted dropout: zero with probability p, scale survivors by 1/(1-p). Identity when p = 0. */
  dropout(x: Value, p: number): Value {
    if (p <= 0) return x;
    if (p >= 1) throw new Error(`dropout probability must be < 1, got ${p}`);
    const keep = this.greaterOrEqual(this.randomUniformLike(x), p);
    return this.where(keep, this.mul(x, 1 / (1 - p)), 0);
  }

  /**
   * 1-D convolution as im2col + one MatMul (Pad, strided Slices, Concat, Reshape, MatMul): the same result as
   * the Conv primitive, x [batch, in, T], weight [out, in, K], bias [out] -> [batch, out, T'], differentiated
   * through the rules of its parts. bench/conv1d.ts times it against the primitive (equal at Whisper's shapes).
   */
  conv1dIm2col(
    x: Value,
    weight: Value,
    bias: Value | undefined,
    options: { stride?: number; padding?: number } = {},
  ): Value {
    const [out, inChannels, kernel] = weight.shape;
    if (typeof out !== "number" || typeof inChannels !== "number" || typeof kernel !== "number")
      throw new Error("conv1dIm2col: weight dims must be static");
    const stride = options.stride ?? 1;
    const p = options.padding ?? 0;
    const t = x.shape[2]!;
    const padded = typeof t === "number" ? t + 2 * p : `${t}+${2 * p}`;
    const xp = p > 0 ? this.pad(x, this.ints([0, 0, p, 0, 0, p]), [x.shape[0]!, inChannels, padded]) : x;
    const cols = this.reshape(convTaps(this, xp, kernel, stride), [0, inChannels * kernel, -1]); // [batch, in·K, T']
    const y = this.matmul(this.reshape(weight, [out, inChannels * kernel]), cols); // [batch, out, T']
    return bias ? this.add(y, this.reshape(bias, [out, 1])) : y;
  }

  /** One-hot float32 encoding of int64 indices: [...] -> [..., depth]. */
  oneHot(indices: Value, depth: number): Value {
    const classes = this.range(
      this.scalar(0, "int64"),
      this.scalar(depth, "int64"),
      this.scalar(1, "int64"),
      depth,
    );
    return this.cast(this.equal(this.unsqueeze(indices, [-1]), classes), "float32");
  }

  /** Sum over every axis: a rank-0 value. */
  sumAll(x: Value): Value {
    return this.reduceSum(
      x,
      x.shape.map((_, i) => i),
      false,
    );
  }

  /**
   * Cross-entropy of logits [..., V] against int64 targets [...], with label smoothing and an ignore index.
   * Returns the loss (rank 0) and the number of counted targets (rank 0, float32).
   */
  crossEntropy(
    logits: Value,
    targets: Value,
    options: CrossEntropyOptions = {},
  ): { loss: Value; count: Value } {
    const eps = options.labelSmoothing ?? 0;
    const classes = logits.shape.at(-1);
    if (typeof classes !== "number") throw new Error("crossEntropy: the class dim must be static");
    const scores = logits.shape.length === 2 ? logits : this.reshape(logits, [-1, classes]); // [n, V]
    const labels = targets.shape.length === 1 ? targets : this.reshape(targets, [-1]); // [n]
    const { loss: nll, logProb } = this.softmaxCrossEntropyLoss(scores, labels, options.ignoreIndex); // [n], [n, V]
    const valid =
      options.ignoreIndex === undefined
        ? this.constantOfShape(this.shapeOf(labels), labels.shape, 1, "bool")
        : this.not(this.equal(labels, options.ignoreIndex)); // [n]
    let perToken = nll; // [n], already 0 at ignored targets
    if (eps > 0) {
      const uniform = this.neg(this.reduceMean(logProb, [-1], false)); // [n]
      perToken = this.add(this.mul(perToken, 1 - eps), this.mul(this.where(valid, uniform, 0), eps));
    }
    const total = this.sumAll(perToken);
    const count = this.sumAll(this.cast(valid, "float32"));
    const loss = options.reduction === "sum" ? total : this.div(total, this.max(count, 1));
    return { loss, count };
  }
}
