// The matter API's shapes (app/supervision/schemas.py, by the OpenAPI document) and its filters,
// shared by the board and the ledger export.
import type { QueryOf, Schemas } from "./api";

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

/** GET /matters's filters, as the service declares them. */
export type MatterQuery = QueryOf<"/api/v1/matters">;

/** The filters as a form and the URL hold them ("" for any). */
export interface MatterFilters {
  status?: string;
  light?: string;
  category?: string;
  source_type?: string;
  unit?: string;
  overdue?: boolean;
  q?: string;
}

/** The form's filters as the query: a value from the URL goes as it is (the service checks it). */
export function matterQuery(filters: MatterFilters, extra: Partial<MatterQuery> = {}): MatterQuery {
  return { ...filters, overdue: filters.overdue || undefined, ...extra } as MatterQuery;
}

export type Matter = Schemas["MatterOut"];
export type MatterDetail = Schemas["MatterDetail"];
export type Deadline = Schemas["DeadlineOut"];
export type Assignment = Schemas["AssignmentOut"];
export type Report = Schemas["app__supervision__schemas__ReportOut"];
export type Urging = Schemas["app__supervision__schemas__UrgingOut"];
export type Extension = Schemas["ExtensionOut"];
export type TimelineEntry = Schemas["TimelineOut"];
