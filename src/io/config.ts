// Strict, typed configuration: each component's defaults are the schema; JSON/YAML files and dotted CLI
// overrides (`--train.lr 3e-4`) merge into them, and any unknown key or wrong type is a clear error.

import { readFileSync } from "node:fs";
import path from "node:path";
import YAML, { YAMLParseError } from "yaml";

/** One layer of configuration values and where it came from (a file path, "command line", ...). */
export interface ConfigSource {
  origin: string;
  values: unknown;
}

/** Recursively optional version of a config type, for programmatic sources. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A bad config file, unknown key or wrong type; `key` is the full dotted key when one is involved. */
export class ConfigError extends Error {
  readonly key: string | undefined;
  readonly origin: string | undefined;
  constructor(message: string, key?: string, origin?: string) {
    super(message);
    this.name = "ConfigError";
    this.key = key;
    this.origin = origin;
  }
}

type Section = Record<string, unknown>;

export const COMMAND_LINE_ORIGIN = "command line";

function isSection(value: unknown): value is Section {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---------------------------------------------------------------------------------------------------
// Key suggestions

/** Levenshtein edit distance (insertions, deletions, substitutions each cost 1). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** All leaf keys of a defaults object, dotted (`["model.layers", "train.lr", ...]`). */
export function listConfigKeys(defaults: object, prefix = ""): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    const full = join(prefix, key);
    if (isSection(value)) keys.push(...listConfigKeys(value, full));
    else keys.push(full);
  }
  return keys;
}

/**
 * The valid key to suggest for `badKey` under `prefix`: a sibling that extends it ("warmup" -> "warmupSteps"),
 * else the nearest sibling by edit distance, unless a key elsewhere in the config has exactly that final name
 * and the nearest sibling is not close.
 */
function suggestKey(root: Section, section: Section, prefix: string, badKey: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const key of Object.keys(section)) {
    const d = levenshtein(badKey, key);
    // On equal distance prefer a key that extends the typo ("warmup" -> "warmupSteps", not "lr").
    const better =
      d < bestDistance || (d === bestDistance && key.startsWith(badKey) && !best?.startsWith(badKey));
    if (better) [best, bestDistance] = [key, d];
  }
  const extension = Object.keys(section).find((key) => key.startsWith(badKey) && key.length > badKey.length);
  if (
    extension &&
    (best === undefined || !best.startsWith(badKey)) &&
    levenshtein(badKey, extension) <= badKey.length
  ) {
    return join(prefix, extension);
  }
  const close = bestDistance <= Math.max(2, Math.floor(badKey.length / 3));
  if (!close) {
    const elsewhere = [...listConfigKeys(root), ...listSectionKeys(root)].find(
      (k) => k.split(".").at(-1) === badKey && k !== join(prefix, badKey),
    );
    if (elsewhere) return elsewhere;
  }
  return best === undefined ? undefined : join(prefix, best);
}

function listSectionKeys(section: Section, prefix = ""): string[] {
  return Object.entries(section).flatMap(([k, v]) =>
    isSection(v) ? [join(prefix, k), ...listSectionKeys(v, join(prefix, k))] : [],
  );
}

function unknownKeyError(root: Section, section: Section, prefix: string, key: string, origin: string) {
  const full = join(prefix, key);
  const suggestion = suggestKey(root, section, prefix, key);
  const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
  return new ConfigError(`unknown config key "${full}" (in ${origin})${hint}`, full, origin);
}

// ---------------------------------------------------------------------------------------------------
// Type checks against the default

function typeName(defaultValue: unknown): string {
  if (defaultValue === null) return "any value (default is null)";
  if (Array.isArray(defaultValue)) {
    const first = defaultValue[0];
    return first === undefined ? "an array" : `an array of ${typeof first}s`;
  }
  if (isSection(defaultValue)) return "a section (object)";
  return `a ${typeof defaultValue}`;
}

function isPrimitive(v: unknown): boolean {
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean";
}

function matchesType(defaultValue: unknown, value: unknown): boolean {
  if (defaultValue === null) return true;
  if (Array.isArray(defaultValue)) {
    if (!Array.isArray(value)) return false;
    const first: unknown = defaultValue[0];
    return value.every((v) => (first === undefined ? isPrimitive(v) : typeof v === typeof first));
  }
  if (typeof defaultValue === "number") return typeof value === "number" && Number.isFinite(value);
  return typeof value === typeof defaultValue;
}

function typeError(key: string, defaultValue: unknown, value: unknown, origin: string): ConfigError {
  return new ConfigError(
    `config key "${key}" expects ${typeName(defaultValue)}, got ${describe(value)} (in ${origin})`,
    key,
    origin,
  );
}

// ---------------------------------------------------------------------------------------------------
// Merging

/** Merges `values` into `target` (a clone of the defaults), checking every key and type. */
function mergeSection(root: Section, target: Section, values: unknown, prefix: string, origin: string): void {
  if (!isSection(values)) {
    const where = prefix === "" ? "the top level" : `config key "${prefix}"`;
    throw new ConfigError(
      `${where} expects a section (object), got ${describe(values)} (in ${origin})`,
      prefix,
      origin,
    );
  }
  for (const [key, value] of Object.entries(values)) {
    const full = join(prefix, key);
    if (!Object.hasOwn(target, key)) throw unknownKeyError(root, target, prefix, key, origin);
    const current = target[key];
    if (isSection(current)) {
      mergeSection(root, current, value, full, origin);
    } else if (matchesType(current, value)) {
      target[key] = structuredClone(value);
    } else {
      throw typeError(full, current, value, origin);
    }
  }
}

function parseScalar(raw: string, like: unknown): unknown {
  if (typeof like === "number") {
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (typeof like === "boolean") {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    return raw;
  }
  if (typeof like === "string") return raw;
  // Unknown type (null default or empty array): infer.
  if (raw === "null") return null;
  if (raw === "true" || raw === "false") return raw === "true";
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/** Converts a command-line string to the type of `defaultValue`; type errors are caught by the merge. */
function parseCliValue(raw: string, defaultValue: unknown): unknown {
  if (Array.isArray(defaultValue)) {
    if (raw.trim().startsWith("[")) {
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    }
    if (raw.trim() === "") return [];
    const like: unknown = defaultValue[0];
    return raw.split(",").map((part) => parseScalar(part.trim(), like));
  }
  return parseScalar(raw, defaultValue);
}

interface Override {
  key: string;
  raw: string | undefined;
}

/** Splits `["--a.b", "1", "--c=2", "--flag"]` into key/raw pairs (`raw` undefined for a bare flag). */
export function parseOverrideArgs(args: string[]): Override[] {
  const out: Override[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--") || arg.length === 2) {
      throw new ConfigError(
        `expected a "--key value" config override, got "${arg}" (in ${COMMAND_LINE_ORIGIN})`,
      );
    }
    const eq = arg.indexOf("=");
    if (eq >= 0) {
      out.push({ key: arg.slice(2, eq), raw: arg.slice(eq + 1) });
    } else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) {
      out.push({ key: arg.slice(2), raw: args[i + 1]! });
      i++;
    } else {
      out.push({ key: arg.slice(2), raw: undefined });
    }
  }
  return out;
}

/** Applies one dotted override (`train.lr` = "5e-4") to the merged config. */
function applyOverride(root: Section, { key, raw }: Override, origin: string): void {
  const parts = key.split(".");
  let section = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const prefix = parts.slice(0, i).join(".");
    const full = join(prefix, part);
    if (part === "" || !Object.hasOwn(section, part))
      throw unknownKeyError(root, section, prefix, part, origin);
    const current = section[part];
    const last = i === parts.length - 1;
    if (!last) {
      if (!isSection(current)) {
        throw new ConfigError(
          `config key "${full}" is ${typeName(current)}, not a section (in ${origin})`,
          full,
          origin,
        );
      }
      section = current;
      continue;
    }
    if (isSection(current)) {
      const example = Object.keys(current)[0];
      const hint = example === undefined ? "" : `, e.g. --${join(full, example)}`;
      throw new ConfigError(
        `config key "${full}" is a section; set one of its keys${hint} (in ${origin})`,
        full,
        origin,
      );
    }
    if (raw === undefined && typeof current !== "boolean") {
      throw new ConfigError(
        `config key "${full}" expects ${typeName(current)} but no value was given (in ${origin})`,
      );
    }
    const value = raw === undefined ? true : parseCliValue(raw, current);
    if (!matchesType(current, value)) throw typeError(full, current, raw, origin);
    section[part] = value;
  }
}

/**
 * Resolves a config: deep-merges each source (in order) and then the dotted command-line overrides into a
 * copy of `defaults`. The defaults are the schema: every key must exist there (else `ConfigError` naming the
 * full dotted key, the origin and the nearest valid key) and every value must have the default's type
 * (number, boolean, string, array of the first element's type; anything where the default is null).
 * Override values are parsed to the default's type; arrays are comma lists (`--model.sizes 64,128`) and a
 * bare `--flag` sets a boolean to true. Defaults must not contain `undefined`: use `null` for "unset".
 */
export function resolveConfig<T extends object>(
  defaults: T,
  sources: ConfigSource[] = [],
  overrides: string[] = [],
  overridesOrigin = COMMAND_LINE_ORIGIN,
): T {
  const root = structuredClone(defaults) as Section;
  for (const source of sources) mergeSection(root, root, source.values, "", source.origin);
  for (const override of parseOverrideArgs(overrides)) applyOverride(root, override, overridesOrigin);
  return root as T;
}

// ---------------------------------------------------------------------------------------------------
// Files

function jsonErrorLocation(text: string, message: string): string {
  const pos = /position (\d+)/.exec(message);
  if (!pos) return "";
  const before = text.slice(0, Number(pos[1]));
  const line = before.split("\n").length;
  const col = before.length - before.lastIndexOf("\n");
  return `:${line}:${col}`;
}

/** Parses config text as JSON or YAML; errors name the origin with line and column. */
export function parseConfigText(text: string, origin: string, format: "json" | "yaml"): ConfigSource {
  let values: unknown;
  if (format === "json") {
    try {
      values = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      throw new ConfigError(
        `${origin}${jsonErrorLocation(text, msg)}: invalid JSON: ${msg}`,
        undefined,
        origin,
      );
    }
  } else {
    try {
      values = YAML.parse(text) ?? {};
    } catch (err) {
      if (!(err instanceof YAMLParseError)) throw err;
      const at = err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : "";
      const msg = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new ConfigError(`${origin}${at}: invalid YAML: ${msg}`, undefined, origin);
    }
  }
  if (!isSection(values)) {
    throw new ConfigError(`${origin}: a config file must hold a mapping of keys, got ${describe(values)}`);
  }
  return { origin, values };
}

/** Reads a `.json`, `.yaml` or `.yml` config file (YAML comments allowed) as a `ConfigSource`. */
export function loadConfigFile(filePath: string): ConfigSource {
  const ext = path.extname(filePath).toLowerCase();
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
    throw new ConfigError(`${filePath}: unsupported config file type "${ext}" (use .json, .yaml or .yml)`);
  }
  const text = readFileSync(filePath, "utf8");
  return parseConfigText(text, filePath, ext === ".json" ? "json" : "yaml");
}

/** Serialises a resolved config as pretty JSON (trailing newline); non-finite numbers are an error. */
export function configToJson(config: object): string {
  const check = (value: unknown, key: string): void => {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new ConfigError(`config key "${key}" holds ${value}, which JSON cannot represent`, key);
    }
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) check(v, `${key}[${i}]`);
    } else if (isSection(value)) {
      for (const [k, v] of Object.entries(value)) check(v, join(key, k));
    }
  };
  check(config, "");
  return `${JSON.stringify(config, null, 2)}\n`;
}
