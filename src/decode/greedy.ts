// Batched greedy decoding over the narrow runner interface: encode once, then one step per position,
// taking the most probable token of every unfinished row.

import type { Seq2SeqRunner } from "./runner.ts";

export interface GreedyOptions {
  bos: number;
  eos: number;
  maxLength: number;
}

/** Greedy decoding of source id rows; returns output ids without BOS/EOS. */
export async function greedyDecode(
  runner: Seq2SeqRunner,
  sources: readonly (readonly number[])[],
  options: GreedyOptions,
): Promise<number[][]> {
  const vocab = runner.model.tgtVocabSize;
  let state = await runner.encode(sources);
  const outputs: number[][] = sources.map(() => []);
  const done = new Array<boolean>(sources.length).fill(false);
  let previous = new Array<number>(sources.length).fill(options.bos);
  for (let t = 0; t < options.maxLength && done.includes(false); t++) {
    const step = await runner.step(state, previous);
    state = step.state;
    previous = previous.map((_, row) => {
      if (done[row]) return runner.model.padId;
      let best = 0;
      for (let v = 1; v < vocab; v++)
        if (step.logProbs[row * vocab + v]! > step.logProbs[row * vocab + best]!) best = v;
      if (best === options.eos) done[row] = true;
      else outputs[row]!.push(best);
      return best;
    });
  }
  return outputs;
}
