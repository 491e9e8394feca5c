// The inbox as the console shows it (GET /console/inbox): each task named by what it is about,
// and the counts on the side menu's 我的待办 entry (GET /console/inbox/counts).
import { reactive } from "vue";
import { api, ok, type Schemas } from "./api";

export type InboxTask = Schemas["InboxTask"];
export type Subject = Schemas["Subject"];
export type InboxCounts = Schemas["InboxCounts"];

export interface InboxGroup {
  key: string;
  subject: Subject | null;
  instanceId: string;
  tasks: InboxTask[];
}

/** Tasks grouped by what they are about, in the order the service sorted them (most urgent first):
 *  a group stands where its first task stands. Tasks naming nothing group by their instance. */
export function groupTasks(tasks: InboxTask[]): InboxGroup[] {
  const groups = new Map<string, InboxGroup>();
  for (const task of tasks) {
    const key = task.subject ? `${task.subject.kind}:${task.subject.id}` : `instance:${task.instance_id}`;
    const group = groups.get(key) ?? { key, subject: task.subject ?? null, instanceId: task.instance_id, tasks: [] };
    group.tasks.push(task);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Where a subject's page is: a matter's own page (a look-back names its matter), else the process. */
export function subjectLink(group: InboxGroup): string {
  const subject = group.subject;
  if (subject && (subject.kind === "matter" || subject.kind === "look_back")) return `/matters/${subject.id}`;
  return `/instances/${group.instanceId}`;
}

/** The menu's badge: my open tasks, how many overdue and due soon. */
export const inboxCounts = reactive<InboxCounts>({ total: 0, overdue: 0, due_soon: 0 });

export async function refreshInboxCounts(): Promise<void> {
  try {
    Object.assign(inboxCounts, await ok(api.GET("/api/v1/console/inbox/counts", { params: { query: { scope: "mine" } } })));
  } catch {
    // The badge is a hint: when the count cannot be read the menu shows none, and the inbox itself says why.
    Object.assign(inboxCounts, { total: 0, overdue: 0, due_soon: 0 });
  }
}
