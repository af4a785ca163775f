// The special tokens a Hugging Face tokenizer.json's post-processor wraps a source in (BART's <s> x </s>,
// T5's and Marian's x </s>, NLLB's lang x </s>): our tokenizers' encode() leaves them out, the model needs them.

import type { Tokenizer } from "../tokenize/tokenizer.ts";

type Piece = { Sequence: { id: string } } | { SpecialToken: { id: string } };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Ids before and after the text for a single sequence, from one post-processor component. */
function wrapOf(
  component: Record<string, unknown>,
  where: string,
): { prefix: number[]; suffix: number[] } | undefined {
  const type = component.type;
  if (type === "RobertaProcessing" || type === "BertProcessing") {
    const cls = component.cls as [string, number] | undefined;
    const sep = component.sep as [string, number] | undefined;
    if (!cls || !sep) throw new Error(`${where}: ${type} without cls/sep`);
    return { prefix: [cls[1]], suffix: [sep[1]] };
  }
  if (type !== "TemplateProcessing") return undefined;
  const single = component.single as Piece[] | undefined;
  const specials = (component.special_tokens ?? {}) as Record<string, { ids: number[] }>;
  if (!Array.isArray(single)) throw new Error(`${where}: TemplateProcessing without a "single" template`);
  const prefix: number[] = [];
  const suffix: number[] = [];
  let seen = false;
  for (const piece of single) {
    if ("Sequence" in piece) {
      seen = true;
      continue;
    }
    const ids = specials[piece.SpecialToken.id]?.ids;
    if (!ids) throw new Error(`${where}: template token "${piece.SpecialToken.id}" is not in special_tokens`);
    (seen ? suffix : prefix).push(...ids);
  }
  return { prefix, suffix };
}

/**
 * The ids the tokenizer's post-processor puts around a single text (TemplateProcessing, RobertaProcessing,
 * BertProcessing, or a Sequence holding one of them); no post-processor: nothing around it.
 */
export function sourceWrapping(
  tokenizer: Tokenizer,
  where = "tokenizer.json",
): { prefix: number[]; suffix: number[] } {
  const processor = tokenizer.toJSON().post_processor;
  if (!processor) return { prefix: [], suffix: [] };
  const components =
    processor.type === "Sequence" && Array.isArray(processor.processors) ? processor.processors : [processor];
  for (const component of components) {
    if (!isObject(component)) continue;
    const wrap = wrapOf(component, where);
    if (wrap) return wrap;
  }
  return { prefix: [], suffix: [] };
}

/** Source ids of `text` as the Hugging Face tokenizer would give them (special tokens included). */
export function hfSourceIds(tokenizer: Tokenizer, text: string): number[] {
  const { prefix, suffix } = sourceWrapping(tokenizer);
  return [...prefix, ...tokenizer.encode(text), ...suffix];
}
