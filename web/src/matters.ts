// The matter API's shapes (app/supervision/schemas.py) and its filters, shared by the board and
// the ledger export.
import type { Task } from "./tasks";

export const STATUSES = ["planning", "handling", "reviewing", "evaluating", "closed"] as const;
export const LIGHTS = ["green", "yellow", "red"] as const;
export const CATEGORIES = [
  "reform", "law", "meeting_document_policy", "key_work", "efficiency",
  "leader_instruction", "proposal", "performance_audit",
] as const;
export const SOURCES = [
  "meeting", "document", "leader_instruction", "annual_key_work", "npc_suggestion",
  "cppcc_proposal", "reform_deployment", "major_decision", "other",
] as const;

export interface MatterFilters {
  status?: string;
  light?: string;
  category?: string;
  source_type?: string;
  unit?: string;
  overdue?: boolean;
  q?: string;
}

export interface Matter {
  id: string;
  code: string;
  title: string;
  category: string;
  source_type: string;
  source_ref: string | null;
  lead_unit: string;
  co_units: string[];
  owner_unit: string;
  assigned_on: string;
  final_due: string;
  status: string;
  light: string;
  instance_id: string | null;
  parent_id: string | null;
  satisfaction: string | null;
  created_at: string;
  closed_at: string | null;
}

export interface Deadline {
  id: string;
  unit_code: string | null;
  kind: string;
  label: string;
  due: string;
  rule: string;
  basis: string;
  calendar_basis: string;
  done_on: string | null;
  outcome: string | null;
  days_late: number | null;
  light: string;
}

export interface Assignment {
  id: string;
  unit_code: string;
  role: string;
  receipt: string;
  sign_due: string;
  signed_at: string | null;
  return_reason: string | null;
  review: string;
  timeliness: string | null;
  quality: string | null;
}

export interface Report {
  id: string;
  unit_code: string;
  kind: string;
  content: Record<string, unknown>;
  submitted_by: string | null;
  submitted_at: string;
  on_time: boolean;
}

export interface Urging {
  id: string;
  unit_code: string;
  kind: string;
  notice: string;
  at: string;
}

export interface Extension {
  id: string;
  unit_code: string;
  requested_due: string;
  reason: string;
  status: string;
  requested_by: string;
  requested_at: string;
  decision_comment: string | null;
}

export interface TimelineEntry {
  at: string;
  event: string;
  unit_code: string | null;
  actor: string | null;
  summary: string;
}

export interface MatterDetail extends Matter {
  content: string;
  sub_matters: Pick<Matter, "id" | "code" | "title" | "lead_unit" | "status" | "light" | "final_due">[];
  rolled_up_light: string;
  deadlines: Deadline[];
  assignments: Assignment[];
  reports: Report[];
  urgings: Urging[];
  extensions: Extension[];
  ready_tasks: Task[];
  timeline: TimelineEntry[];
}
