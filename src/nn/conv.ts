// A 1-D convolution layer over [batch, channels, time] with PyTorch's nn.Conv1d parameters (`weight`
// [out, in, kernel], `bias` [out]), as Whisper's front end uses it.

import type { Value } from "../graph/ir.ts";
import { uniform } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

export class Conv1d extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;

  constructor(
    prefix: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly options: { stride?: number; padding?: number; bias?: boolean } = {},
  ) {
    super(prefix);
    const limit = (inChannels * kernel) ** -0.5; // PyTorch's default U(±1/√fan_in)
    this.weight = this.param("weight", [outChannels, inChannels, kernel], uniform(limit));
    if (options.bias ?? true) this.bias = this.param("bias", [outChannels], uniform(limit), false);
  }

  /**
   * x: [batch, in, T] -> [batch, out, ⌊(T + 2·padding − kernel) / stride⌋ + 1]. The Conv primitive, in training
   * too: bench/conv1d.ts timed it against the im2col composite (Builder.conv1dIm2col) at Whisper's shapes and
   * found them equal within noise, so the graph keeps the one op.
   */
  forward(s: Scope, x: Value): Value {
    const bias = this.bias ? s.value(this.bias) : undefined;
    const conv = { stride: this.options.stride, padding: this.options.padding };
    return s.b.conv1d(x, s.value(this.weight), bias, conv);
  }
}
