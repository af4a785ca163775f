// Speech batches: features padded with each utterance's silence level, frame-budget batching, decoder
// inputs and targets, and seeded SpecAugment in the training feeds.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LogMel } from "../../src/audio/mel.ts";
import {
  audioFeatures,
  type FeaturedExample,
  makeSpeechBatches,
  padFeatures,
  silenceLevel,
  speechBatchFeeds,
  targetFeeds,
} from "../../src/data/speech-dataset.ts";
import { IO } from "../../src/models/seq2seq.ts";
import { trainCharTokenizer } from "../../src/tokenize/simple-tokenizers.ts";

function mel(nFrames: number, base: number): LogMel {
  return { nMels: 2, nFrames, data: Float32Array.from({ length: 2 * nFrames }, (_, i) => base + i) };
}

describe("speech batches", () => {
  test("padFeatures pads each row with its own minimum, mel bin by mel bin", () => {
    const t = padFeatures([mel(2, 10), mel(3, -1)]);
    assert.deepEqual(t.dims, [2, 2, 3]);
    assert.deepEqual(Array.from(t.data as Float32Array), [10, 11, 10, 12, 13, 10, -1, 0, 1, 2, 3, 4]);
    assert.equal(silenceLevel(mel(3, -1)), -1);
    assert.throws(() => padFeatures([mel(4, 0)], 3), /4 frames do not fit in 3/);
  });

  test("batches stay within the frame budget, hold every example once, and are seeded", () => {
    const lengths = [50, 10, 30, 20, 40, 45, 12].map((frames) => ({ frames, targets: frames / 10 }));
    const batches = makeSpeechBatches(lengths, 100, 7);
    for (const b of batches) {
      assert.ok(b.indices.length === 1 || b.indices.length * b.frames <= 100, JSON.stringify(b));
      assert.equal(b.frames, Math.max(...b.indices.map((i) => lengths[i]!.frames)));
    }
    assert.deepEqual(
      batches.flatMap((b) => b.indices).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(makeSpeechBatches(lengths, 100, 7), batches);
  });

  test("targets: tgt_in = BOS + ids, tgt_out = ids + EOS, padded with the pad id", () => {
    const feeds = targetFeeds([[5, 6], [7]], { bos: 1, eos: 2, pad: 0 });
    assert.deepEqual(feeds[IO.tgtIn]!.dims, [2, 3]);
    assert.deepEqual(Array.from(feeds[IO.tgtIn]!.data as BigInt64Array, Number), [1, 5, 6, 1, 7, 0]);
    assert.deepEqual(Array.from(feeds[IO.tgtOut]!.data as BigInt64Array, Number), [5, 6, 2, 7, 2, 0]);
  });

  test("training feeds: SpecAugment masks are seeded; tokens count the targets with EOS", () => {
    const tokenizer = trainCharTokenizer(["ab", "b"]);
    const features = audioFeatures(
      Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 7)),
      16000,
    );
    const examples: FeaturedExample[] = ["ab", "b"].map((text) => ({ audio: "", text, voice: "", features }));
    const targets = examples.map((e) => tokenizer.encode(e.text));
    const masked = { timeMasks: 2, timeWidth: 10, freqMasks: 1, freqWidth: 8 };
    const plain = speechBatchFeeds(examples, targets, [0, 1], { tokenizer });
    const a = speechBatchFeeds(examples, targets, [0, 1], { tokenizer, specAugment: masked, seed: 3 });
    const b = speechBatchFeeds(examples, targets, [0, 1], { tokenizer, specAugment: masked, seed: 3 });
    assert.equal(plain.tokens, 5);
    assert.deepEqual(plain.feeds[IO.features]!.dims, [2, 80, 50]);
    assert.deepEqual(a.feeds[IO.features]!.data, b.feeds[IO.features]!.data);
    assert.notDeepEqual(a.feeds[IO.features]!.data, plain.feeds[IO.features]!.data);
  });
});
