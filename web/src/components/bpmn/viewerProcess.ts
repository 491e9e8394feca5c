// The engine API's shapes the process view and the definitions page read (app/engine/schemas.py),
// and the diagrams of an instance: its definition and, through `dependencies`, the processes its
// call activities call (which run inside the same instance).
import { api, ok, type Schemas } from "../../api";

export type Definition = Schemas["DefinitionOut"];
export type Incident = Schemas["IncidentOut"];
export type Job = Schemas["JobOut"];
export type Instance = Schemas["InstanceDetail"];
export type HistoryEntry = Schemas["HistoryOut"];
export type ExternalTask = Schemas["ExternalTaskOut"];

export interface Diagram {
  definition: Definition;
  xml: string;
  calledBy: string | null; // the key of the calling process, null for the instance's own
}

/** The BPMN XML as deployed (text, not JSON). */
export async function definitionXml(id: string): Promise<string> {
  const params = { path: { definition_id: id } };
  return ok(api.GET("/api/v1/process-definitions/{definition_id}/xml", { params, parseAs: "text" }));
}

/** The definition and every process it calls (pinned at deployment), each once, callers first. */
export async function diagramsOf(definitionId: string): Promise<Diagram[]> {
  const out: Diagram[] = [];
  const seen = new Set<string>();
  const queue: [string, string | null][] = [[definitionId, null]];
  while (queue.length) {
    const [id, calledBy] = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const [definition, xml] = await Promise.all([
      ok(api.GET("/api/v1/process-definitions/{definition_id}", { params: { path: { definition_id: id } } })),
      definitionXml(id),
    ]);
    out.push({ definition, xml, calledBy });
    for (const called of Object.values(definition.dependencies ?? {})) queue.push([called, definition.key]);
  }
  return out;
}
