// What the operations pages need beyond api.ts's get/post: PATCH with a JSON body.
import { ApiError, token } from "../../api";

export async function patch<T>(path: string, body: unknown): Promise<T> {
  const headers = new Headers({ "Content-Type": "application/json" });
  const bearer = token.get();
  if (bearer) headers.set("Authorization", `Bearer ${bearer}`);
  const response = await fetch("/api/v1" + path, { method: "PATCH", headers, body: JSON.stringify(body) });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const detail = typeof data.detail === "string" ? data.detail : response.statusText;
    throw new ApiError(response.status, detail, data.code ?? "error", data.errors ?? []);
  }
  return response.json();
}

export function message(error: unknown): string {
  return error instanceof ApiError ? error.detail : String(error);
}
