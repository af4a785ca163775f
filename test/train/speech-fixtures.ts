// Shared by the speech-run tests: the Hugging Face Whisper fixture as a folder with a tokenizer.json written
// here (WordLevel "t0".."t79" + Whisper's special tokens at 80..95), and short tone clips with a TSV manifest.

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeWav } from "../../src/audio/wav.ts";
import { specialAddedToken } from "../../src/tokenize/special-tokens.ts";
import { FIXTURES, fixturesMissing } from "../models/hf-fixtures.ts";

export { FIXTURES, fixturesMissing };

/** The fixture's special tokens (expected.json special_tokens): eos = bos = pad = <|endoftext|>. */
const SPECIALS: Record<number, string> = {
  80: "<|endoftext|>",
  81: "<|startoftranscript|>",
  82: "<|en|>",
  83: "<|de|>",
  84: "<|translate|>",
  85: "<|transcribe|>",
  86: "<|startoflm|>",
  87: "<|startofprev|>",
  88: "<|nospeech|>",
  89: "<|notimestamps|>",
  90: "<|0.00|>",
  91: "<|0.02|>",
  92: "<|0.04|>",
  93: "<|0.06|>",
  94: "<|0.08|>",
  95: "<|0.10|>",
};

/** tokenizer.json over the fixture's 96 ids: words "t0".."t79" split on whitespace, the specials as added tokens. */
export function whisperTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (let id = 0; id < 96; id++) vocab[SPECIALS[id] ?? `t${id}`] = id;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: Object.entries(SPECIALS).map(([id, content]) => specialAddedToken(Number(id), content)),
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "<|endoftext|>" },
  };
}

/** Copies the Whisper fixture (config, generation config, weights) into `dir` and adds the tokenizer.json. */
export function buildWhisperFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const file of ["config.json", "generation_config.json", "model.safetensors"])
    copyFileSync(join(FIXTURES, "whisper", file), join(dir, file));
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(whisperTokenizerJson()));
  return dir;
}

/** Texts of the tone clips: words of the fixture tokenizer. */
export const CLIP_TEXTS = ["t5 t6", "t7", "t8 t9 t10", "t11 t12"];

/**
 * Writes one 0.25 s 16 kHz tone per text (each its own pitch; short enough for the fixture's 0.32 s window)
 * under `dir`/wav and a manifest `dir`/`name` (path relative to it, text, voice); returns the manifest path.
 */
export async function writeToneClips(dir: string, name = "clips.tsv", texts = CLIP_TEXTS): Promise<string> {
  mkdirSync(join(dir, "wav"), { recursive: true });
  const rows = ["path\ttext\tvoice"];
  for (const [i, text] of texts.entries()) {
    const samples = new Float32Array(4000);
    for (let n = 0; n < samples.length; n++)
      samples[n] = 0.3 * Math.sin((2 * Math.PI * (220 + 110 * i) * n) / 16000);
    await writeWav(join(dir, "wav", `clip${i}.wav`), samples, 16000);
    rows.push(`wav/clip${i}.wav\t${text}\ttone`);
  }
  const manifest = join(dir, name);
  writeFileSync(manifest, `${rows.join("\n")}\n`);
  return manifest;
}
