// The duration heatmap (耗时热力图) over a diagram: per element of a version, its completed
// instances' duration (p95 or mean, GET /history/element-statistics) as one of five colours —
// classes on the elements, coloured by viewer.css — and a label with the figure (an overlay).
import { api, ok, type Schemas } from "../../api";
import { i18n } from "../../i18n";
import type { Markers, Overlay } from "../bpmn/viewerMarkers";

export type ElementStats = Schemas["ElementStatistics"];
export type Metric = "p95" | "mean";
export const HEAT_LEVELS = 5;

/** Per element of the version, over the instances the caller may read. */
export async function loadStatistics(definitionId: string): Promise<ElementStats[]> {
  const query = { definition_id: definitionId };
  return (await ok(api.GET("/api/v1/history/element-statistics", { params: { query } }))).elements;
}

/** "2天3小时", "4小时12分", "35分钟", "12秒", "0.4秒" (English: "2d 3h", …). */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const t = i18n.global.t;
  if (seconds < 10) return t("heat.s", { s: seconds.toFixed(1) });
  const s = Math.round(seconds);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d) return t("heat.dh", { d, h });
  if (h) return t("heat.hm", { h, m });
  if (m) return t("heat.m", { m });
  return t("heat.s", { s });
}

export interface Heat {
  markers: Markers;
  overlays: Overlay[];
  max: number; // the longest figure: the top of the scale
}

/** The level of a figure on a scale up to `max`: 1 (short) … 5 (the longest). */
export function level(value: number, max: number): number {
  if (max <= 0) return 1;
  return Math.min(HEAT_LEVELS, 1 + Math.floor((value / max) * HEAT_LEVELS));
}

/** Markers and labels for the elements that have completed at least once. */
export function heatOf(stats: ElementStats[], metric: Metric): Heat {
  const measured = stats.filter((s) => s.duration.count > 0 && s.duration[metric] !== null);
  const max = Math.max(0, ...measured.map((s) => s.duration[metric] ?? 0));
  const markers: Markers = {};
  for (let n = 1; n <= HEAT_LEVELS; n++) markers[`bpmn-heat-${n}`] = [];
  const overlays: Overlay[] = [];
  for (const s of measured) {
    const value = s.duration[metric] ?? 0;
    markers[`bpmn-heat-${level(value, max)}`].push(s.element_id);
    overlays.push({
      element: s.element_id,
      text: duration(value),
      className: "heat",
      title: i18n.global.t("heat.tooltip", { n: s.duration.count, p50: duration(s.duration.p50), p95: duration(s.duration.p95) }),
      position: { bottom: 2, left: 2 },
    });
  }
  return { markers, overlays, max };
}
