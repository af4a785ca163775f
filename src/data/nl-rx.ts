// The NL-RX dataset (English description -> regular expression, Locascio et al. 2016) as parallel
// pairs: `{synth,turk}/src-{split}.txt` and `targ-{split}.txt`, line-aligned, read with readParallelFiles.
import { join } from "node:path";
import { parseRegex } from "../metrics/regex/parse.ts";
import { DataFileError } from "./line-reader.ts";
import { type ParallelData, readParallelFiles } from "./parallel.ts";

/** `synth`: generated descriptions; `turk`: descriptions paraphrased by people (harder). */
export type NlRxVariant = "synth" | "turk";

export const NL_RX_VARIANTS: readonly NlRxVariant[] = ["synth", "turk"];

export interface NlRxOptions {
  /** Stop after this many pairs. */
  limit?: number;
  /** Parse every target expression and fail on the first that does not parse. Default true. */
  validate?: boolean;
}

/** The description and expression files of one variant and split (e.g. "train", "val"). */
export function nlRxPaths(root: string, variant: NlRxVariant, split: string): { src: string; tgt: string } {
  if (!(NL_RX_VARIANTS as readonly string[]).includes(variant)) {
    throw new Error(`unknown NL-RX variant "${variant}" (valid: ${NL_RX_VARIANTS.join(", ")})`);
  }
  const dir = join(root, variant);
  return { src: join(dir, `src-${split}.txt`), tgt: join(dir, `targ-${split}.txt`) };
}

/**
 * Reads one NL-RX split as pairs {src: description, tgt: expression}.
 * @param root the folder holding `synth/` and `turk/` (e.g. ../shared/data/nl-rx)
 * Errors name the file and line: missing files, misaligned files, empty or invalid lines, and (unless
 * `validate` is false) a target that is not a well-formed NL-RX expression.
 */
export async function readNlRx(
  root: string,
  variant: NlRxVariant,
  split: string,
  options: NlRxOptions = {},
): Promise<ParallelData> {
  const { src, tgt } = nlRxPaths(root, variant, split);
  const data = await readParallelFiles(src, tgt, { limit: options.limit });
  if (options.validate ?? true) {
    // No pair is filtered out here, so example i comes from line i + 1.
    data.examples.forEach((example, i) => {
      try {
        parseRegex(example.tgt);
      } catch (error) {
        throw new DataFileError(tgt, i + 1, (error as Error).message);
      }
    });
  }
  return data;
}
