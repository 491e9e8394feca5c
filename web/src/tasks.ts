// The task API's shapes, as the service's OpenAPI document gives them (app/engine/schemas.py).
import { api, ok, type Schemas } from "./api";

export type Task = Schemas["TaskOut"];
export type TaskDetail = Schemas["TaskDetail"];

/** Claim or unclaim a task. */
export async function takeTask(taskId: string, action: "claim" | "unclaim"): Promise<void> {
  const params = { path: { task_id: taskId } };
  if (action === "claim") await ok(api.POST("/api/v1/tasks/{task_id}/claim", { params }));
  else await ok(api.POST("/api/v1/tasks/{task_id}/unclaim", { params }));
}
