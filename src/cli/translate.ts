// `seq2seq translate`: decodes stdin or a file with a model folder (ours or a local Hugging Face one; several
// folders: their ensemble), one output per input line in order (an empty line stays empty). Parsing and printing;
// src/decode/translate.ts decodes.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { TextTask } from "../data/text-task.ts";
import { writeAttentionPlot } from "../decode/attention-plot.ts";
import type { EarlyStopping } from "../decode/search.ts";
import {
  InputFormatError,
  loadTranslator,
  SourceTooLongError,
  type TranslateOptions,
  type Translation,
  type Translator,
} from "../decode/translate.ts";
import { DEFAULT_RELATIVE_MAX_LENGTH } from "../decode/translate-options.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { loadJointSequence } from "../models/joint-sequence.ts";

interface TranslateFlags {
  /** One folder, or several (--model repeated): an ensemble. */
  model: string[];
  input?: string;
  output?: string;
  beam?: string;
  nbest?: string;
  lengthPenalty?: string;
  lengthPenaltyForm?: string;
  /** Set only by --early-stopping [never] / --no-early-stopping (else the model's default). */
  earlyStopping?: boolean | string;
  sample?: boolean;
  topK?: string;
  topP?: string;
  temperature?: string;
  seed?: string;
  maxLength?: string;
  maxLengthRatio?: string;
  maxLengthOffset?: string;
  minLength?: string;
  /** `--no-repeat-ngram <n>`: commander reads the `--no-` prefix as a negation, so the value lands here. */
  repeatNgram?: string | boolean;
  forcedFirstToken?: string;
  suppressToken?: string[];
  batchSize?: string;
  json?: boolean;
  attentionPlot?: string;
  /** Task prefix instead of the model's (text-task.json); "" for none. */
  prefix?: string;
  /** A multi-task model's task (its prefix and template). */
  task?: string;
  /** A joint-sequence G2P model (seq2seq graphones) that joins a bidirectional pair in reranking. */
  jointSequence?: string;
  jointSequenceWeight: string;
}

/** The --joint-sequence model and its weight, or undefined without the flag. */
function rerankOf(flags: TranslateFlags) {
  if (flags.jointSequence === undefined) return undefined;
  const weight = Number(flags.jointSequenceWeight);
  if (!(weight >= 0))
    throw new Error(`--joint-sequence-weight must be a number >= 0, got "${flags.jointSequenceWeight}"`);
  return { jointSequence: loadJointSequence(flags.jointSequence), weight };
}

/** --early-stopping: true, false (--no-early-stopping) or "never"; any other word is an error. */
function earlyStopping(value: boolean | string | undefined): EarlyStopping | undefined {
  if (value === undefined || typeof value === "boolean" || value === "never") return value;
  throw new Error(`--early-stopping takes no value or "never", got "${value}"`);
}

/** Input lines are translated this many at a time, so output starts before a long input is read through. */
const CHUNK_LINES = 512;

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

function number(
  value: string | undefined,
  flag: string,
  ok: (x: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !ok(n)) throw new Error(`${flag} must be ${what}, got "${value}"`);
  return n;
}

/**
 * Flags -> library options, every range checked here so errors name the flag. Only the flags given become
 * options: the rest stay undefined, so a Hugging Face folder's generation config supplies them.
 */
function toOptions(flags: TranslateFlags): TranslateOptions {
  if (flags.sample && flags.beam !== undefined && flags.beam !== "1")
    throw new Error(`--sample draws one path per sample and cannot be combined with --beam ${flags.beam}`);
  const beam = integer(flags.beam, "--beam", 1);
  const nbest = integer(flags.nbest, "--nbest", 1);
  if (!flags.sample && nbest !== undefined && nbest > (beam ?? 5))
    throw new Error(`--nbest ${nbest} is more than the beam size ${beam ?? 5}; raise --beam`);
  const form = flags.lengthPenaltyForm;
  if (form !== undefined && form !== "gnmt" && form !== "power")
    throw new Error(`--length-penalty-form must be gnmt or power, got "${form}"`);
  const alpha = number(flags.lengthPenalty, "--length-penalty", Number.isFinite, "a number");
  const ratio = number(flags.maxLengthRatio, "--max-length-ratio", (x) => x >= 0, "a number ≥ 0");
  const offset = number(flags.maxLengthOffset, "--max-length-offset", (x) => x >= 0, "a number ≥ 0");
  const maxLength = integer(flags.maxLength, "--max-length", 1);
  const minLength = integer(flags.minLength, "--min-length", 0);
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength)
    throw new Error(`--min-length ${minLength} is more than --max-length ${maxLength}`);
  const repeat = typeof flags.repeatNgram === "string" ? flags.repeatNgram : undefined;
  return {
    beam,
    nbest,
    lengthPenalty: form === undefined && alpha === undefined ? undefined : { form, alpha },
    earlyStopping: earlyStopping(flags.earlyStopping),
    sample: flags.sample,
    topK: integer(flags.topK, "--top-k", 1),
    topP: number(flags.topP, "--top-p", (x) => x > 0 && x <= 1, "a number in (0, 1]"),
    temperature: number(
      flags.temperature,
      "--temperature",
      (x) => x > 0 && Number.isFinite(x),
      "a number > 0",
    ),
    seed: integer(flags.seed, "--seed", 0),
    maxLength,
    relativeMaxLength:
      ratio === undefined && offset === undefined
        ? undefined
        : {
            offset: offset ?? DEFAULT_RELATIVE_MAX_LENGTH.offset,
            ratio: ratio ?? DEFAULT_RELATIVE_MAX_LENGTH.ratio,
          },
    minLength,
    noRepeatNgram: integer(repeat, "--no-repeat-ngram", 0),
    batchSize: integer(flags.batchSize, "--batch-size", 1),
  };
}

/** --nbest without --beam is checked against the model's default beam size (a Hugging Face folder's num_beams). */
function checkNbest(options: TranslateOptions, translator: Translator): void {
  const { beam, nbest, sample } = options;
  const defaultBeam = translator.defaults.beam;
  if (!sample && beam === undefined && nbest !== undefined && nbest > defaultBeam)
    throw new Error(`--nbest ${nbest} is more than the beam size ${defaultBeam}; raise --beam`);
}

/** Target-vocabulary ids of the token flags; an unknown token is an error naming it. */
function tokenOptions(flags: TranslateFlags, translator: Translator): TranslateOptions {
  const target = translator.loaded.tokenizers.target;
  const id = (token: string, flag: string) => {
    const found = target.tokenToId(token);
    if (found === undefined) throw new Error(`${flag}: "${token}" is not in the model's target vocabulary`);
    return found;
  };
  return {
    forcedFirstToken:
      flags.forcedFirstToken === undefined ? undefined : id(flags.forcedFirstToken, "--forced-first-token"),
    suppressTokens: flags.suppressToken?.map((t) => id(t, "--suppress-token")),
  };
}

function splitLines(text: string): string[] {
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function readInput(file: string): string[] {
  try {
    return splitLines(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new Error(`cannot read input file "${file}": ${reason}`);
  }
}

async function readStdin(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return splitLines(Buffer.concat(chunks).toString("utf8"));
}

const formatScore = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** The output lines of one translation (index: its 0-based input line). */
function format(t: Translation, index: number, flags: TranslateFlags, nbest: number): string[] {
  if (flags.json) {
    const translations = t.hypotheses.map((h) => ({
      text: h.text,
      score: h.score,
      logProb: h.logProb,
      ids: h.ids,
      tokenLogProbs: h.tokenLogProbs,
    }));
    // An empty line is not decoded: it has no source tokens.
    const input = t.hypotheses.length > 0 ? { sourceTokens: t.sourceTokens } : {};
    return [JSON.stringify({ source: t.source, ...input, text: t.text, translations })];
  }
  if (nbest === 1) return [t.text];
  const hyps = t.hypotheses.length > 0 ? t.hypotheses : [{ score: 0, text: "" }];
  return hyps.map((h) => `${index}\t${formatScore(h.score)}\t${h.text}`);
}

/** Translates lines in chunks, writing each chunk's output with `emit`; returns the first input's translation. */
async function translateLines(
  translator: Translator,
  lines: readonly string[],
  options: TranslateOptions & { textTask: TextTask },
  emit: (lines: string[]) => void,
  flags: TranslateFlags,
  firstIndex = 0,
): Promise<Translation | undefined> {
  let first: Translation | undefined;
  for (let start = 0; start < lines.length; start += CHUNK_LINES) {
    let results: Translation[];
    try {
      results = await translator.translate(
        lines.slice(start, start + CHUNK_LINES),
        options,
        options.textTask,
      );
    } catch (error) {
      if (error instanceof SourceTooLongError || error instanceof InputFormatError)
        throw new Error(
          `line ${firstIndex + start + error.index + 1}: ${error.message.replace(/^input \d+:? /, "")}`,
        );
      throw error;
    }
    first ??= results.find((t) => t.hypotheses.length > 0);
    emit(results.flatMap((t, i) => format(t, firstIndex + start + i, flags, options.nbest ?? 1)));
  }
  return first;
}

/** Interactive mode (stdin is a terminal): a prompt per line, each translated as soon as it is typed. */
async function interactive(
  translator: Translator,
  options: TranslateOptions & { textTask: TextTask },
  flags: TranslateFlags,
  emit: (lines: string[]) => void,
): Promise<Translation | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: "> " });
  let first: Translation | undefined;
  let index = 0;
  rl.prompt();
  for await (const line of rl) {
    const translation = await translateLines(translator, [line], options, emit, flags, index);
    first ??= translation;
    index += 1;
    rl.prompt();
  }
  return first;
}

async function runTranslate(flags: TranslateFlags): Promise<void> {
  const searchOptions = toOptions(flags);
  const translator = await loadTranslator(flags.model, {}, rerankOf(flags));
  try {
    for (const warning of translator.scheme.warnings) process.stderr.write(`seq2seq: warning: ${warning}\n`);
    checkNbest(searchOptions, translator);
    const options = {
      ...searchOptions,
      ...tokenOptions(flags, translator),
      textTask: translator.textTaskFor({ prefix: flags.prefix, task: flags.task }),
    };
    const collected: string[] = [];
    const emit = (lines: string[]) => {
      if (flags.output) collected.push(...lines);
      else if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
    };
    const first =
      flags.input === undefined && process.stdin.isTTY
        ? await interactive(translator, options, flags, emit)
        : await translateLines(
            translator,
            flags.input === undefined ? await readStdin() : readInput(flags.input),
            options,
            emit,
            flags,
          );
    if (flags.output) await writeFileAtomic(flags.output, collected.map((line) => `${line}\n`).join(""));
    if (flags.attentionPlot) {
      if (!first) throw new Error("--attention-plot: every input line was empty, nothing to plot");
      const best = first.hypotheses[0]!;
      await writeAttentionPlot(flags.attentionPlot, {
        sourceTokens: first.sourceTokens,
        outputTokens: best.tokens,
        attention: best.attention,
        title: `attention: ${first.source.length > 60 ? `${first.source.slice(0, 59)}…` : first.source}`,
      });
    }
  } finally {
    await translator.release();
  }
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Registers `seq2seq translate` on the program. */
export function register(program: Command): void {
  program
    .command("translate")
    .description(
      "decode text with a model folder: one output per input line, in order (empty lines stay empty)",
    )
    .requiredOption(
      "--model <dir>",
      "model folder: ours, or a local Hugging Face folder (config.json, model.safetensors, tokenizer.json); " +
        "repeat it to decode an ensemble (the mean of the models' probabilities; same tokenizers, text task, maxPositions); " +
        "right-to-left models (data.reverseTarget) among left-to-right ones rerank both directions' candidates",
      collect,
    )
    .option("--input <file>", "input text, one sentence per line (default: stdin; a prompt when a terminal)")
    .option("--output <file>", "write the outputs here (atomically) instead of stdout")
    .option("--beam <n>", "beam size (default 5, a Hugging Face folder's num_beams; 1 = greedy)")
    .option("--nbest <n>", "hypotheses per input: `index<TAB>score<TAB>text` lines (or with --json a list)")
    .option("--length-penalty <alpha>", "beam length penalty α (default 0.6; 0: raw log-probability)")
    .option("--length-penalty-form <form>", "gnmt: ((5+len)/6)^α (default), power: len^α (Hugging Face)")
    .option(
      "--early-stopping [never]",
      "stop a sentence at beam finished hypotheses; `never`: only when no live beam can beat them at any length",
    )
    .option(
      "--no-early-stopping",
      "stop when the best candidate, at its length, cannot beat the finished ones (default; Hugging Face: false)",
    )
    .option("--sample", "sample instead of beam search (with --nbest n: n samples)")
    .option("--top-k <k>", "sample from the k most probable tokens")
    .option("--top-p <p>", "sample from the smallest set of tokens with probability ≥ p")
    .option("--temperature <t>", "sampling temperature (> 0)")
    .option("--seed <n>", "sampling seed")
    .option("--max-length <n>", "most output tokens before EOS (default 256, or the generation config's)")
    .option("--max-length-ratio <b>", "cap outputs at offset + b·srcLen tokens (default 2)")
    .option("--max-length-offset <a>", "the offset a of that cap (default 10)")
    .option("--min-length <n>", "fewest output tokens before EOS")
    .option("--no-repeat-ngram <n>", "never repeat an n-gram of this size")
    .option("--forced-first-token <token>", "force the first output token (a target-language tag)")
    .option("--suppress-token <token>", "never output this token (repeatable)", collect)
    .option("--batch-size <n>", "sentences decoded together (default 32)")
    .option("--json", "one JSON object per input line with scores, ids and the n-best list")
    .option("--attention-plot <file>", "draw the first input's attention heat map (.svg, or .png)")
    .option(
      "--task <name>",
      "a multi-task model's task: its prefix (and field template) go before each input",
    )
    .option("--prefix <text>", 'put this before each input instead of the model\'s task prefix ("" for none)')
    .option(
      "--joint-sequence <file>",
      "G2P: a joint-sequence model (seq2seq graphones) that reranks with a left-to-right and a right-to-left --model",
    )
    .option("--joint-sequence-weight <w>", "its weight against the two models' log-probabilities", "0.5")
    .action((flags: TranslateFlags) => runTranslate(flags));
}
