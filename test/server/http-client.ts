// Small HTTP helpers for the server tests and the benchmark: JSON in, status and parsed JSON out.

export interface JsonResponse {
  status: number;
  // The parsed body; tests read fields off it.
  body: Record<string, unknown>;
  text: string;
}

async function toJson(response: Response): Promise<JsonResponse> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.status, body, text };
}

/** POSTs `body` (an object is sent as JSON, a string as it is) and reads the JSON answer. */
export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return toJson(
    await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: payload }),
  );
}

/** GETs `url` and reads the JSON answer. */
export async function getJson(url: string): Promise<JsonResponse> {
  return toJson(await fetch(url));
}
