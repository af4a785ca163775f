// Special tokens: the added_tokens entries our tokenizers save, and finding pad/bos/eos/unk
// in a tokenizer.json made elsewhere (by role name, e.g. "</s>" or "[SEP]", or as named by the caller).

import {
  type AddedTokenJson,
  SPECIAL_TOKEN_LIST,
  type SpecialTokenIds,
  type Tokenizer,
  type TokenizerJson,
} from "./tokenizer.ts";

export type SpecialRole = keyof SpecialTokenIds;

/** Token strings naming the special tokens of a loaded tokenizer, e.g. `{ eos: "<|endoftext|>" }`. */
export type SpecialTokenNames = Partial<Record<SpecialRole, string>>;

/** Conventional spellings of each role, tried in order when a loaded tokenizer does not name its specials. */
const CANDIDATES: Record<SpecialRole, readonly string[]> = {
  pad: ["<pad>", "[PAD]", "<|pad|>", "<|padding|>"],
  bos: ["<s>", "<bos>", "[BOS]", "[CLS]", "<|startoftext|>", "<|begin_of_text|>"],
  eos: ["</s>", "<eos>", "[EOS]", "[SEP]", "<|endoftext|>", "<|end_of_text|>"],
  unk: ["<unk>", "[UNK]", "<|unk|>"],
};

/** One special added_tokens entry, as Hugging Face writes it: matched whole anywhere, not normalized. */
export function specialAddedToken(id: number, content: string): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The added_tokens entries of our own tokenizers: <pad>, <s>, </s>, <unk> at ids 0-3, not normalized. */
export function specialAddedTokens(): AddedTokenJson[] {
  return SPECIAL_TOKEN_LIST.map((content, id) => specialAddedToken(id, content));
}

/**
 * A Hugging Face `tokenizer_config.json` for `tokenizer`: its special tokens, no clean-up of spaces when
 * decoding (so transformers.js decodes as we do), and the generic fast-tokenizer class.
 */
export function tokenizerConfigJson(tokenizer: Tokenizer): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const role of ["pad", "bos", "eos", "unk"] as const) {
    const token = tokenizer.idToToken(tokenizer.specials[role]);
    if (token !== undefined) out[`${role}_token`] = token;
  }
  out.clean_up_tokenization_spaces = false;
  out.tokenizer_class = "PreTrainedTokenizerFast";
  return out;
}

/**
 * Ids of pad/bos/eos/unk in a loaded tokenizer. `names` (from the caller or a tokenizer_config.json) win;
 * otherwise conventional spellings are tried. A missing bos or pad falls back to eos; a missing unk is -1.
 * Throws, naming `where`, when no eos can be found or a named token is not in the vocabulary.
 */
export function findSpecialIds(
  json: TokenizerJson,
  lookup: (token: string) => number | undefined,
  names: SpecialTokenNames,
  where: string,
): SpecialTokenIds {
  const found: Partial<Record<SpecialRole, number>> = {};
  for (const role of ["pad", "bos", "eos", "unk"] as const) {
    const name = names[role];
    if (name !== undefined) {
      const id = lookup(name);
      if (id === undefined) throw new Error(`${where}: the ${role} token "${name}" is not in the vocabulary`);
      found[role] = id;
      continue;
    }
    found[role] = CANDIDATES[role].map(lookup).find((id) => id !== undefined);
  }
  found.unk ??= modelUnkId(json, lookup);
  if (found.eos === undefined) {
    throw new Error(
      `${where}: no end-of-sequence token found (looked for ${CANDIDATES.eos.join(" ")}); ` +
        `name it with the specials.eos option`,
    );
  }
  return { pad: found.pad ?? found.eos, bos: found.bos ?? found.eos, eos: found.eos, unk: found.unk ?? -1 };
}

function modelUnkId(json: TokenizerJson, lookup: (token: string) => number | undefined): number | undefined {
  const { unk_token: unkToken, unk_id: unkId } = json.model;
  if (typeof unkId === "number") return unkId;
  if (typeof unkToken === "string") return lookup(unkToken);
  return undefined;
}
