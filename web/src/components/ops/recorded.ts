// What an action left on record, shown after it as "已记录": the audit entry it made
// (GET /audit filtered to the object, for those who may read the trail), else the history event
// it wrote on the instance (GET /process-instances/{id}/history, readable by whoever sees it).
import { api, ok } from "../../api";
import { can } from "../../session";

export interface Recorded {
  source: "audit" | "history" | "object"; // "object": what the changed object itself keeps
  where?: string; // for "object": which record that is, in words
  action: string; // the audit action (instance.modify) or the history event (instance_modified)
  actor: string;
  at: string;
  reason: string | null;
  id: number;
  objectType: string;
  objectId: string;
}

export interface RecordSpec {
  action: string; // audit action
  objectType: string;
  objectId: string;
  instanceId?: string | null; // where the history event is
  historyEvent?: string; // the history event the act writes
}

function said(data: unknown): string | null {
  if (!data || typeof data !== "object") return null;
  const d = data as Record<string, unknown>;
  const text = d.reason ?? d.note;
  return typeof text === "string" ? text : null;
}

async function fromAudit(spec: RecordSpec): Promise<Recorded | null> {
  const query = { action: spec.action, object_type: spec.objectType, object_id: spec.objectId, limit: 1 };
  const page = await ok(api.GET("/api/v1/audit", { params: { query } }));
  const row = page.items[0];
  if (!row) return null;
  const actor = row.actor_name && row.actor_name !== row.actor_sub ? `${row.actor_name}（${row.actor_sub}）` : row.actor_sub;
  return {
    source: "audit", action: row.action, actor, at: row.at, reason: said(row.data), id: row.id,
    objectType: row.object_type, objectId: row.object_id ?? "",
  };
}

async function fromHistory(spec: RecordSpec): Promise<Recorded | null> {
  if (!spec.instanceId || !spec.historyEvent) return null;
  const params = { path: { instance_id: spec.instanceId } };
  const entries = await ok(api.GET("/api/v1/process-instances/{instance_id}/history", { params }));
  const entry = [...entries].reverse().find((h) => h.event === spec.historyEvent);
  if (!entry) return null;
  return {
    source: "history", action: entry.event, actor: entry.actor ?? "", at: entry.at, reason: said(entry.data),
    id: entry.id, objectType: spec.objectType, objectId: spec.objectId,
  };
}

/** The record of the act just done; null when neither the trail nor the history can be read. */
export async function findRecord(spec: RecordSpec): Promise<Recorded | null> {
  try {
    if (can("audit.read")) {
      const found = await fromAudit(spec);
      if (found) return found;
    }
    return await fromHistory(spec);
  } catch {
    return null; // the act is done; not finding its record must not look like its failure
  }
}

/** What a changed object keeps of the act (a batch's asker, a version's suspension): for those
 * who cannot read the trail and when the act has no instance history. */
export function ownRecord(
  where: string,
  action: string,
  object: { type: string; id: string },
  by: { actor: string | null; at: string | null; reason: string | null },
): Recorded {
  return {
    source: "object", where, action, actor: by.actor ?? "", at: by.at ?? "", reason: by.reason, id: 0,
    objectType: object.type, objectId: object.id,
  };
}
