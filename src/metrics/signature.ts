// sacreBLEU-style reproducibility signatures ("nrefs:1|case:mixed|...|version:2.x-local"), shared by
// every metric so that all signatures print the same way.

/** The version field of every signature (what our fixtures record for sacreBLEU 2.x). */
export const SIGNATURE_VERSION = "2.x-local";

/** One signature field value; booleans print as yes/no like sacreBLEU. */
export type SignatureValue = string | number | boolean;

/** Joins `key:value` pairs with "|" and appends the version last, as sacreBLEU's Signature.format(). */
export function formatSignature(fields: readonly [string, SignatureValue][]): string {
  const parts = fields.map(([key, value]) => {
    const text = typeof value === "boolean" ? (value ? "yes" : "no") : String(value);
    return `${key}:${text}`;
  });
  parts.push(`version:${SIGNATURE_VERSION}`);
  return parts.join("|");
}
