// Every page of the console is one file in pages/, registered here once: its route and, when it
// belongs in the side menu, its menu entry (label key, icon, order, the permission that shows it).
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { token } from "./api";
import { loadConfig, loadMe, session } from "./session";

export interface MenuEntry {
  label: string; // i18n key
  icon: string; // an @element-plus/icons-vue name
  order: number;
  permission?: string; // shown only when GET /me lists it
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
  { path: "/:pathMatch(.*)*", redirect: "/tasks" },
];

/** The side menu: every route with a menu entry the caller's permissions allow, in order. */
export function menu(): { path: string; entry: MenuEntry }[] {
  return routes
    .filter((r) => r.meta?.menu)
    .map((r) => ({ path: r.path, entry: r.meta!.menu! }))
    .filter(({ entry }) => !entry.permission || session.me?.permissions.includes(entry.permission))
    .sort((a, b) => a.entry.order - b.entry.order);
}

export const router = createRouter({ history: createWebHistory(), routes });

// Signed out: keep the target so a shared link (/matters/<id>) opens after sign-in.
router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (session.me) return true;
  const config = await loadConfig();
  if (token.get() || config.auth_mode === "header") {
    if (await loadMe()) return true;
  }
  return { name: "login", query: { redirect: to.fullPath } };
});
