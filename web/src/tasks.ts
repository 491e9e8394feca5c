// The task API's shapes (app/engine/schemas.py).
import type { JsonSchema } from "./components/schema";

export interface Task {
  id: string;
  instance_id: string;
  process_key: string;
  element_id: string;
  name: string | null;
  lane: string | null;
  state: string;
  assignee: string | null;
  candidate_groups: string[];
  unit_code: string | null;
  form: string | null;
  due_at: string | null;
  light: "green" | "yellow" | "red" | null; // by the service's rule (domain.md §7)
  created_at: string;
  completed_at: string | null;
  completed_by: string | null;
}

export interface TaskDetail extends Task {
  documentation: string | null;
  input: Record<string, unknown>;
  form_schema: JsonSchema | null;
}
