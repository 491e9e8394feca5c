// The one way the console talks to the service: /api/v1 with the session's bearer token.
// Errors arrive as {detail, code, errors: [{field | element_id, message}]} and are thrown as ApiError.

const BASE = "/api/v1";
const TOKEN_KEY = "ducha.token";

export interface FieldError {
  field?: string | null;
  element_id?: string | null;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public detail: string,
    public code: string,
    public errors: FieldError[] = [],
  ) {
    super(detail);
  }

  /** Messages keyed by the field they name ("report", "evaluations/0/unit"). */
  byField(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const key = (e.field ?? e.element_id ?? "").replace(/^body\./, "").replace(/\./g, "/");
      if (key) out[key] = out[key] ? `${out[key]}；${e.message ?? ""}` : e.message ?? "";
    }
    return out;
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const bearer = token.get();
  if (bearer) headers.set("Authorization", `Bearer ${bearer}`);
  if (init.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const response = await fetch(BASE + path, { ...init, headers });
  if (!response.ok) throw await toError(response);
  return response;
}

async function toError(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    return new ApiError(response.status, detail, body.code ?? "error", body.errors ?? []);
  } catch {
    return new ApiError(response.status, response.statusText || "error", "error");
  }
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return (await send(withQuery(path, query))).json();
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: "POST" };
  if (body !== undefined) init.body = JSON.stringify(body);
  return (await send(path, init)).json();
}

/** Fetch a document with the bearer token and save it under the name the server gives. */
export async function download(path: string, fallbackName: string, query?: Query): Promise<void> {
  const response = await send(withQuery(path, query));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName(response.headers.get("Content-Disposition")) ?? fallbackName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileName(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}
