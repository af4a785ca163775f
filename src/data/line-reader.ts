// Streams a text file line by line as strict UTF-8, so bad data is reported with its file and line
// instead of turning into U+FFFD. Handles \n and \r\n endings and a leading byte-order mark.

import { createReadStream } from "node:fs";
import { TextDecoder } from "node:util";

/** An error in a data file; `file` and `line` (1-based) say where. */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "DataFileError";
  }
}

export interface LineReaderOptions {
  /** A line with more bytes than this is an error (protects against binary or one-line files). Default 1 MiB. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function decodeLine(bytes: Buffer, file: string, line: number, decoder: TextDecoder): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CARRIAGE_RETURN) end--;
  let start = 0;
  if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch {
    throw new DataFileError(file, line, "invalid UTF-8");
  }
}

/** The lines of `file` without their line endings; a final newline does not add an empty line. */
export async function* readLines(file: string, options: LineReaderOptions = {}): AsyncGenerator<string> {
  const maxLineBytes = options.maxLineBytes ?? 1 << 20;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let pending: Buffer = Buffer.alloc(0);
  let line = 0;
  const stream = createReadStream(file);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let nl = buffer.indexOf(NEWLINE); nl !== -1; nl = buffer.indexOf(NEWLINE)) {
        line++;
        if (nl > maxLineBytes) throw new DataFileError(file, line, `line longer than ${maxLineBytes} bytes`);
        yield decodeLine(buffer.subarray(0, nl), file, line, decoder);
        buffer = buffer.subarray(nl + 1);
      }
      if (buffer.length > maxLineBytes) {
        throw new DataFileError(
          file,
          line + 1,
          `line longer than ${maxLineBytes} bytes (is this a text file?)`,
        );
      }
      pending = Buffer.from(buffer);
    }
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) yield decodeLine(pending, file, line + 1, decoder);
}
