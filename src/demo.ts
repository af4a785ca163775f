// `seq2seq demo`: the newcomer's first run. Trains a small Transformer on English grapheme-to-phoneme
// (CMUdict from the npm package, offline) for a few minutes, then decodes held-out words and saves the model.

import { makeBatches, padBatch } from "./data/batching.ts";
import { referencesBySource } from "./data/parallel.ts";
import { builtinTask } from "./data/tasks.ts";
import { greedyDecode } from "./decode/greedy.ts";
import { Seq2SeqRunner } from "./decode/runner.ts";
import { int64 } from "./graph/tensor.ts";
import { g2pScore } from "./metrics/g2p.ts";
import { saveModelFolder } from "./models/folder.ts";
import { TRANSFORMER_DEFAULTS, Transformer, type TransformerConfig } from "./models/transformer.ts";
import { trainCharTokenizer, trainWordTokenizer } from "./tokenize/index.ts";
import { SPECIAL_IDS } from "./tokenize/tokenizer.ts";
import { noamLr } from "./train/schedules.ts";
import { buildTrainingStep, flatLayout } from "./train/step-graph.ts";
import { initialFlatParams, TrainingStepRunner, unflatten } from "./train/step-runner.ts";

export interface DemoOptions {
  /** Training time budget in seconds. */
  seconds: number;
  /** Where the trained model folder goes. */
  out: string;
  seed: number;
  /** Held-out words to decode and score. */
  evalWords: number;
  log: (line: string) => void;
}

export interface DemoResult {
  steps: number;
  wordErrorRate: number;
  phonemeErrorRate: number;
  examples: Array<{ word: string; predicted: string; reference: string[] }>;
  modelDir: string;
}

const DEMO_MODEL: Partial<TransformerConfig> = {
  shareEmbeddings: false,
  dModel: 128,
  heads: 4,
  ffDim: 512,
  encoderLayers: 2,
  decoderLayers: 2,
  dropout: 0.1,
  maxPositions: 64,
};

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  o.log("data: English grapheme-to-phoneme from CMUdict (the cmu-pronouncing-dictionary npm package)");
  const splits = await builtinTask("g2p", { seed: o.seed });
  const source = trainCharTokenizer(splits.train.map((e) => e.src));
  const target = trainWordTokenizer(
    splits.train.map((e) => e.tgt),
    { splitPunctuation: false },
  );
  const { eos, bos, pad } = SPECIAL_IDS;
  const examples = splits.train.map((e) => ({
    src: [...source.encode(e.src), eos],
    tgt: [...target.encode(e.tgt), eos],
  }));
  o.log(`${splits.train.length} training pairs, ${source.vocabSize} letters, ${target.vocabSize} phonemes`);

  const config: TransformerConfig = {
    ...TRANSFORMER_DEFAULTS,
    ...DEMO_MODEL,
    srcVocabSize: source.vocabSize,
    tgtVocabSize: target.vocabSize,
  };
  const model = new Transformer(config);
  const layout = flatLayout(model.parameters());
  const graph = buildTrainingStep(layout, model.trainingLoss({ labelSmoothing: 0.1 }), undefined, {
    seed: o.seed,
  });
  const runner = await TrainingStepRunner.create(
    graph,
    layout,
    initialFlatParams(layout, model.parameters(), o.seed),
  );
  o.log(
    `model: Transformer ${config.encoderLayers}+${config.decoderLayers} layers, d_model ${config.dModel}, ${layout.total.toLocaleString("en")} parameters`,
  );

  const start = Date.now();
  let step = 0;
  let tokens = 0;
  for (let epoch = 0; (Date.now() - start) / 1000 < o.seconds; epoch++) {
    const plan = makeBatches(examples, { maxTokens: 4096, seed: o.seed, epoch, extraTokens: 1 });
    for (const batch of plan.batches) {
      const elapsed = (Date.now() - start) / 1000;
      if (elapsed >= o.seconds) break;
      const rows = batch.indices.map((i) => examples[i]!);
      const src = padBatch(
        rows.map((r) => r.src),
        pad,
        { dtype: "int64" },
      );
      const tgtIn = padBatch(
        rows.map((r) => [bos, ...r.tgt.slice(0, -1)]),
        pad,
        { dtype: "int64" },
      );
      const tgtOut = padBatch(
        rows.map((r) => r.tgt),
        pad,
        { dtype: "int64" },
      );
      const lr = noamLr(step + 1, 2e-3, { warmupSteps: 400, form: "relative", dModel: config.dModel });
      const r = await runner.run(
        {
          src_ids: { dtype: "int64", dims: src.dims, data: src.data },
          tgt_in: { dtype: "int64", dims: tgtIn.dims, data: tgtIn.data },
          tgt_out: { dtype: "int64", dims: tgtOut.dims, data: tgtOut.data },
        },
        lr,
      );
      step += 1;
      tokens += (r.outputs["tokens"]!.data as Float32Array)[0]!;
      if (step % 50 === 0) {
        const rate = tokens / elapsed;
        o.log(
          `step ${step}  epoch ${epoch + 1}  loss ${r.loss.toFixed(3)}  ${rate.toFixed(0)} tok/s  ${elapsed.toFixed(0)}/${o.seconds} s`,
        );
      }
    }
  }

  const weights = unflatten(layout, runner.params);
  await runner.release();
  const decoder = await Seq2SeqRunner.create(model, weights);
  const references = referencesBySource(splits.test);
  const words = [...references.keys()].slice(0, o.evalWords);
  const hyps: string[] = [];
  for (let i = 0; i < words.length; i += 128) {
    const chunk = words.slice(i, i + 128);
    const ids = await greedyDecode(
      decoder,
      chunk.map((w) => [...source.encode(w), eos]),
      { bos, eos, maxLength: 40 },
    );
    hyps.push(...ids.map((row) => target.decode(row, { skipSpecial: true })));
  }
  await decoder.release();
  const refs = words.map((w) => references.get(w)!);
  const score = g2pScore(hyps, refs);

  const modelDir = o.out;
  await saveModelFolder(modelDir, {
    config: { architecture: model.architecture, ...config },
    model,
    weights,
    tokenizers: { source, target, joint: false },
  });
  return {
    steps: step,
    wordErrorRate: score.wordErrorRate,
    phonemeErrorRate: score.phonemeErrorRate,
    examples: words.slice(0, 12).map((w, i) => ({ word: w, predicted: hyps[i]!, reference: refs[i]! })),
    modelDir,
  };
}
