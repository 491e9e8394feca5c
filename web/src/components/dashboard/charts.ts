// ECharts, only the parts the dashboard draws (tree-shaken): pies, bars, lines on a canvas.
import { use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";

use([CanvasRenderer, BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent]);

export type { EChartsOption } from "echarts";

export const COLORS = {
  green: "#2e9e44",
  yellow: "#e6a700",
  red: "#d93026",
  brand: "#a61b1b",
  blue: "#3b6fb6",
  grey: "#9ca3af",
};
