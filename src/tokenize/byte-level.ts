// GPT-2's byte <-> printable-character table, used by byte-level BPE, to show byte-level tokens as text.

let charToByteTable: Map<string, number> | undefined;

/** The 256-entry byte -> character table of GPT-2 (printable bytes map to themselves). */
export function bytesToUnicode(): string[] {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  }
  return table;
}

/** Text of a byte-level token (e.g. "Ġsch" -> " sch"); bytes of a split character become U+FFFD. */
export function byteLevelToText(token: string): string {
  if (charToByteTable === undefined) {
    charToByteTable = new Map(bytesToUnicode().map((ch, b) => [ch, b]));
  }
  const table = charToByteTable;
  const bytes: number[] = [];
  for (const ch of token) {
    const b = table.get(ch);
    if (b === undefined) return token; // not a byte-level token (e.g. a special token)
    bytes.push(b);
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}
