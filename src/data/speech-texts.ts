// The built-in texts of the synthesized speech corpus: digit strings, numbers, dates, times and short phrases,
// always in their spoken form (lowercase words), so a transcript says exactly what the audio says.
import type { Rng } from "./rng.ts";

/** Splits a space-separated word list (keeps the lists below on few lines). */
const words = (list: string): string[] => list.split(" ");

const ONES = words(
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " +
    "seventeen eighteen nineteen",
);
const TENS = words("- - twenty thirty forty fifty sixty seventy eighty ninety");
const ORDINALS = words(
  "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth " +
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth",
);
const MONTHS = words("january february march april may june july august september october november december");
const NAMES = words(
  "anna ben carla david emma frank grace henry isabel jack laura mike nina oscar paula sam",
);
const CITIES = words("london paris berlin tokyo boston madrid dublin sydney toronto chicago denver seattle");
const ROOMS = ["kitchen", "bedroom", "living room", "bathroom", "office", "garage", "hallway"];
const THINGS = words("milk bread eggs apples coffee rice butter cheese tea oranges");

/** English words for 0 ≤ n < 10^9, without "and": 312 -> "three hundred twelve". */
export function numberToWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 1e9) throw new Error(`numberToWords: ${n} is out of range`);
  if (n < 20) return ONES[n]!;
  if (n < 100) return n % 10 === 0 ? TENS[n / 10]! : `${TENS[Math.floor(n / 10)]} ${ONES[n % 10]}`;
  for (const [size, name] of [
    [1e6, "million"],
    [1000, "thousand"],
    [100, "hundred"],
  ] as const) {
    if (n >= size) {
      const rest = n % size;
      return `${numberToWords(Math.floor(n / size))} ${name}${rest ? ` ${numberToWords(rest)}` : ""}`;
    }
  }
  throw new Error("unreachable");
}

function ordinal(n: number): string {
  if (n < 20) return ORDINALS[n]!;
  if (n % 10 === 0) return TENS[n / 10]!.replace(/y$/, "ieth");
  return `${TENS[Math.floor(n / 10)]} ${ORDINALS[n % 10]}`;
}

function year(y: number): string {
  if (y >= 2000 && y < 2010) return numberToWords(y);
  const low = y % 100;
  const tail = low === 0 ? "hundred" : low < 10 ? `oh ${ONES[low]}` : numberToWords(low);
  return `${numberToWords(Math.floor(y / 100))} ${tail}`;
}

function time(rng: Rng): string {
  const h = rng.range(1, 12);
  const m = rng.range(0, 59);
  const style = rng.int(5);
  if (style === 0) {
    return rng.pick([`half past ${ONES[h]}`, `quarter past ${ONES[h]}`, `quarter to ${ONES[h]}`]);
  }
  const clock =
    m === 0 ? `${ONES[h]} o'clock` : m < 10 ? `${ONES[h]} oh ${ONES[m]}` : `${ONES[h]} ${numberToWords(m)}`;
  return style === 1 ? `${clock} ${rng.pick(["in the morning", "in the afternoon", "at night"])}` : clock;
}

function date(rng: Rng): string {
  const month = rng.pick(MONTHS);
  const day = ordinal(rng.range(1, 28));
  const base = rng.int(2) === 0 ? `${month} ${day}` : `the ${day} of ${month}`;
  return rng.int(2) === 0 ? `${base} ${year(rng.range(1900, 2099))}` : base;
}

function digits(rng: Rng, min: number, max: number): string {
  return Array.from({ length: rng.range(min, max) }, () => ONES[rng.int(10)]).join(" ");
}

function number(rng: Rng): string {
  return numberToWords(rng.int(10 ** rng.range(1, 6)));
}

function phrase(rng: Rng): string {
  const templates: (() => string)[] = [
    () => `set an alarm for ${time(rng)}`,
    () => `call ${rng.pick(NAMES)} at ${digits(rng, 3, 7)}`,
    () => `turn ${rng.pick(["on", "off"])} the ${rng.pick(ROOMS)} lights`,
    () => `what is the weather in ${rng.pick(CITIES)}`,
    () => `add ${rng.pick(THINGS)} to my shopping list`,
    () => `meet ${rng.pick(NAMES)} in ${rng.pick(CITIES)} on ${date(rng)}`,
    () => `it costs ${number(rng)} dollars`,
    () => `the code is ${digits(rng, 4, 6)}`,
    () => `remind me at ${time(rng)} to buy ${rng.pick(THINGS)}`,
  ];
  return rng.pick(templates)();
}

/** One built-in text: a digit string, a number, a date, a time or a short phrase, in lowercase words. */
export function generateText(rng: Rng): string {
  return rng.pick([() => digits(rng, 3, 10), () => number(rng), date, time, phrase])(rng);
}
