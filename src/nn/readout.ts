// The deep output layer with maxout units that Cho et al. 2014 and Bahdanau et al. 2014 put between the
// decoder state and the softmax: one affine map of [state; previous word; context], then max over pairs.

import type { Value } from "../graph/ir.ts";
import type { Initializer } from "./init.ts";
import { Linear } from "./layers.ts";
import { Module, type Scope } from "./module.ts";

/**
 * t̃ = O_h h + O_y e(y_{i−1}) + O_c c (one Linear over the concatenated features, so [O_h O_y O_c] is one
 * weight), t_j = max(t̃_{2j−1}, t̃_{2j}) (maxout of Goodfellow et al. 2013; Cho et al. 2014 appendix A.1.1,
 * Bahdanau et al. 2014 appendix A.2.2). The softmax layer W_o t is the model's.
 */
export class MaxoutReadout extends Module {
  readonly combine: Linear;

  constructor(
    prefix: string,
    inputDim: number,
    readonly readoutDim: number,
    init?: Initializer,
  ) {
    super(prefix);
    this.combine = this.child(new Linear(this.qualified("combine"), inputDim, 2 * readoutDim, { init }));
  }

  /** features [batch, t, inputDim] -> [batch, t, readoutDim] */
  forward(s: Scope, features: Value): Value {
    const b = s.b;
    const pre = this.combine.forward(s, features); // [batch, t, 2R]
    const pairs = b.reshape(pre, [0, 0, this.readoutDim, 2]); // [batch, t, R, 2]
    return b.reduceMax(pairs, [3], false); // [batch, t, R]
  }
}
