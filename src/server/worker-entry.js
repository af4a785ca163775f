// Entry of a decoding worker thread: tsx's register() in bin/seq2seq.js does not reach worker threads, so
// each worker registers it again before loading the TypeScript worker (harmless when already registered).
import { register } from "tsx/esm/api";

register();
await import("./decode-worker.ts");
