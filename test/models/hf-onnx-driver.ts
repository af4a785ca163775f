// Drives an exported onnx/ folder the way transformers.js does (encoder once; merged decoder with empty
// pasts and use_cache_branch=false first, then its present.* outputs fed back with use_cache_branch=true).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bool, type HostTensor, int64 } from "../../src/graph/tensor.ts";
import { HF_ONNX } from "../../src/models/hf-onnx.ts";
import { OrtSession } from "../../src/runtime/ort.ts";

export interface OnnxFolder {
  encoder: OrtSession;
  decoder: OrtSession;
  layers: number;
  heads: number;
  headDim: number;
  release(): Promise<void>;
}

export async function openOnnxFolder(
  dir: string,
  layers: number,
  heads: number,
  headDim: number,
): Promise<OnnxFolder> {
  const encoder = await OrtSession.create(readFileSync(join(dir, HF_ONNX.encoderFile)));
  const decoder = await OrtSession.create(readFileSync(join(dir, HF_ONNX.decoderFile)));
  return {
    encoder,
    decoder,
    layers,
    heads,
    headDim,
    release: async () => {
      await encoder.release();
      await decoder.release();
    },
  };
}

/** Teacher-forced logits of all decoder inputs in one call (no cache): [rows, t, V]. */
export async function onnxLogits(
  f: OnnxFolder,
  src: number[][],
  mask: number[][],
  tgt: number[][],
): Promise<HostTensor> {
  const ids = int64(src.flat(), [src.length, src[0]!.length]);
  const attention = int64(mask.flat(), [mask.length, mask[0]!.length]);
  const hidden = (await f.encoder.run({ [HF_ONNX.inputIds]: ids, [HF_ONNX.attentionMask]: attention }))[
    HF_ONNX.lastHiddenState
  ]!;
  const feeds: Record<string, HostTensor> = {
    [HF_ONNX.encoderAttentionMask]: attention,
    [HF_ONNX.inputIds]: int64(tgt.flat(), [tgt.length, tgt[0]!.length]),
    [HF_ONNX.encoderHiddenStates]: hidden,
    [HF_ONNX.useCacheBranch]: bool([0], [1]),
    ...emptyPasts(f, src.length),
  };
  return (await f.decoder.run(feeds))[HF_ONNX.logits]!;
}

function emptyPasts(f: OnnxFolder, rows: number): Record<string, HostTensor> {
  const empty: HostTensor = {
    dtype: "float32",
    dims: [rows, f.heads, 0, f.headDim],
    data: new Float32Array(0),
  };
  const feeds: Record<string, HostTensor> = {};
  for (let i = 0; i < f.layers; i++)
    for (const side of ["decoder", "encoder"] as const)
      for (const kind of ["key", "value"] as const) feeds[HF_ONNX.past(i, side, kind)] = empty;
  return feeds;
}

/**
 * Decodes with the cache as transformers.js runs it: `next(logits [rows * V], step)` returns each row's
 * next input token (`forced[step]` rows when teacher forcing). Returns every step's logits.
 */
export async function onnxStepwise(
  f: OnnxFolder,
  src: number[][],
  mask: number[][],
  start: number,
  steps: number,
  next: (logits: Float32Array, step: number) => number[],
): Promise<Float32Array[]> {
  const rows = src.length;
  const attention = int64(mask.flat(), [rows, mask[0]!.length]);
  const ids = int64(src.flat(), [rows, src[0]!.length]);
  const encoded = await f.encoder.run({ [HF_ONNX.inputIds]: ids, [HF_ONNX.attentionMask]: attention });
  const hidden = encoded[HF_ONNX.lastHiddenState]!;
  let tokens = src.map(() => start);
  let pasts = emptyPasts(f, rows);
  const all: Float32Array[] = [];
  for (let step = 0; step < steps; step++) {
    const result = await f.decoder.run({
      [HF_ONNX.encoderAttentionMask]: attention,
      [HF_ONNX.inputIds]: int64(tokens, [rows, 1]),
      [HF_ONNX.encoderHiddenStates]: hidden,
      [HF_ONNX.useCacheBranch]: bool([step > 0 ? 1 : 0], [1]),
      ...pasts,
    });
    const logits = result[HF_ONNX.logits]!.data as Float32Array;
    all.push(logits);
    tokens = next(logits, step);
    const fedBack: Record<string, HostTensor> = {};
    for (const [name, value] of Object.entries(pasts)) {
      // transformers.js keeps the encoder keys/values of the first step.
      fedBack[name] =
        step > 0 && name.includes("encoder") ? value : result[name.replace("past_key_values", "present")]!;
    }
    pasts = fedBack;
  }
  return all;
}

/** Greedy decoding (no logits processors) through onnxStepwise: ids per row, start token included. */
export async function onnxGreedy(
  f: OnnxFolder,
  src: number[][],
  mask: number[][],
  start: number,
  steps: number,
) {
  const out = src.map(() => [start]);
  await onnxStepwise(f, src, mask, start, steps, (logits) => {
    const vocab = logits.length / src.length;
    return out.map((row, r) => {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits[r * vocab + v]! > logits[r * vocab + best]!) best = v;
      row.push(best);
      return best;
    });
  });
  return out;
}
