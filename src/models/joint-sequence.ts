// A joint-sequence (graphone) n-gram model of pronunciations (Bisani & Ney 2008): P(letters, phonemes) as an
// n-gram model over the graphones the words segment into. Here it scores the candidates of neural G2P models
// (Rao et al. 2015 combine an LSTM with such an n-gram model: 25.8% -> 21.3% WER on CMUdict).

import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { readTsv } from "../data/parallel.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { alignGraphones, GRAPHONE_SHAPES, type Pronunciation, SymbolCodes } from "./graphone-alignment.ts";
import { KN_EOS, KneserNey } from "./kneser-ney.ts";

const FORMAT = "seq2seq-ts joint-sequence model";

/** How a joint-sequence model trains. */
export interface JointSequenceOptions {
  /** The n-gram order over graphones (Bisani & Ney find 6-8 best on CMUdict). */
  order: number;
  /** EM iterations of the alignment. */
  iterations: number;
}

export const DEFAULT_JOINT_SEQUENCE_OPTIONS: JointSequenceOptions = { order: 6, iterations: 5 };

/** The file: the graphones and each training word's segmentation; the n-gram counts are rebuilt on load. */
interface JointSequenceJson {
  format: typeof FORMAT;
  order: number;
  graphones: [string[], string[]][];
  segmentations: number[][];
}

/** ln P of a pair the model cannot segment (a letter or phoneme it never saw, or 4 phonemes for a letter). */
export const UNSEGMENTABLE_LOG_PROB = -100;

/** Histories kept per lattice cell when summing over segmentations. */
const HISTORIES_PER_CELL = 64;

export class JointSequenceModel {
  private readonly lm: KneserNey;
  private readonly codes = new SymbolCodes();
  /** spanKey (SymbolCodes) of a graphone -> its id. */
  private readonly idOfSpan = new Map<number, number>();

  private constructor(
    readonly order: number,
    readonly graphones: readonly [string[], string[]][],
    private readonly segmentations: readonly number[][],
  ) {
    this.lm = new KneserNey(order, graphones.length, segmentations);
    graphones.forEach(([letters, phones], id) => {
      const key = this.codes.spanKey({ letters, phones }, 0, 0, letters.length, phones.length, true)!;
      this.idOfSpan.set(key, id);
    });
  }

  /** Aligns the words into graphones (EM) and counts the n-grams of their segmentations. */
  static train(
    words: readonly Pronunciation[],
    options: Partial<JointSequenceOptions> = {},
  ): JointSequenceModel {
    const { order, iterations } = { ...DEFAULT_JOINT_SEQUENCE_OPTIONS, ...options };
    const alignment = alignGraphones(words, iterations);
    const segmentations = alignment.segmentations.filter((s): s is number[] => s !== null);
    return new JointSequenceModel(order, alignment.graphones, segmentations);
  }

  static fromJSON(json: unknown, source = "joint-sequence model"): JointSequenceModel {
    const j = json as Partial<JointSequenceJson>;
    if (j?.format !== FORMAT || !Number.isInteger(j.order) || !Array.isArray(j.graphones))
      throw new Error(`${source}: not a ${FORMAT} (format, order, graphones, segmentations)`);
    if (!Array.isArray(j.segmentations) || j.segmentations.some((s) => s.some((id) => !j.graphones![id])))
      throw new Error(`${source}: a segmentation names a graphone the file does not list`);
    return new JointSequenceModel(j.order!, j.graphones, j.segmentations);
  }

  toJSON(): JointSequenceJson {
    const { order, graphones, segmentations } = this;
    return { format: FORMAT, order, graphones: [...graphones], segmentations: [...segmentations] };
  }

  /** The words it was trained on that segmented, and how many graphones they use. */
  get size(): { words: number; graphones: number } {
    return { words: this.segmentations.length, graphones: this.graphones.length };
  }

  /**
   * ln P(letters, phones): the sum over segmentations into known graphones of the n-gram probability,
   * keeping the most probable HISTORIES_PER_CELL n-gram histories in each cell of the letters x phonemes
   * lattice; UNSEGMENTABLE_LOG_PROB when there is no segmentation.
   */
  logProb(letters: readonly string[], phones: readonly string[]): number {
    const [I, J] = [letters.length, phones.length];
    const pair = { letters, phones };
    type Path = { history: number[]; logProb: number };
    const cells = Array.from({ length: (I + 1) * (J + 1) }, () => new Map<string, Path>());
    const cell = (i: number, j: number) => cells[i * (J + 1) + j]!;
    cell(0, 0).set("", { history: this.lm.start(), logProb: 0 });
    for (let i = 0; i < I; i++)
      for (let j = 0; j <= J; j++) {
        let paths = [...cell(i, j).values()];
        if (paths.length > HISTORIES_PER_CELL)
          paths = paths.sort((x, y) => y.logProb - x.logProb).slice(0, HISTORIES_PER_CELL);
        for (const [a, b] of GRAPHONE_SHAPES) {
          if (i + a > I || j + b > J) continue;
          const key = this.codes.spanKey(pair, i, j, a, b, false);
          const graphone = key === undefined ? undefined : this.idOfSpan.get(key);
          if (graphone === undefined) continue;
          const next = cell(i + a, j + b);
          for (const { history, logProb } of paths) {
            const extended = this.order > 1 ? [...history.slice(1), graphone] : [];
            const score = logProb + this.lm.logProb(history, graphone);
            const recombine = extended.join(",");
            const old = next.get(recombine);
            if (old) old.logProb = logSumExp(old.logProb, score);
            else next.set(recombine, { history: extended, logProb: score });
          }
        }
      }
    const ends = [...cell(I, J).values()].map((p) => p.logProb + this.lm.logProb(p.history, KN_EOS));
    return ends.length === 0 ? UNSEGMENTABLE_LOG_PROB : ends.reduce(logSumExp);
  }
}

/**
 * Trains on a WORD<TAB>PHONEMES file (CMUdict's layout; one line per pronunciation): a word's letters are its
 * characters, its phonemes the whitespace-separated symbols. A malformed line is an error naming it.
 */
export async function trainJointSequenceOnTsv(
  path: string,
  options: Partial<JointSequenceOptions> = {},
): Promise<JointSequenceModel> {
  const { examples } = await readTsv(path);
  const words = examples.map((e) => ({ letters: [...e.src], phones: e.tgt.split(/\s+/).filter(Boolean) }));
  return JointSequenceModel.train(words, options);
}

function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Writes the model to `path` atomically, creating its folder. */
export async function saveJointSequence(path: string, model: JointSequenceModel): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(model.toJSON()));
}

export function loadJointSequence(path: string): JointSequenceModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the joint-sequence model ${path}: ${(error as Error).message}`);
  }
  return JointSequenceModel.fromJSON(json, path);
}
