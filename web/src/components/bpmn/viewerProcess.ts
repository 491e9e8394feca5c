// The engine API's shapes the process view and the definitions page read (app/engine/schemas.py),
// and the diagrams of an instance: its definition and, through `dependencies`, the processes its
// call activities call (which run inside the same instance).
import { ApiError, get, token } from "../../api";
import type { Task } from "../../tasks";

export interface Definition {
  id: string;
  key: string;
  version: number;
  name: string | null;
  file_name: string;
  content_hash: string;
  deployed_at: string;
  deployed_by: string | null;
  message_starts: string[];
  dependencies: Record<string, string>;
}

export interface Incident {
  id: string;
  kind: string;
  element_id: string | null;
  job_id: string | null;
  message: string;
  created_at: string;
  resolved_at: string | null;
}

export interface Job {
  id: string;
  instance_id: string;
  element_id: string;
  kind: string;
  due_at: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

export interface Instance {
  id: string;
  definition_id: string;
  process_key: string;
  version: number;
  status: string;
  business_key: string | null;
  variables: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  created_by: string | null;
  unit_code: string | null;
  ready_tasks: Task[];
  completed_element_ids: string[];
  incidents: Incident[];
  waiting_timers: Job[];
}

export interface HistoryEntry {
  id: number;
  at: string;
  event: string;
  element_id: string | null;
  element_type: string | null;
  task_id: string | null;
  actor: string | null;
  data: Record<string, unknown> | null;
}

export interface ExternalTask {
  id: string;
  topic: string;
  element_id: string;
  retries: number | null;
  error_message: string | null;
  incident_id: string | null;
}

export interface Diagram {
  definition: Definition;
  xml: string;
  calledBy: string | null; // the key of the calling process, null for the instance's own
}

/** The BPMN XML as deployed (api.get() reads JSON; this is text, with the same bearer token). */
export async function definitionXml(id: string): Promise<string> {
  const headers: Record<string, string> = {};
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(`/api/v1/process-definitions/${id}/xml`, { headers });
  if (!response.ok) throw new ApiError(response.status, response.statusText || "error", "error");
  return response.text();
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
      get<Definition>(`/process-definitions/${id}`),
      definitionXml(id),
    ]);
    out.push({ definition, xml, calledBy });
    for (const called of Object.values(definition.dependencies)) queue.push([called, definition.key]);
  }
  return out;
}
