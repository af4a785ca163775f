// The teacher-forced training objective of an encoder–decoder: source ids, shifted target ids in,
// label-smoothed cross-entropy against the next target ids (padding ignored).

import { BoundScope } from "../nn/module.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import type { Transformer } from "./transformer.ts";

/** Graph input names of the teacher-forced batch. */
export const BATCH_IO = { src: "src_ids", tgtIn: "tgt_in", tgtOut: "tgt_out" } as const;

export interface Seq2SeqLossOptions {
  labelSmoothing?: number;
  /** Ignore targets equal to the pad id (default true). */
  ignorePad?: boolean;
  /** Whether dropout is active (default true). */
  training?: boolean;
}

/**
 * Loss builder for the training step. Inputs: src_ids [batch, srcLen], tgt_in [batch, tgtLen] (BOS + y[:-1]),
 * tgt_out [batch, tgtLen] (y, EOS), all int64. Extra output: `tokens`, the number of counted targets.
 */
export function seq2seqLoss(model: Transformer, options: Seq2SeqLossOptions = {}): LossBuilder {
  return (b, params) => {
    const s = new BoundScope(b, params, options.training ?? true);
    const src = b.input(BATCH_IO.src, "int64", ["batch", "srcLen"]);
    const tgtIn = b.input(BATCH_IO.tgtIn, "int64", ["batch", "tgtLen"]);
    const tgtOut = b.input(BATCH_IO.tgtOut, "int64", ["batch", "tgtLen"]);
    const memory = model.encode(s, src); // [batch, srcLen, d_model]
    const { logits } = model.decode(s, tgtIn, memory, src); // [batch, tgtLen, V]
    const { loss, count } = b.crossEntropy(logits, tgtOut, {
      ignoreIndex: (options.ignorePad ?? true) ? model.config.padId : undefined,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
    return { loss, outputs: { tokens: count } };
  };
}
