// The operations pages, in tab order, each with the permission that shows it: the tab bar
// (OpsTabs.vue) and where /ops leads (the first the caller may open).
import { can } from "../../session";

export const OPS_TABS = [
  { path: "/ops/jobs", label: "ops.tabs.jobs", permission: "jobs.read" },
  { path: "/ops/incidents", label: "ops.tabs.incidents", permission: "incidents.read" },
  { path: "/ops/external-tasks", label: "ops.tabs.externalTasks", permission: "incidents.resolve" },
  { path: "/ops/migrations", label: "ops.tabs.migrations", permission: "instances.migrate" },
  { path: "/ops/webhooks", label: "ops.tabs.webhooks", permission: "webhooks.manage" },
  { path: "/ops/units", label: "ops.tabs.units", permission: "units.write" },
  { path: "/audit", label: "ops.tabs.audit", permission: "audit.read" },
];

/** The menu's 运维 entry shows for whoever may repair or manage something (not readers only). */
export const OPS_MENU_PERMISSIONS = ["webhooks.manage", "incidents.resolve", "instances.migrate"];

/** Where /ops leads: the first tab the caller may open. */
export function firstOpsTab(): string {
  return OPS_TABS.find((tab) => can(tab.permission))?.path ?? "/tasks";
}
