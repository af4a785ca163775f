// `seq2seq graphones`: trains a joint-sequence (graphone) n-gram G2P model on a WORD<TAB>PHONEMES file, for
// `seq2seq translate --joint-sequence` to rerank a left-to-right and right-to-left pair with. Parsing and
// printing only; src/models/joint-sequence.ts does the work.
import type { Command } from "commander";
import {
  DEFAULT_JOINT_SEQUENCE_OPTIONS,
  saveJointSequence,
  trainJointSequenceOnTsv,
} from "../models/joint-sequence.ts";

/** A whole number >= 1 from a flag, or an error naming the flag. */
function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be an integer >= 1, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command("graphones")
    .description(
      "train a joint-sequence (graphone) n-gram G2P model on a WORD<TAB>PHONEMES file, to rerank a pair's candidates (translate --joint-sequence)",
    )
    .requiredOption(
      "--tsv <file>",
      "training pronunciations, one WORD<TAB>PHONEMES line each (e.g. CMUdict's train.tsv)",
    )
    .requiredOption("--out <file>", "the model file to write (atomically), e.g. runs/g2p/joint-sequence.json")
    .option("--order <n>", "n-gram order over graphones", String(DEFAULT_JOINT_SEQUENCE_OPTIONS.order))
    .option(
      "--iterations <n>",
      "EM iterations of the alignment",
      String(DEFAULT_JOINT_SEQUENCE_OPTIONS.iterations),
    )
    .action(async (flags: { tsv: string; out: string; order: string; iterations: string }) => {
      const options = {
        order: positiveInteger("--order", flags.order),
        iterations: positiveInteger("--iterations", flags.iterations),
      };
      const start = performance.now();
      const model = await trainJointSequenceOnTsv(flags.tsv, options);
      await saveJointSequence(flags.out, model);
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      process.stdout.write(
        `${model.size.graphones} graphones over ${model.size.words} pronunciations, ${options.order}-gram, in ${seconds} s: wrote ${flags.out}\n`,
      );
    });
}
