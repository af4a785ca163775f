// POST /v1/transcribe over real HTTP on a tiny speech model (trained on espeak-ng words) served next to a text
// model: WAV bodies and multipart uploads give the library's transcripts; every error path has its status.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodeWav } from "../../src/audio/wav.ts";
import type { SpeechExample } from "../../src/data/speech-corpus.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { espeakMissing, synthesizeWords, trainTinySpeechModel } from "../helpers/speech-words.ts";
import { getJson, type JsonResponse, postJson } from "./http-client.ts";
import { saveTinyModel } from "./tiny-model.ts";

const skip = await espeakMissing();

async function post(url: string, body: RequestInit["body"], type?: string): Promise<JsonResponse> {
  const response = await fetch(url, { method: "POST", body, headers: type ? { "content-type": type } : {} });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

describe("POST /v1/transcribe", { skip }, () => {
  let dir: string;
  let server: RunningServer;
  let examples: SpeechExample[];
  let url: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "s2s-transcribe-"));
    examples = await synthesizeWords(join(dir, "wav"));
    await trainTinySpeechModel(examples, join(dir, "speech"));
    await saveTinyModel(join(dir, "text"));
    server = await startServer({
      models: [
        { name: "text", dir: join(dir, "text") },
        { name: "speech", dir: join(dir, "speech") },
      ],
      port: 0,
      threads: 1,
      audioLimits: { maxAudioBytes: 200_000, maxAudioFiles: 3 },
      log: () => {},
    });
    url = `${server.url}/v1/transcribe`;
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a WAV body (audio/wav) and multipart files give the transcripts, in order", async () => {
    const one = await post(url, await readFile(examples[2]!.audio), "audio/wav");
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.model, "speech");
    const outputs = one.body.outputs as Array<{ text: string; seconds: number }>;
    assert.deepEqual(
      outputs.map((o) => o.text),
      [examples[2]!.text],
    );
    const form = new FormData();
    for (const e of [examples[9]!, examples[4]!])
      form.append("file", new Blob([await readFile(e.audio)], { type: "audio/wav" }), `${e.text}.wav`);
    form.append("beam", "2");
    const many = await post(url, form);
    assert.equal(many.status, 200, many.text);
    assert.deepEqual(many.body.outputs, [
      {
        file: `${examples[9]!.text}.wav`,
        text: examples[9]!.text,
        seconds: (many.body.outputs as Array<{ seconds: number }>)[0]!.seconds,
      },
      {
        file: `${examples[4]!.text}.wav`,
        text: examples[4]!.text,
        seconds: (many.body.outputs as Array<{ seconds: number }>)[1]!.seconds,
      },
    ]);
  });

  test("a speech folder is served alone: one among several folders of a model is refused", async () => {
    const mixed = { name: "mixed", dir: [join(dir, "speech"), join(dir, "text")] };
    await assert.rejects(
      startServer({ models: [mixed], port: 0, threads: 1, log: () => {} }),
      /model "mixed": .*speech is a speech model, and those are served one folder each/,
    );
  });

  test("GET /v1/models marks the speech model; translate does not take it", async () => {
    const models = (await getJson(`${server.url}/v1/models`)).body.models as Array<Record<string, unknown>>;
    const speech = models.find((m) => m.name === "speech")!;
    assert.equal(speech.input, "audio");
    assert.equal(speech.architecture, "whisper");
    const translate = await postJson(`${server.url}/v1/translate`, { inputs: ["abc"], model: "speech" });
    assert.equal(translate.status, 404);
  });

  test("errors: malformed WAV 400, too big 413, unknown model 404, text model 400, bad fields 400", async () => {
    const bad = await post(url, new Uint8Array([82, 73, 70, 70, 4, 0, 0, 0]), "audio/wav");
    assert.equal(bad.status, 400);
    assert.match(bad.body.error as string, /the request body: .*truncated header/);
    const empty = await post(url, new Uint8Array(0), "audio/wav");
    assert.equal(empty.status, 400);
    const long = await post(url, encodeWav(new Float32Array(16000 * 3), 16000), "audio/wav");
    assert.equal(long.status, 413);
    assert.match(long.body.error as string, /3\.00 s of audio; this model takes at most 2 s/);
    const wav = await readFile(examples[0]!.audio);
    const unknown = await post(`${url}?model=nope`, wav, "audio/wav");
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error as string, /unknown model "nope"/);
    const text = await post(`${url}?model=text`, wav, "audio/wav");
    assert.equal(text.status, 400);
    assert.match(text.body.error as string, /text model: use POST \/v1\/translate/);
    const field = await post(`${url}?beem=2`, wav, "audio/wav");
    assert.match(field.body.error as string, /unknown field "beem"/);
    const beam = await post(`${url}?beam=99`, wav, "audio/wav");
    assert.match(beam.body.error as string, /"beam" is 99; this server allows at most/);
    const type = await post(url, "hello", "text/plain");
    assert.equal(type.status, 400);
    assert.match(type.body.error as string, /Content-Type "text\/plain" is not accepted/);
    const big = await post(url, encodeWav(new Float32Array(120_000), 16000), "audio/wav");
    assert.equal(big.status, 413);
    assert.match(big.body.error as string, /over 200000 bytes \(maxAudioBytes\)/);
    const files = new FormData();
    for (const e of examples.slice(0, 4)) files.append("file", new Blob([await readFile(e.audio)]), "a.wav");
    const many = await post(url, files);
    assert.equal(many.status, 413);
    assert.match(many.body.error as string, /4 files; this server takes at most 3/);
  });
});
