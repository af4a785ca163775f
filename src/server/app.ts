// The HTTP API and the web page as a hono app: routes, request checks and JSON answers. Decoding is not
// done here: requests go to a batcher (worker threads) through `AppDeps.submit`.

import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Translation, TranslationHypothesis } from "../decode/translate.ts";
import type { BatchRequest } from "./batcher.ts";
import type { ModelInfo, PartResult, TaskChoice } from "./decode-worker.ts";
import { HttpError, parseTranslateRequest, type ServerLimits } from "./limits.ts";
import { registerTranscribeRoute, type TranscribeDeps } from "./transcribe-route.ts";

/** What the app needs from the rest of the server (transcribe/audioLimits: POST /v1/transcribe's). */
export interface AppDeps extends Pick<TranscribeDeps, "transcribe" | "audioLimits"> {
  models: readonly ModelInfo[];
  limits: ServerLimits;
  /** Decodes one request's texts (batched with others). */
  submit: (request: BatchRequest) => Promise<PartResult>;
  /** Extra fields for GET /healthz (worker and queue counts). */
  health: () => Record<string, number>;
  /** True once the server is shutting down: new translations are refused with 503. */
  closing: () => boolean;
  /** Where unexpected errors are logged (default stderr); clients only get a generic message. */
  log?: (line: string) => void;
}

/** The cross-attention of one hypothesis: weights[output token][source token]. */
export interface AttentionJson {
  sourceTokens: string[];
  outputTokens: string[];
  weights: number[][];
}

export interface HypothesisJson {
  text: string;
  score: number;
  logProb: number;
  attention?: AttentionJson;
}

/** One element of `outputs`: the best hypothesis, plus the n-best list when more than one was asked. */
export interface OutputJson extends HypothesisJson {
  nbest?: HypothesisJson[];
}

const PAGE = readFileSync(new URL("./page.html", import.meta.url), "utf8");

function hypothesisJson(
  t: Translation,
  h: TranslationHypothesis | undefined,
  attention: boolean,
): HypothesisJson {
  const out: HypothesisJson = { text: h?.text ?? "", score: h?.score ?? 0, logProb: h?.logProb ?? 0 };
  if (attention)
    out.attention = {
      sourceTokens: t.sourceTokens,
      outputTokens: h?.tokens ?? [],
      weights: h?.attention ?? [],
    };
  return out;
}

/** The JSON of one translation: best hypothesis first, `nbest` when the request asked for more than one. */
export function outputJson(t: Translation, nbest: number, attention: boolean): OutputJson {
  const out: OutputJson = hypothesisJson(t, t.hypotheses[0], attention);
  if (nbest > 1) out.nbest = t.hypotheses.map((h) => hypothesisJson(t, h, attention));
  return out;
}

/**
 * The prefix a request's inputs get (as Translator.textTaskFor picks it): the explicit one, the named task's,
 * else the model's own; undefined for a model without a text task asked for nothing.
 */
export function appliedPrefix(model: ModelInfo, choice: TaskChoice): string | undefined {
  if (choice.prefix !== undefined) return choice.prefix;
  const named = model.textTask?.tasks.find((t) => t.name === choice.task);
  return named?.prefix ?? model.textTask?.prefix;
}

function errorBody(error: HttpError): { error: string; limit?: string } {
  return error.limit === undefined ? { error: error.message } : { error: error.message, limit: error.limit };
}

async function readJson(text: Promise<string>): Promise<unknown> {
  try {
    return JSON.parse(await text);
  } catch (error) {
    throw new HttpError(400, `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Builds the app: GET / (the page), GET /healthz, GET /v1/models, POST /v1/translate. */
export function createApp(deps: AppDeps): Hono {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = new Hono();
  const defaultModel = deps.models[0]!.name;

  app.get("/", (c) => c.html(PAGE));
  // 503 while shutting down, so a load balancer stops sending requests here.
  app.get("/healthz", (c) =>
    deps.closing()
      ? c.json({ status: "closing", ...deps.health() }, 503)
      : c.json({ status: "ok", ...deps.health() }),
  );
  app.get("/v1/models", (c) => c.json({ models: deps.models, default: defaultModel, limits: deps.limits }));

  // Checked before the body is read: a request that began before the shutdown is still answered.
  app.post("/v1/translate", async (_c, next) => {
    if (deps.closing()) throw new HttpError(503, "the server is shutting down");
    await next();
  });
  app.post(
    "/v1/translate",
    bodyLimit({
      maxSize: deps.limits.maxBodyBytes,
      onError: () => {
        const max = deps.limits.maxBodyBytes;
        throw new HttpError(413, `the request body is over ${max} bytes (maxBodyBytes)`, "maxBodyBytes");
      },
    }),
    async (c) => {
      const textModels = deps.models.filter((m) => m.input !== "audio");
      if (textModels.length === 0)
        throw new HttpError(404, "this server has no text model: POST /v1/transcribe");
      const request = parseTranslateRequest(await readJson(c.req.text()), deps.limits, textModels);
      const result = await deps.submit({
        model: request.model,
        options: request.options,
        texts: request.inputs,
        attention: request.returnAttention,
        task: request.task,
      });
      if (!result.ok) throw new HttpError(400, result.message);
      const nbest = request.options.nbest ?? 1;
      const model = textModels.find((m) => m.name === request.model)!;
      const prefix = appliedPrefix(model, request.task);
      return c.json({
        model: request.model,
        ...(request.task.task === undefined ? {} : { task: request.task.task }),
        ...(prefix === undefined ? {} : { prefix }),
        outputs: result.translations.map((t) => outputJson(t, nbest, request.returnAttention)),
      });
    },
  );

  registerTranscribeRoute(app, deps);

  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(errorBody(error), error.status as ContentfulStatusCode);
    log(`seq2seq serve: ${c.req.method} ${c.req.path} failed: ${error.stack ?? error}`);
    return c.json({ error: "internal server error (see the server's log)" }, 500);
  });
  return app;
}
