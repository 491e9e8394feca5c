// The modeler's calls: a definition with its XML and forms, and the multipart uploads of
// validate and deploy (the .bpmn as `file`, each form as `forms`), all through the typed client.
import { api, ok, type Schemas } from "../../../api";

export type Definition = Schemas["DefinitionOut"];
export type Deployment = Schemas["DeploymentOut"];

/** A definition, its BPMN XML as deployed and its stored forms as files to send back on deploy. */
export async function loadDefinition(id: string): Promise<{ definition: Definition; xml: string; forms: File[] }> {
  const params = { path: { definition_id: id } };
  const definition = await ok(api.GET("/api/v1/process-definitions/{definition_id}", { params }));
  const xml = await ok(api.GET("/api/v1/process-definitions/{definition_id}/xml", { params, parseAs: "text" }));
  // The version's forms go with it, so that the edited diagram deploys again as it is.
  const stored = await ok(api.GET("/api/v1/process-definitions/{definition_id}/forms", { params }));
  const forms = Object.entries(stored).map(
    ([name, schema]) => new File([JSON.stringify(schema, null, 2)], name, { type: "application/json" }),
  );
  return { definition, xml, forms };
}

function diagramForm(xml: string, fileName: string, forms: File[]): FormData {
  const body = new FormData();
  body.append("file", new Blob([xml], { type: "application/xml" }), fileName);
  for (const form of forms) body.append("forms", form, form.name);
  return body;
}

/** POST /process-definitions/validate: the verdict, or ApiError `invalid_bpmn` with the elements. */
export function validateDiagram(xml: string, fileName: string, forms: File[]): Promise<Schemas["ValidationOut"]> {
  return ok(
    api.POST("/api/v1/process-definitions/validate", {
      body: { file: xml },
      bodySerializer: (body) => diagramForm(body.file, fileName, forms),
    }),
  );
}

/** POST /process-definitions: a new version, or the existing one when nothing changed. */
export function deployDiagram(xml: string, fileName: string, forms: File[]): Promise<Deployment> {
  return ok(
    api.POST("/api/v1/process-definitions", {
      body: { file: xml },
      bodySerializer: (body) => diagramForm(body.file, fileName, forms),
    }),
  );
}
