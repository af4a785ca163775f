// The teacher-forced training loss every family builds the same way: the batch's source input, tgt_in and
// tgt_out, and the target cross-entropy, so padding, label smoothing and `tokens` mean the same everywhere.

import type { Builder } from "../graph/composites.ts";
import type { Value } from "../graph/ir.ts";
import { BoundScope, type Scope } from "../nn/module.ts";
import type { LossBuilder } from "../train/step-graph.ts";
import { IO, type TrainingLossOptions } from "./seq2seq.ts";

/** The text families' source input: src_ids [batch, srcLen] int64. */
export function sourceIds(s: Scope): Value {
  return s.b.input(IO.src, "int64", ["batch", "srcLen"]);
}

/** The batch's decoder inputs tgt_in (BOS + y) and targets tgt_out (y + EOS), each [batch, tgtLen] int64. */
export function targetInputs(b: Builder): { tgtIn: Value; tgtOut: Value } {
  const tgtIn = b.input(IO.tgtIn, "int64", ["batch", "tgtLen"]);
  const tgtOut = b.input(IO.tgtOut, "int64", ["batch", "tgtLen"]);
  return { tgtIn, tgtOut };
}

/**
 * Mean token cross-entropy of logits [batch, t, V] against targets [batch, t], ignoring `padId` targets
 * (unless options.ignorePad is false) and with the options' label smoothing (default 0).
 * Returns the loss (a scalar) and `tokens`, the number of targets it covers.
 */
export function targetCrossEntropy(
  b: Builder,
  logits: Value,
  targets: Value,
  padId: number,
  options: TrainingLossOptions,
): { loss: Value; tokens: Value } {
  const { loss, count } = b.crossEntropy(logits, targets, {
    ignoreIndex: (options.ignorePad ?? true) ? padId : undefined,
    labelSmoothing: options.labelSmoothing ?? 0,
  });
  return { loss, tokens: count };
}

/**
 * The teacher-forced loss builder: declares the source input (`source`), then tgt_in and tgt_out, and returns
 * the target cross-entropy of logits(s, source, tgtIn) [batch, tgtLen, V] with the extra output `tokens`.
 * Dropout is active unless options.training is false.
 */
export function teacherForcedLoss(
  options: TrainingLossOptions,
  padId: number,
  source: (s: Scope) => Value,
  logits: (s: Scope, source: Value, tgtIn: Value) => Value,
): LossBuilder {
  return (b, params) => {
    const s = new BoundScope(b, params, options.training ?? true);
    const src = source(s);
    const { tgtIn, tgtOut } = targetInputs(b);
    const { loss, tokens } = targetCrossEntropy(b, logits(s, src, tgtIn), tgtOut, padId, options); // [], []
    return { loss, outputs: { tokens } };
  };
}
