// 督查看板 (dashboard) strings, merged into zh-CN.ts.
export default {
  dashboard: {
    menu: "督查看板", title: "督查看板", unit: "承办单位（含下级）", category: "类别",
    period: "考评期间", start: "开始", end: "结束", total: "事项总数", open: "在办", closed: "已办结",
    overdue: "逾期/红灯", byLight: "按灯色", byCategory: "按类别", byUnit: "按牵头单位",
    byMonth: "按交办月份", onTime: "按时报告率、按期办结率（按单位）", overdueList: "逾期事项",
    count: "事项数", overdueCount: "逾期数", closedCount: "已办结数", reportOnTime: "按时报告率",
    closureRate: "按期办结率", png: "导出图片", overdueXlsx: "逾期清单（.xlsx）", ledgerXlsx: "事项台账（.xlsx）",
    noData: "暂无数据", noScores: "本期无考评数据", moreOverdue: "共 {n} 项，查看全部",
    scoresHint: "来自绩效考评的分项得分", rank: "名次", score: "总分",
  },
};
