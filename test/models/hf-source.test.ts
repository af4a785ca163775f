// Source special tokens from a tokenizer.json post-processor (TemplateProcessing, RobertaProcessing), and
// a folder loaded with its tokenizer as a LoadedModel for training.

import assert from "node:assert/strict";
import { test } from "node:test";
import { hfSourceIds, sourceWrapping } from "../../src/models/hf-source.ts";
import { trainCharTokenizer } from "../../src/tokenize/index.ts";
import { tokenizerFromJson } from "../../src/tokenize/load-tokenizer.ts";

const base = trainCharTokenizer(["abc"]);
const { pad, bos, eos } = base.specials;

function withProcessor(post_processor: Record<string, unknown>) {
  return tokenizerFromJson({ ...base.toJSON(), post_processor });
}

test("TemplateProcessing: tokens before and after $A (NLLB-style language code first)", () => {
  const t = withProcessor({
    type: "TemplateProcessing",
    single: [
      { SpecialToken: { id: "<pad>", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "</s>", type_id: 0 } },
    ],
    pair: [],
    special_tokens: {
      "<pad>": { id: "<pad>", ids: [pad], tokens: ["<pad>"] },
      "</s>": { id: "</s>", ids: [eos], tokens: ["</s>"] },
    },
  });
  assert.deepEqual(sourceWrapping(t), { prefix: [pad], suffix: [eos] });
  assert.deepEqual(hfSourceIds(t, "ab"), [pad, ...base.encode("ab"), eos]);
});

test("RobertaProcessing (BART): <s> x </s>; no post-processor: nothing added", () => {
  const t = withProcessor({
    type: "RobertaProcessing",
    cls: ["<s>", bos],
    sep: ["</s>", eos],
    trim_offsets: true,
    add_prefix_space: false,
  });
  assert.deepEqual(hfSourceIds(t, "c"), [bos, ...base.encode("c"), eos]);
  assert.deepEqual(hfSourceIds(base, "c"), base.encode("c"));
});
