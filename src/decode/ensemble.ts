// An ensemble of models decoded as one: every member encodes the same source and steps on the same tokens,
// and the ensemble's next-token distribution is the mean of the members' probabilities (fairseq's and
// Marian's ensembles), so greedy, beam search and sampling run on it unchanged.

import type { HostTensor } from "../graph/tensor.ts";
import type { DecoderState, Seq2SeqRunner } from "./runner.ts";
import type { StepModel, StepResult } from "./search.ts";

/** The members' decoder states, row i of each being the same hypothesis. */
export interface EnsembleState {
  readonly rows: number;
  readonly members: readonly DecoderState[];
}

/**
 * log(mean_m exp(logProbs_m)) element by element, computed stably: the log-probabilities of the mean of the
 * members' distributions. All arrays have one length ([rows * vocab]).
 */
export function meanOfProbabilities(logProbs: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(logProbs[0]!.length);
  const logCount = Math.log(logProbs.length);
  for (let i = 0; i < out.length; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (const lp of logProbs) max = Math.max(max, lp[i]!);
    if (max === Number.NEGATIVE_INFINITY) {
      out[i] = max;
      continue;
    }
    let sum = 0;
    for (const lp of logProbs) sum += Math.exp(lp[i]! - max);
    out[i] = max + Math.log(sum) - logCount;
  }
  return out;
}

/** The element-wise mean of equally long arrays (the members' cross-attention, for plots). */
function mean(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays[0]!.length);
  for (const a of arrays) for (let i = 0; i < out.length; i++) out[i]! += a[i]! / arrays.length;
  return out;
}

/**
 * Several runners whose models share one target vocabulary, decoded as one model. The members run one after
 * another (each ONNX Runtime session already uses every thread it was given).
 */
export class EnsembleRunner implements StepModel<EnsembleState> {
  constructor(readonly members: readonly Seq2SeqRunner[]) {
    if (members.length === 0) throw new Error("an ensemble needs at least one model");
    const first = members[0]!.model;
    members.forEach((runner, i) => {
      const m = runner.model;
      if (m.tgtVocabSize !== first.tgtVocabSize)
        throw new Error(
          `ensemble member ${i + 1} has a target vocabulary of ${m.tgtVocabSize}, member 1 of ${first.tgtVocabSize}`,
        );
      if (m.inputKind !== first.inputKind)
        throw new Error(`ensemble member ${i + 1} reads ${m.inputKind}, member 1 reads ${first.inputKind}`);
    });
  }

  async encode(
    sources: readonly (readonly number[])[] | HostTensor,
    frames?: readonly number[],
  ): Promise<EnsembleState> {
    const members: DecoderState[] = [];
    for (const runner of this.members) members.push(await runner.encode(sources, frames));
    return { rows: members[0]!.rows, members };
  }

  async step(state: EnsembleState, tokens: readonly number[]): Promise<StepResult<EnsembleState>> {
    const outs: StepResult<DecoderState>[] = [];
    for (let m = 0; m < this.members.length; m++)
      outs.push(await this.members[m]!.step(state.members[m]!, tokens));
    return {
      logProbs: meanOfProbabilities(outs.map((o) => o.logProbs)), // [rows * vocab]
      attention: mean(outs.map((o) => o.attention)), // [rows * srcLen]
      state: { rows: state.rows, members: outs.map((o) => o.state) },
    };
  }

  reorder(state: EnsembleState, indices: readonly number[]): EnsembleState {
    return {
      rows: indices.length,
      members: state.members.map((s, m) => this.members[m]!.reorder(s, indices)),
    };
  }

  async release(): Promise<void> {
    for (const runner of this.members) await runner.release();
  }
}
