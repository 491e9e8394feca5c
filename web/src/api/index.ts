// The one way the console talks to the service: a client typed by the service's own OpenAPI
// document (openapi.json → schema.d.ts, both generated: `make openapi`), with the session's bearer
// token. Errors arrive as {detail, code, errors: [{field | element_id, message}]} and are thrown as
// ApiError; `ok()` turns a call into its typed body or that error.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

/** Every schema of the API by its name: `Schemas["TaskOut"]`. */
export type Schemas = components["schemas"];

/** The query parameters of a GET route: `QueryOf<"/api/v1/matters">`. */
export type QueryOf<P extends keyof paths> = NonNullable<
  paths[P] extends { get: { parameters: { query?: infer Q } } } ? Q : never
>;

const TOKEN_KEY = "ducha.token";

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

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

/** The message to show for any failure: the service's detail, or the error itself. */
export function message(error: unknown): string {
  return error instanceof ApiError ? error.detail : String(error);
}

const bearer: Middleware = {
  onRequest({ request }) {
    const value = token.get();
    if (value) request.headers.set("Authorization", `Bearer ${value}`);
    return request;
  },
};

/** The console's language (一种语言): the service answers refusals' messages in it. */
const language: Middleware = {
  onRequest({ request }) {
    request.headers.set("Accept-Language", localStorage.getItem("ducha.lang") ?? "zh-CN");
    return request;
  },
};

type QueryValue = string | number | boolean | null | undefined | (string | number | boolean)[];

/** Empty filters are left out, as a form's cleared field means "any". */
function querySerializer(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query as Record<string, QueryValue>)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.set(key, String(value));
  }
  return params.toString();
}

/** The typed client: `api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id } } })`. */
export const api = createClient<paths>({ querySerializer });
api.use(bearer);
api.use(language);

function toError(status: number, statusText: string, body: unknown): ApiError {
  if (body && typeof body === "object" && "detail" in body) {
    const shaped = body as { detail: unknown; code?: unknown; errors?: unknown };
    const detail = typeof shaped.detail === "string" ? shaped.detail : JSON.stringify(shaped.detail);
    const code = typeof shaped.code === "string" ? shaped.code : "error";
    const errors = Array.isArray(shaped.errors) ? (shaped.errors as FieldError[]) : [];
    return new ApiError(status, detail, code, errors);
  }
  return new ApiError(status, statusText || "error", "error");
}

/** A call's body when it succeeded; its ApiError otherwise. */
export async function ok<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await call;
  if (!response.ok) throw toError(response.status, response.statusText, error);
  return data as D;
}

/** A successful call's response (for its headers); its ApiError otherwise. */
async function okResponse<D>(
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<{ data: D; response: Response }> {
  const { data, error, response } = await call;
  if (!response.ok) throw toError(response.status, response.statusText, error);
  return { data: data as D, response };
}

/** Save a document fetched with `parseAs: "blob"` under the name the server gives. */
export async function download(
  call: Promise<{ data?: Blob; error?: unknown; response: Response }>,
  fallbackName: string,
): Promise<void> {
  const { data, response } = await okResponse(call);
  const url = URL.createObjectURL(data);
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
