// Every page of the console is one file in pages/, registered here once: its route and, when it
// belongs in the side menu, its menu entry (label key, icon, order, the permission that shows it).
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { token } from "./api";
import { loadConfig, loadMe, session } from "./session";
import { firstOpsTab, OPS_MENU_PERMISSIONS } from "./pages/ops/tabs";

export interface MenuEntry {
  label: string; // i18n key
  icon: string; // an @element-plus/icons-vue name
  order: number;
  permission?: string; // shown only when GET /me lists it
  anyOf?: string[]; // shown when GET /me lists one of them
}

declare module "vue-router" {
  interface RouteMeta {
    public?: boolean;
    menu?: MenuEntry;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/tasks" },
  {
    path: "/login",
    name: "login",
    component: () => import("./pages/LoginPage.vue"),
    meta: { public: true },
  },
  {
    path: "/login/callback", // the OIDC provider sends the user back here (oidc.ts)
    name: "login-callback",
    component: () => import("./pages/OidcCallbackPage.vue"),
    meta: { public: true },
  },
  {
    path: "/tasks",
    name: "inbox",
    component: () => import("./pages/InboxPage.vue"),
    meta: { menu: { label: "menu.inbox", icon: "Bell", order: 10, permission: "tasks.read" } },
  },
  {
    path: "/tasks/:id",
    name: "task",
    component: () => import("./pages/InboxPage.vue"),
    props: true,
  },
  {
    path: "/matters",
    name: "matters",
    component: () => import("./pages/MattersPage.vue"),
    meta: {
      menu: { label: "menu.matters", icon: "Files", order: 20, permission: "matters.read" },
    },
  },
  {
    path: "/matters/:id",
    name: "matter",
    component: () => import("./pages/MatterPage.vue"),
    props: true,
  },
  // 回头看 (look-backs at closed matters; sub-matters are on the matter page)
  {
    path: "/look-backs",
    name: "look-backs",
    component: () => import("./pages/LookBacksPage.vue"),
    meta: {
      menu: { label: "lookback.menu", icon: "Calendar", order: 25, permission: "matters.decide" },
    },
  },
  // 督查看板, 流程视图, 流程定义
  {
    path: "/dashboard",
    name: "dashboard",
    component: () => import("./pages/DashboardPage.vue"),
    meta: {
      menu: { label: "dashboard.menu", icon: "DataAnalysis", order: 30, permission: "scores.read" },
    },
  },
  {
    path: "/instances/:id",
    name: "instance",
    component: () => import("./pages/ProcessInstancePage.vue"),
    props: true,
  },
  {
    path: "/definitions",
    name: "definitions",
    component: () => import("./pages/DefinitionsPage.vue"),
    meta: {
      menu: { label: "definitions.menu", icon: "Share", order: 50, permission: "definitions.read" },
    },
  },
  {
    path: "/definitions/:processKey",
    name: "definition",
    component: () => import("./pages/DefinitionsPage.vue"),
    props: true,
  },
  // 流程设计 (process designers) and 运维 / 审计 (admins, auditors)
  {
    path: "/modeler",
    name: "modeler-new",
    component: () => import("./pages/ModelerPage.vue"),
    meta: {
      menu: { label: "modeler.menu", icon: "EditPen", order: 60, permission: "definitions.deploy" },
    },
  },
  {
    path: "/modeler/:id",
    name: "modeler",
    component: () => import("./pages/ModelerPage.vue"),
    props: true,
  },
  {
    path: "/ops",
    // After the sign-in guard (beforeEach), so the caller's permissions are known.
    component: () => import("./pages/ops/JobsPage.vue"),
    beforeEnter: () => firstOpsTab(),
    meta: { menu: { label: "ops.menu", icon: "Setting", order: 80, anyOf: OPS_MENU_PERMISSIONS } },
  },
  // 故障 and 迁移 (issue 16): incidents across instances, the migration wizard
  { path: "/ops/incidents", name: "ops-incidents", component: () => import("./pages/ops/IncidentsPage.vue") },
  { path: "/ops/migrations", name: "ops-migrations", component: () => import("./pages/ops/MigrationsPage.vue") },
  { path: "/ops/jobs", name: "ops-jobs", component: () => import("./pages/ops/JobsPage.vue") },
  {
    path: "/ops/external-tasks",
    name: "ops-external-tasks",
    component: () => import("./pages/ops/ExternalTasksPage.vue"),
  },
  { path: "/ops/webhooks", name: "ops-webhooks", component: () => import("./pages/ops/WebhooksPage.vue") },
  {
    path: "/ops/webhooks/:id",
    name: "ops-deliveries",
    component: () => import("./pages/ops/DeliveriesPage.vue"),
    props: true,
  },
  { path: "/ops/units", name: "ops-units", component: () => import("./pages/ops/UnitsPage.vue") },
  {
    path: "/audit",
    name: "audit",
    component: () => import("./pages/ops/AuditPage.vue"),
    meta: { menu: { label: "ops.auditMenu", icon: "DocumentChecked", order: 90, permission: "audit.read" } },
  },
  { path: "/:pathMatch(.*)*", redirect: "/tasks" },
];

/** The side menu: every route with a menu entry the caller's permissions allow, in order. */
export function menu(): { path: string; entry: MenuEntry }[] {
  return routes
    .filter((r) => r.meta?.menu)
    .map((r) => ({ path: r.path, entry: r.meta!.menu! }))
    .filter(({ entry }) => !entry.permission || session.me?.permissions.includes(entry.permission))
    .filter(({ entry }) => !entry.anyOf || entry.anyOf.some((p) => session.me?.permissions.includes(p)))
    .sort((a, b) => a.entry.order - b.entry.order);
}

export const router = createRouter({ history: createWebHistory(), routes });

// Signed out: keep the target so a shared link (/matters/<id>) opens after sign-in.
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (session.me) return true;
  // With a token, GET /me does not wait for the sign-in config: both are in flight at once.
  const [config, me] = await Promise.all([loadConfig(), token.get() ? loadMe() : undefined]);
  if (me) return true;
  if (me === undefined && config.auth_mode === "header" && (await loadMe())) return true;
  return { name: "login", query: { redirect: to.fullPath } };
});
