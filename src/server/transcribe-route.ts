// POST /v1/transcribe: audio uploads (a WAV body with Content-Type audio/wav, or multipart/form-data files) to
// transcripts, with the text API's discipline: body size bound (413), malformed WAV (400 naming the problem),
// unknown model (404). Decoding happens in the worker threads (src/server/transcribe-worker.ts).

import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { decodeWav, WavError } from "../audio/wav.ts";
import type { ModelInfo } from "./decode-worker.ts";
import { HttpError, type ServerLimits } from "./limits.ts";
import type { AudioClip, TranscribeJob, TranscribeOutcome } from "./transcribe-worker.ts";

/** Bounds on one transcription request. */
export interface TranscribeLimits {
  /** Largest request body in bytes (413 beyond): 10 MiB ≈ 5 minutes of 16 kHz 16-bit mono audio. */
  maxAudioBytes: number;
  /** Most files in one multipart request (413 beyond). */
  maxAudioFiles: number;
}

export const DEFAULT_TRANSCRIBE_LIMITS: TranscribeLimits = { maxAudioBytes: 10 << 20, maxAudioFiles: 16 };

/** What the route needs from the server. */
export interface TranscribeDeps {
  models: readonly ModelInfo[];
  limits: ServerLimits;
  audioLimits?: Partial<TranscribeLimits>;
  transcribe?: (job: TranscribeJob) => Promise<TranscribeOutcome>;
  closing: () => boolean;
}

const WAV_TYPES = ["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"];
const FIELDS = ["model", "beam", "maxLength"];

interface Upload {
  files: Array<{ name: string; bytes: Uint8Array }>;
  fields: Record<string, string>;
}

/** The uploaded files and fields: a raw WAV body (fields in the query) or multipart/form-data. */
async function readUpload(req: {
  header(name: string): string | undefined;
  query(): Record<string, string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  parseBody(options: { all: true }): Promise<Record<string, string | File | (string | File)[]>>;
}): Promise<Upload> {
  const type = (req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const fields = { ...req.query() };
  if (WAV_TYPES.includes(type))
    return { files: [{ name: "the request body", bytes: new Uint8Array(await req.arrayBuffer()) }], fields };
  if (type !== "multipart/form-data")
    throw new HttpError(
      400,
      `Content-Type "${type || "(none)"}" is not accepted: send a WAV file as audio/wav, or files as multipart/form-data`,
    );
  const files: Upload["files"] = [];
  for (const [key, value] of Object.entries(await req.parseBody({ all: true }))) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "string") fields[key] = item;
      else files.push({ name: item.name || key, bytes: new Uint8Array(await item.arrayBuffer()) });
    }
  }
  return { files, fields };
}

function integerField(
  fields: Record<string, string>,
  key: string,
  max: number,
  limit: string,
): number | undefined {
  const raw = fields[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new HttpError(400, `"${key}" must be a positive integer, got "${raw}"`);
  if (n > max) throw new HttpError(400, `"${key}" is ${n}; this server allows at most ${max} (${limit})`);
  return n;
}

/** The checked job of an upload: model, decoded clips, options. */
function toJob(upload: Upload, deps: TranscribeDeps, limits: TranscribeLimits): TranscribeJob {
  const unknown = Object.keys(upload.fields).find((k) => !FIELDS.includes(k));
  if (unknown) throw new HttpError(400, `unknown field "${unknown}"; the fields are ${FIELDS.join(", ")}`);
  if (upload.files.length === 0) throw new HttpError(400, "the request has no audio file");
  if (upload.files.length > limits.maxAudioFiles)
    throw new HttpError(
      413,
      `${upload.files.length} files; this server takes at most ${limits.maxAudioFiles} per request`,
    );
  const speech = deps.models.filter((m) => m.input === "audio");
  const name = upload.fields.model ?? speech[0]?.name;
  const model = deps.models.find((m) => m.name === name);
  if (!model || name === undefined)
    throw new HttpError(
      404,
      name === undefined
        ? "this server has no speech model"
        : `unknown model "${name}"; this server's speech models: ${speech.map((m) => m.name).join(", ") || "none"}`,
    );
  if (model.input !== "audio")
    throw new HttpError(400, `model "${name}" is a text model: use POST /v1/translate`);
  const options = {
    beam: integerField(upload.fields, "beam", deps.limits.maxBeam, "maxBeam"),
    maxLength: integerField(upload.fields, "maxLength", deps.limits.maxOutputLength, "maxOutputLength"),
  };
  const audios: AudioClip[] = upload.files.map(({ name: file, bytes }) => {
    try {
      const wav = decodeWav(bytes, file);
      return { name: file, sampleRate: wav.sampleRate, samples: wav.samples };
    } catch (error) {
      if (error instanceof WavError) throw new HttpError(400, error.message);
      throw error;
    }
  });
  return { model: name, audios, options };
}

/** Adds POST /v1/transcribe to `app`. */
export function registerTranscribeRoute(app: Hono, deps: TranscribeDeps): void {
  const limits = { ...DEFAULT_TRANSCRIBE_LIMITS, ...deps.audioLimits };
  app.post("/v1/transcribe", async (_c, next) => {
    if (deps.closing()) throw new HttpError(503, "the server is shutting down");
    await next();
  });
  app.post(
    "/v1/transcribe",
    bodyLimit({
      maxSize: limits.maxAudioBytes,
      // Answered before the body is read: the client may still be sending, so the connection is not reused.
      onError: (c) =>
        c.json({ error: `the request body is over ${limits.maxAudioBytes} bytes (maxAudioBytes)` }, 413, {
          Connection: "close",
        }),
    }),
    async (c) => {
      const job = toJob(await readUpload(c.req), deps, limits);
      if (!deps.transcribe) throw new HttpError(404, "this server has no speech model");
      const outcome = await deps.transcribe(job);
      if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
      const outputs = outcome.transcripts.map((t, i) => ({
        file: job.audios[i]!.name,
        text: t.text,
        seconds: t.seconds,
      }));
      return c.json({ model: job.model, outputs });
    },
  );
}
