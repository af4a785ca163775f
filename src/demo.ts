// `seq2seq demo`: the newcomer's first run. Trains a small Transformer on English grapheme-to-phoneme
// (CMUdict from the npm package, offline) for a few minutes, then decodes held-out words and saves the model.

import { rm } from "node:fs/promises";
import { referencesBySource } from "./data/parallel.ts";
import { builtinTask } from "./data/tasks.ts";
import { greedyDecode } from "./decode/greedy.ts";
import { Seq2SeqRunner } from "./decode/runner.ts";
import { g2pScore } from "./metrics/g2p.ts";
import { loadModelFolder, saveModelFolder } from "./models/folder.ts";
import { SPECIAL_IDS } from "./tokenize/tokenizer.ts";
import { plainObserver, type TrainingObserver } from "./train/progress.ts";
import { resolveRunConfig } from "./train/train-config.ts";
import { train } from "./train/trainer.ts";

export interface DemoOptions {
  /** Training time budget in seconds. */
  seconds: number;
  /** Where the trained model folder goes; the training run (log, checkpoints, plot) goes to `<out>-run`. */
  out: string;
  seed: number;
  /** Held-out words to decode and score. */
  evalWords: number;
  log: (line: string) => void;
  /** Training progress (default: plain lines on `log` every 50 steps). */
  observer?: TrainingObserver;
}

export interface DemoResult {
  steps: number;
  wordErrorRate: number;
  phonemeErrorRate: number;
  examples: Array<{ word: string; predicted: string; reference: string[] }>;
  modelDir: string;
  runDir: string;
}

/** The demo's run: configs/transformer-g2p.yaml's model, trained for a time budget. */
function demoConfig(o: DemoOptions) {
  const values = {
    model: {
      architecture: "transformer",
      shareEmbeddings: false,
      dModel: 128,
      heads: 4,
      ffDim: 512,
      encoderLayers: 2,
      decoderLayers: 2,
      dropout: 0.1,
      maxPositions: 64,
    },
    data: { task: "g2p", taskOptions: { seed: o.seed, validCount: 300 } },
    tokenizer: { kind: "char", targetKind: "word", joint: false, splitPunctuation: false },
    train: {
      seed: o.seed,
      maxSteps: 0,
      maxSeconds: o.seconds,
      maxTokens: 4096,
      lr: 2e-3,
      schedule: "noam",
      warmupSteps: 400,
      validEvery: 1_000_000,
      validMaxExamples: 200,
      metric: "g2p",
      keepLast: 1,
      keepBest: false,
    },
  };
  return resolveRunConfig([{ origin: "the demo", values }]);
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  o.log("data: English grapheme-to-phoneme from CMUdict (the cmu-pronouncing-dictionary npm package)");
  const runDir = `${o.out.replace(/[\\/]+$/, "")}-run`;
  await rm(runDir, { recursive: true, force: true });
  const result = await train(demoConfig(o), {
    out: runDir,
    observer: o.observer ?? plainObserver(o.log, 50),
  });
  const trained = await loadModelFolder(result.checkpoint);

  const splits = await builtinTask("g2p", { seed: o.seed, validCount: 300 });
  const references = referencesBySource(splits.test);
  const words = [...references.keys()].slice(0, o.evalWords);
  const { source, target } = trained.tokenizers;
  const { bos, eos } = SPECIAL_IDS;
  const decoder = await Seq2SeqRunner.create(trained.model, trained.weights);
  const hyps: string[] = [];
  try {
    for (let i = 0; i < words.length; i += 128) {
      const chunk = words.slice(i, i + 128);
      const ids = await greedyDecode(
        decoder,
        chunk.map((w) => [...source.encode(w), eos]),
        { bos, eos, maxLength: 40 },
      );
      hyps.push(...ids.map((row) => target.decode(row, { skipSpecial: true })));
    }
  } finally {
    await decoder.release();
  }
  const refs = words.map((w) => references.get(w)!);
  const score = g2pScore(hyps, refs);
  await saveModelFolder(o.out, trained);
  return {
    steps: result.step,
    wordErrorRate: score.wordErrorRate,
    phonemeErrorRate: score.phonemeErrorRate,
    examples: words.slice(0, 12).map((w, i) => ({ word: w, predicted: hyps[i]!, reference: refs[i]! })),
    modelDir: o.out,
    runDir,
  };
}
