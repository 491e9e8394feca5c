// The @element-plus/icons-vue icons the console names, registered globally by name: the side
// menu renders `router.ts`'s `icon:` strings and templates pass names (`:icon="'Refresh'"`,
// `<CircleCheckFilled />`). Only these are bundled; a new icon name must be added here.
import type { App, Component } from "vue";
import {
  Bell,
  Calendar,
  CircleCheckFilled,
  DataAnalysis,
  DocumentChecked,
  Download,
  EditPen,
  Files,
  Picture,
  Plus,
  Refresh,
  Setting,
  Share,
  WarningFilled,
} from "@element-plus/icons-vue";

export const ICONS: Record<string, Component> = {
  Bell,
  Calendar,
  CircleCheckFilled,
  DataAnalysis,
  DocumentChecked,
  Download,
  EditPen,
  Files,
  Picture,
  Plus,
  Refresh,
  Setting,
  Share,
  WarningFilled,
};

export function registerIcons(app: App): void {
  for (const [name, component] of Object.entries(ICONS)) app.component(name, component);
}
