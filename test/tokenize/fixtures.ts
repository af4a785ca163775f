// Shared test material for the tokenizer tests: a small German/English corpus and probe sentences
// with umlauts, punctuation and digits.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as RustTokenizer } from "tokenizers";
import { specialAddedToken } from "../../src/tokenize/special-tokens.ts";
import type { AddedTokenJson, TokenizerJson } from "../../src/tokenize/tokenizer.ts";

/** Training sentences (NFC), German and English. */
export const CORPUS: readonly string[] = [
  "Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
  "Ein Boston Terrier läuft über saftig-grünes Gras vor einem weißen Zaun.",
  "Ein Mädchen in einem Karateanzug bricht einen Stock mit einem Tritt.",
  "Fünf Leute in Winterjacken und mit Helmen stehen im Schnee mit Schneemobilen im Hintergrund.",
  "Leute Reparieren das Dach eines Hauses.",
  "Ein hell gekleideter Mann fotografiert eine Gruppe von Männern in dunklen Anzügen und mit Hüten.",
  "Eine Gruppe von Menschen steht vor einem Iglu.",
  "Ein Junge in einem roten Trikot versucht, die Home Base zu erreichen.",
  "Zwei Männer stehen am Herd und bereiten Essen zu.",
  "Ein Hund läuft im Schnee, 3 Kinder spielen daneben.",
  "Große Straßen, schöne Türen und über 200 Häuser!",
  "Die Öffnungszeiten sind 9:30 bis 18:00 Uhr; am Samstag geschlossen.",
  "A man in an orange hat starring at something.",
  "A Boston Terrier is running on lush green grass in front of a white fence.",
  "A girl in karate uniform breaking a stick with a front kick.",
  "Five people wearing winter jackets and helmets stand in the snow, with snowmobiles in the background.",
  "People are fixing the roof of a house.",
  "A man in light colored clothing photographs a group of men wearing dark suits and hats.",
  "A group of people standing in front of an igloo.",
  "A boy in a red uniform is attempting to avoid getting out at home plate.",
  "Two men are standing at the stove preparing food.",
  "A dog runs in the snow while 3 children play nearby.",
  "Big streets, nice doors and over 200 houses!",
  "Opening hours are 9:30 to 18:00; closed on Saturday.",
];

/** Probe sentences: umlauts, ß, punctuation, digits, unseen characters, spacing, literal special tokens. */
export const PROBES: readonly string[] = [
  "Ein Mann läuft über die Straße.",
  "Grüße aus Köln: 12.345 Äpfel, 3,5 kg Öl — für 9,99 €!",
  "Two dogs (a puppy & an old one) run 100m in 12.5 seconds?",
  "„Schön“, sagte sie; 'naïve' café.",
  "Zwei  Leerzeichen und\tTab",
  "ÄÖÜ äöü ß 0123456789",
  "x<s>y</s> <unk> <pad>",
  "emoji 😀 and 中文",
  "",
];

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "seq2seq-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Ids and decodings of `texts` by the Rust `tokenizers` binding itself (the reference for our encode). */
export async function rustReference(
  json: TokenizerJson,
  texts: readonly string[],
): Promise<{ ids: number[][]; decoded: string[] }> {
  const rust = RustTokenizer.fromString(JSON.stringify(json));
  const ids: number[][] = [];
  const decoded: string[] = [];
  for (const text of texts) {
    const encoding = await rust.encode(text, null, { addSpecialTokens: false });
    ids.push(encoding.getIds());
    decoded.push(await rust.decode(encoding.getIds(), true));
  }
  return { ids, decoded };
}

const BERT_WORDS = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "the",
  "dog",
  "run",
  "##s",
  "##ning",
  "un",
  "##happy",
  ".",
  "!",
];
const BERT_VOCAB = Object.fromEntries(BERT_WORDS.map((w, i) => [w, i]));

function added(content: string, id: number): AddedTokenJson {
  return specialAddedToken(id, content);
}

/** A BERT-style tokenizer.json (WordPiece, [CLS]/[SEP] specials) as found in Hugging Face model folders. */
export function bertJson(): TokenizerJson {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(added),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: null,
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 8,
      vocab: BERT_VOCAB,
    },
  };
}
