// The unit tree as the service lists it (GET /units), loaded once per sign-in: names and a tree
// for pickers. Units are public to every signed-in role ("units.read").
import { reactive } from "vue";
import { api, ok, type Schemas } from "./api";

export type Unit = Schemas["UnitOut"];

export interface UnitNode {
  value: string;
  label: string;
  children?: UnitNode[];
}

export const units = reactive<{ byCode: Record<string, Unit>; tree: UnitNode[]; loaded: boolean }>(
  { byCode: {}, tree: [], loaded: false },
);

export async function loadUnits(): Promise<void> {
  if (units.loaded) return;
  const page = await ok(api.GET("/api/v1/units", { params: { query: { limit: 1000 } } }));
  const nodes: Record<string, UnitNode> = {};
  const roots: UnitNode[] = [];
  for (const unit of page.items) {
    units.byCode[unit.code] = unit;
    nodes[unit.code] = { value: unit.code, label: unit.name };
  }
  for (const unit of page.items) {
    const parent = unit.parent_code ? nodes[unit.parent_code] : undefined;
    if (parent) (parent.children ??= []).push(nodes[unit.code]);
    else roots.push(nodes[unit.code]);
  }
  units.tree = roots;
  units.loaded = true;
}

/** "国家发展和改革委员会" for "320000-FGW"; the code itself when unknown. */
export function unitName(code: string | null | undefined): string {
  if (!code) return "";
  return units.byCode[code]?.name ?? code;
}
