// Batched greedy decoding over the inference graphs: the encoder runs once, then one decoder-step run per
// output position extends every sentence's key/value cache.

import type { HostTensor } from "../graph/tensor.ts";
import { INFER_IO } from "../models/inference-graphs.ts";
import type { Transformer } from "../models/transformer.ts";
import type { OrtSession } from "../runtime/ort.ts";

export interface Seq2SeqSessions {
  model: Transformer;
  encoder: OrtSession;
  step: OrtSession;
}

export interface GreedyOptions {
  bos: number;
  eos: number;
  pad: number;
  maxLength: number;
}

/** Pads id rows to one length: [rows, maxLen] int64. */
export function padIds(rows: readonly (readonly number[])[], pad: number): HostTensor {
  const len = Math.max(1, ...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * len).fill(BigInt(pad));
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) data[i * len + j] = BigInt(r[j]!);
  });
  return { dtype: "int64", dims: [rows.length, len], data };
}

/** Greedy decoding of a batch of source id rows (each ending in EOS); returns output ids without BOS/EOS. */
export async function greedyDecode(
  sessions: Seq2SeqSessions,
  sources: readonly (readonly number[])[],
  options: GreedyOptions,
): Promise<number[][]> {
  const { model, encoder, step } = sessions;
  const c = model.config;
  const batch = sources.length;
  const src = padIds(sources, options.pad);
  const memory = (await encoder.run({ [INFER_IO.src]: src }))[INFER_IO.memory]!;
  const headDim = c.dModel / c.heads;
  const empty: HostTensor = {
    dtype: "float32",
    dims: [batch, c.heads, 0, headDim],
    data: new Float32Array(0),
  };
  let cache = model.decoderLayers.flatMap(() => [empty, empty]);
  const outputs: number[][] = sources.map(() => []);
  const done = new Array<boolean>(batch).fill(false);
  let previous = new Array<number>(batch).fill(options.bos);
  for (let t = 0; t < options.maxLength && done.includes(false); t++) {
    const feeds: Record<string, HostTensor> = {
      [INFER_IO.tgt]: padIds(
        previous.map((id) => [id]),
        options.pad,
      ),
      [INFER_IO.memory]: memory,
      [INFER_IO.src]: src,
      [INFER_IO.pastLength]: { dtype: "int64", dims: [1], data: BigInt64Array.of(BigInt(t)) },
    };
    model.decoderLayers.forEach((_, i) => {
      feeds[INFER_IO.pastKey(i)] = cache[2 * i]!;
      feeds[INFER_IO.pastValue(i)] = cache[2 * i + 1]!;
    });
    const out = await step.run(feeds);
    const logits = out[INFER_IO.logits]!.data as Float32Array; // [batch, 1, V]
    const V = c.tgtVocabSize;
    previous = previous.map((_, row) => {
      if (done[row]) return options.pad;
      let best = 0;
      for (let v = 1; v < V; v++) if (logits[row * V + v]! > logits[row * V + best]!) best = v;
      if (best === options.eos) done[row] = true;
      else outputs[row]!.push(best);
      return best;
    });
    cache = model.decoderLayers.flatMap((_, i) => [
      out[INFER_IO.presentKey(i)]!,
      out[INFER_IO.presentValue(i)]!,
    ]);
  }
  return outputs;
}
