// What a client may ask of the server: the request body of POST /v1/translate checked field by field, and
// the limits (body size, inputs, input length, search size) that keep one request from taking the server.

import {
  DEFAULT_MAX_LENGTH,
  definedOnly,
  resolveTranslateOptions,
  type TranslateOptions,
} from "../decode/translate-options.ts";
import { levenshtein } from "../io/config.ts";
import type { ModelInfo, TaskChoice } from "./decode-worker.ts";

/** The bounds on one request; every one can be set on the command line. */
export interface ServerLimits {
  /** Largest request body in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Most texts in one request's `inputs` (413 beyond). */
  maxInputs: number;
  /** Most characters in one input text (413 beyond). */
  maxInputChars: number;
  /** Largest `beam` (400 beyond). */
  maxBeam: number;
  /** Largest `nbest` (400 beyond; with beam search it is also capped by `beam`). */
  maxNbest: number;
  /** Largest `maxLength` (400 beyond; the model's positions cap it further). */
  maxOutputLength: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 1 << 20,
  maxInputs: 64,
  maxInputChars: 2000,
  maxBeam: 16,
  maxNbest: 16,
  maxOutputLength: 1024,
};

/** An error with the HTTP status to answer it with; `limit` names the limit a request went over. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 413 | 500 | 503,
    message: string,
    readonly limit?: keyof ServerLimits,
  ) {
    super(message);
  }
}

/** A checked translation request. */
export interface TranslateRequest {
  model: string;
  inputs: string[];
  /**
   * The options the request set (checked), and maxLength (else the model's default under maxOutputLength);
   * the rest are the model's defaults. `batchSize` is left to the server.
   */
  options: TranslateOptions;
  returnAttention: boolean;
  /** The text task asked for ({} = the folder's own). */
  task: TaskChoice;
}

const NUMBER_FIELDS = [
  "beam",
  "nbest",
  "maxLength",
  "minLength",
  "temperature",
  "topK",
  "topP",
  "seed",
  "lengthPenalty",
  "noRepeatNgram",
] as const;
const BOOLEAN_FIELDS = ["sample", "returnAttention"] as const;
const FIELDS: readonly string[] = ["inputs", "model", "task", "prefix", ...NUMBER_FIELDS, ...BOOLEAN_FIELDS];

function nearestField(key: string): string {
  const best = [...FIELDS].sort((a, b) => levenshtein(key, a) - levenshtein(key, b))[0]!;
  return levenshtein(key, best) <= 3 ? `; did you mean "${best}"?` : `; the fields are ${FIELDS.join(", ")}`;
}

function checkInputs(value: unknown, limits: ServerLimits): string[] {
  if (!Array.isArray(value) || value.some((x) => typeof x !== "string"))
    throw new HttpError(400, `"inputs" must be an array of strings`);
  if (value.length === 0) throw new HttpError(400, `"inputs" is empty: give at least one text`);
  if (value.length > limits.maxInputs)
    throw new HttpError(
      413,
      `"inputs" has ${value.length} texts; this server takes at most ${limits.maxInputs} per request (maxInputs)`,
      "maxInputs",
    );
  const inputs = value as string[];
  const long = inputs.findIndex((text) => [...text].length > limits.maxInputChars);
  if (long >= 0)
    throw new HttpError(
      413,
      `inputs[${long}] has ${[...inputs[long]!].length} characters; this server takes at most ${limits.maxInputChars} (maxInputChars)`,
      "maxInputChars",
    );
  return inputs;
}

function checkBound(value: number | undefined, field: string, max: number, limit: keyof ServerLimits): void {
  if (value !== undefined && value > max)
    throw new HttpError(400, `"${field}" is ${value}; this server allows at most ${max} (${limit})`, limit);
}

/** The option fields of `body`, type-checked (numbers are numbers, flags are booleans). */
function typedOptions(body: Record<string, unknown>): Record<string, number | boolean | undefined> {
  const out: Record<string, number | boolean | undefined> = {};
  for (const field of NUMBER_FIELDS) {
    const value = body[field];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value)))
      throw new HttpError(400, `"${field}" must be a number, got ${JSON.stringify(value)}`);
    out[field] = value;
  }
  for (const field of BOOLEAN_FIELDS) {
    const value = body[field];
    if (value !== undefined && typeof value !== "boolean")
      throw new HttpError(400, `"${field}" must be true or false, got ${JSON.stringify(value)}`);
    out[field] = value;
  }
  return out;
}

/**
 * The text task `body` asks of `model`: `task` (a name among the model's tasks) or `prefix` (any text up to
 * maxInputChars; "" for none), not both. Throws HttpError 400 naming the field (and the model's tasks).
 */
export function parseTaskChoice(
  body: Record<string, unknown>,
  model: ModelInfo,
  limits: ServerLimits,
): TaskChoice {
  const { task, prefix } = body;
  for (const [field, value] of [
    ["task", task],
    ["prefix", prefix],
  ] as const)
    if (value !== undefined && typeof value !== "string")
      throw new HttpError(400, `"${field}" must be a string, got ${JSON.stringify(value)}`);
  if (task !== undefined && prefix !== undefined)
    throw new HttpError(400, `give "task" or "prefix", not both ("task" sets the prefix)`);
  if (typeof prefix === "string") {
    if ([...prefix].length > limits.maxInputChars)
      throw new HttpError(
        413,
        `"prefix" has ${[...prefix].length} characters; this server takes at most ${limits.maxInputChars} (maxInputChars)`,
        "maxInputChars",
      );
    return { prefix };
  }
  if (typeof task !== "string") return {};
  const known = model.textTask?.tasks.map((t) => t.name) ?? [];
  if (!known.includes(task))
    throw new HttpError(
      400,
      `"task": unknown task "${task}"; ${known.length > 0 ? `model "${model.name}" has tasks ${known.join(", ")}` : `model "${model.name}" has no named tasks`}`,
    );
  return { task };
}

/**
 * Checks the JSON body of POST /v1/translate against the limits and the served models (the first model is
 * the default). Throws HttpError: 400 for a bad field or option (the library's message, naming the option),
 * 404 for an unknown model, 413 for too many or too long inputs.
 */
export function parseTranslateRequest(
  body: unknown,
  limits: ServerLimits,
  models: readonly ModelInfo[],
): TranslateRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpError(400, "the request body must be a JSON object");
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields))
    if (!FIELDS.includes(key)) throw new HttpError(400, `unknown field "${key}"${nearestField(key)}`);
  const inputs = checkInputs(fields["inputs"], limits);
  if (fields["model"] !== undefined && typeof fields["model"] !== "string")
    throw new HttpError(400, `"model" must be a string`);
  const name = (fields["model"] as string | undefined) ?? models[0]!.name;
  const model = models.find((m) => m.name === name);
  if (!model)
    throw new HttpError(
      404,
      `unknown model "${name}"; this server has ${models.map((m) => m.name).join(", ")}`,
    );
  const task = parseTaskChoice(fields, model, limits);
  const o = typedOptions(fields);
  checkBound(o["beam"] as number | undefined, "beam", limits.maxBeam, "maxBeam");
  checkBound(o["nbest"] as number | undefined, "nbest", limits.maxNbest, "maxNbest");
  checkBound(o["maxLength"] as number | undefined, "maxLength", limits.maxOutputLength, "maxOutputLength");
  const alpha = o["lengthPenalty"] as number | undefined;
  const requested: TranslateOptions = {
    beam: o["beam"] as number | undefined,
    nbest: o["nbest"] as number | undefined,
    sample: o["sample"] as boolean | undefined,
    temperature: o["temperature"] as number | undefined,
    topK: o["topK"] as number | undefined,
    topP: o["topP"] as number | undefined,
    seed: o["seed"] as number | undefined,
    maxLength:
      (o["maxLength"] as number | undefined) ??
      Math.min(model.defaultMaxLength ?? DEFAULT_MAX_LENGTH, limits.maxOutputLength),
    minLength: o["minLength"] as number | undefined,
    noRepeatNgram: o["noRepeatNgram"] as number | undefined,
    lengthPenalty: alpha === undefined ? undefined : { alpha },
  };
  try {
    // A Hugging Face folder's default beam is its generation config's: the worker checks nbest against it.
    resolveTranslateOptions(
      model.hfFamily === undefined ? requested : { ...requested, nbest: undefined },
      model.tgtVocabSize,
    );
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  const options = definedOnly(requested);
  const returnAttention = (o["returnAttention"] as boolean) ?? false;
  return { model: model.name, inputs, options, returnAttention, task };
}
