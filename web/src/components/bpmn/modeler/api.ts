// The modeler's calls that api.ts does not cover: the XML as text and multipart uploads
// (validate, deploy). Same base, same bearer token, same ApiError.
import { ApiError, token } from "../../../api";

function headers(): Headers {
  const h = new Headers();
  const bearer = token.get();
  if (bearer) h.set("Authorization", `Bearer ${bearer}`);
  return h;
}

async function fail(response: Response): Promise<ApiError> {
  try {
    const body = await response.json();
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    return new ApiError(response.status, detail, body.code ?? "error", body.errors ?? []);
  } catch {
    return new ApiError(response.status, response.statusText || "error", "error");
  }
}

export async function getText(path: string): Promise<string> {
  const response = await fetch("/api/v1" + path, { headers: headers() });
  if (!response.ok) throw await fail(response);
  return response.text();
}

/** POST a .bpmn file and its forms as deploy expects them (`file`, `forms`). */
export async function postDiagram<T>(path: string, xml: string, fileName: string, forms: File[]): Promise<T> {
  const body = new FormData();
  body.append("file", new Blob([xml], { type: "application/xml" }), fileName);
  for (const form of forms) body.append("forms", form, form.name);
  const response = await fetch("/api/v1" + path, { method: "POST", headers: headers(), body });
  if (!response.ok) throw await fail(response);
  return response.json();
}
